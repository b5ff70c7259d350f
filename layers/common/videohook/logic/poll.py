"""The poller's sweep: check due jobs with the provider, copy finished videos, finish jobs,
and queue exactly one notification per terminal transition.

Safety comes from the repository, not from timing: a job is worked on only under a lease
taken with a conditional write, and a terminal transition records its outbox event in the
same write, so a run that dies at any point leaves the job for the next run to finish.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from datetime import datetime

from videohook.errors import (
    JobItemTooLarge,
    UpstreamError,
    UpstreamNotFound,
    VideoCopyFailed,
    VideoUnavailable,
)
from videohook.logic.failures import (
    SHED_INPUT,
    SHED_MESSAGE,
    SUBMIT_INTERRUPTED_MESSAGE,
    age_message,
    count_failure,
)
from videohook.logic.outbox import Outbox
from videohook.logic.pacing import Pacing
from videohook.logic.sweep import PollSettings, SweepRun
from videohook.models.clock import iso, utc_now
from videohook.models.jobs import Job, JobError, StoredVideo, Usage
from videohook.models.lifecycle import EVENT_FOR_STATUS, EventType, JobStatus
from videohook.models.outcomes import FailureReason, ProviderOutcome, SweepOutcome
from videohook.observability import logger
from videohook.ports import (
    DomainEvents,
    JobStore,
    NotificationQueue,
    PollWorkQueue,
    UpstreamApi,
    UpstreamGeneration,
    VideoStorage,
)
from videohook.views import object_metadata


class Poller:
    def __init__(
        self,
        *,
        jobs: JobStore,
        upstream: UpstreamApi,
        videos: VideoStorage,
        queue: NotificationQueue,
        events: DomainEvents,
        pacing: Pacing,
        settings: PollSettings,
        work: PollWorkQueue | None = None,
        clock: Callable[[], datetime] = utc_now,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._work = work
        self._sleep = sleep
        self._jobs = jobs
        self._upstream = upstream
        self._videos = videos
        self._queue = queue
        self._outbox = Outbox(
            jobs=jobs,
            queue=queue,
            events=events,
            videos=videos,
            clock=clock,
            retention_days=settings.retention_days,
        )
        self._pacing = pacing
        self._settings = settings
        self._clock = clock

    def sweep(self, remaining_seconds: Callable[[], float]) -> dict[str, int]:
        """One scheduled run: rounds of due jobs until its loop time is used up (see
        ``logic/sweep.py``). ``remaining_seconds`` is the Lambda's time left: work not
        started before the deadline margin is left for the next tick."""
        return self._run().run(remaining_seconds)

    def check(self, job_ids: list[str], remaining_seconds: Callable[[], float]) -> dict[str, int]:
        """A poll worker's share of a fanned-out sweep: the same checks, by job id."""
        return self._run().run_ids(job_ids, remaining_seconds)

    def _run(self) -> SweepRun:
        # Elapsed time read from the same clock as due times, so a test's clock drives both.
        seconds = lambda: self._clock().timestamp()  # noqa: E731
        return SweepRun(self, self._jobs, self._settings, self._work, sleep=self._sleep, seconds=seconds)

    def end_oversized(self, job: Job, owner: str, refused: JobItemTooLarge) -> SweepOutcome:
        """A job whose item the database refuses to update: its bulk is shed in one write,
        then it ends failed with a callback (a finished job just has its outbox delivered)."""
        self._jobs.shed_bulk(job.job_id, input_summary=SHED_INPUT)
        return self._act(job.job_id, owner, refused, self.epoch())

    def process(self, job: Job, owner: str) -> SweepOutcome:
        """Move one job, as read from the pending index, as far as it can go now. A check
        that changes nothing costs one conditional write; a lease is taken only before a
        transition that acts (completing, failing, ``generation.started``)."""
        now = self.epoch()
        if job.lease_expires_at is not None and job.lease_expires_at > now:
            return SweepOutcome.SKIPPED
        if job.outbox_event is not None or job.is_terminal or job.upstream_id is None:
            return self._act(job.job_id, owner, None, now)

        max_age = self._pacing.max_age_seconds(job.model)
        too_old = now - job.created_epoch() > max_age
        try:
            generation = self._upstream.retrieve(job.model, job.upstream_id)
        except UpstreamNotFound as exc:
            return self._act(job.job_id, owner, exc, now)
        except UpstreamError as exc:
            if too_old:
                return self._act(job.job_id, owner, None, now)
            logger.warning(
                "Upstream status check failed; will retry",
                extra={"job_id": job.job_id, "error": exc.code},
            )
            return self._check_in(job, now, job.upstream_status or job.status.value)
        started = generation.outcome is ProviderOutcome.STARTED and job.status is JobStatus.QUEUED
        if generation.outcome in _STILL_RUNNING and not too_old and not started:
            if generation.outcome is ProviderOutcome.UNKNOWN:
                logger.warning(
                    "Unknown upstream status; treating the job as in flight",
                    extra={"job_id": job.job_id, "upstream_status": generation.status},
                )
            return self._check_in(job, now, generation.status)
        return self._act(job.job_id, owner, generation, now)

    def _check_in(self, job: Job, now: int, upstream_status: str) -> SweepOutcome:
        rescheduled = self._jobs.check_in(
            job,
            now=now,
            next_check_at=self._next_check_at(job),
            upstream_status=upstream_status,
            updated_at=iso(self._clock()),
        )
        # Not rescheduled: another poller checked or moved the job since it was read.
        return SweepOutcome.IN_FLIGHT if rescheduled is not None else SweepOutcome.SKIPPED

    def _act(
        self,
        job_id: str,
        owner: str,
        answer: UpstreamGeneration | UpstreamNotFound | JobItemTooLarge | None,
        now: int,
    ) -> SweepOutcome:
        """Take the lease, then do what the job (re-read by the claim) and the provider's
        answer call for; ``answer`` is None when the provider was not asked or could not say."""
        job = self._jobs.claim(job_id, owner, now, self._settings.lease_seconds)
        if job is None:
            return SweepOutcome.SKIPPED
        if job.outbox_event is not None or job.owes_domain_event:
            self._outbox.publish(job, owner, resent=True)
            return SweepOutcome.RECOVERED
        if job.is_terminal:
            return SweepOutcome.SKIPPED
        if isinstance(answer, JobItemTooLarge):
            return self._fail(job, owner, FailureReason.JOB_TOO_LARGE, SHED_MESSAGE, None)
        if job.status is JobStatus.SUBMITTING or job.upstream_id is None:
            # Its submit died between the upstream create and recording the upstream id.
            return self._fail(job, owner, FailureReason.SUBMIT_INTERRUPTED, SUBMIT_INTERRUPTED_MESSAGE, None)
        max_age = self._pacing.max_age_seconds(job.model)
        too_old = now - job.created_epoch() > max_age
        if isinstance(answer, UpstreamNotFound):
            return self._fail(job, owner, FailureReason.UPSTREAM_NOT_FOUND, answer.message, None)
        if answer is None:
            if too_old:
                return self._fail(job, owner, FailureReason.TIMED_OUT, age_message(max_age), None)
            self._jobs.release(job_id, owner)  # it changed since it was read: the next round
            return SweepOutcome.SKIPPED
        generation, outcome = answer, answer.outcome
        if outcome is ProviderOutcome.SUCCEEDED:
            return self._complete(job, owner, generation, too_old=too_old)
        if outcome is ProviderOutcome.FAILED:
            message = generation.error_message or f"The provider reported status {generation.status!r}"
            return self._fail(job, owner, FailureReason.GENERATION_FAILED, message, generation.status)
        if too_old:
            return self._fail(job, owner, FailureReason.TIMED_OUT, age_message(max_age), generation.status)
        return self._reschedule(job, owner, generation.status, started=outcome is ProviderOutcome.STARTED)

    def _complete(
        self, job: Job, owner: str, generation: UpstreamGeneration, *, too_old: bool
    ) -> SweepOutcome:
        if not generation.video_url:
            return self._fail(
                job,
                owner,
                FailureReason.NO_VIDEO,
                "The provider reported success without a video URL",
                generation.status,
            )
        key = self._videos.key_for(job.job_id)
        upstream_id = job.upstream_id or ""
        try:
            video = self._videos.find_copy(key, upstream_id) or self._videos.copy_from_url(
                generation.video_url, key, object_metadata(job)
            )
        except VideoUnavailable as exc:
            return self._fail(job, owner, FailureReason.VIDEO_EXPIRED, exc.message, generation.status)
        except VideoCopyFailed as exc:
            if too_old:
                message = f"The video could not be copied before the age limit: {exc.message}"
                return self._fail(job, owner, FailureReason.VIDEO_COPY_FAILED, message, generation.status)
            logger.warning(
                "Video copy failed; will retry", extra={"job_id": job.job_id, "error": exc.message}
            )
            return self._reschedule(job, owner, generation.status, retry_now=True)
        return self._finish(
            job, owner, JobStatus.COMPLETED, generation.status, video=video, usage=generation.usage
        )

    def _fail(
        self, job: Job, owner: str, reason: FailureReason, message: str, upstream_status: str | None
    ) -> SweepOutcome:
        error = JobError(code=reason, message=message)
        return self._finish(job, owner, JobStatus.FAILED, upstream_status, error=error)

    def _finish(
        self,
        job: Job,
        owner: str,
        status: JobStatus,
        upstream_status: str | None,
        *,
        video: StoredVideo | None = None,
        error: JobError | None = None,
        usage: Usage | None = None,
    ) -> SweepOutcome:
        event = EVENT_FOR_STATUS[status]
        finished = self._jobs.finish(
            job.job_id,
            owner,
            status=status,
            event=event if job.wants(event) else None,
            now=self.epoch(),
            finished_at=iso(self._clock()),
            upstream_status=upstream_status,
            expires_at=self._outbox.expiry(),
            video=video,
            error=error,
            usage=usage,
        )
        if finished is None:
            # The lease was lost (this run overran it): the new owner finishes the job.
            return SweepOutcome.LOST_LEASE
        logger.info(
            "Job finished",
            extra={"job_id": job.job_id, "status": status.value, "error": error.code if error else None},
        )
        if error is not None:
            count_failure(error.code)
        self._outbox.publish(finished, owner)
        return SweepOutcome.COMPLETED if status is JobStatus.COMPLETED else SweepOutcome.FAILED

    def _reschedule(
        self, job: Job, owner: str, upstream_status: str, *, started: bool = False, retry_now: bool = False
    ) -> SweepOutcome:
        status, event = job.status, None
        if started and status is JobStatus.QUEUED:
            status = JobStatus.GENERATING
            event = EventType.STARTED if job.wants(EventType.STARTED) else None
        rescheduled = self._jobs.reschedule(
            job.job_id,
            owner,
            next_check_at=self.epoch() if retry_now else self._next_check_at(job),
            upstream_status=upstream_status,
            status=status,
            updated_at=iso(self._clock()),
            event=event,
        )
        if rescheduled is not None and event is not None:
            self._outbox.publish(rescheduled, owner)
        return SweepOutcome.IN_FLIGHT

    def _next_check_at(self, job: Job) -> int:
        # Rounded down: a check is never later than its pace asks, so no tick is missed.
        delay = self._pacing.next_check_delay(job.model, job.poll_count)
        return math.floor(self._clock().timestamp() + delay)

    def epoch(self) -> int:
        """Now, in the whole seconds ``next_check_at`` is kept in (rounded down)."""
        return int(self._clock().timestamp())


# In flight as far as the provider says: a check of these changes nothing but the pace.
_STILL_RUNNING = frozenset({ProviderOutcome.QUEUED, ProviderOutcome.STARTED, ProviderOutcome.UNKNOWN})

"""The poller's sweep: check due jobs with the provider, copy finished videos, finish jobs,
and queue exactly one notification per terminal transition.

Safety comes from the repository, not from timing: a job is worked on only under a lease
taken with a conditional write, and a terminal transition records its outbox event in the
same write, so a run that dies at any point leaves the job for the next run to finish.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from aws_lambda_powertools.metrics import MetricUnit, single_metric

from videohook.errors import (
    UpstreamError,
    UpstreamNotFound,
    VideoCopyFailed,
    VideoUnavailable,
)
from videohook.logic.pacing import Pacing
from videohook.models.clock import iso, utc_now
from videohook.models.jobs import Job, JobError, StoredVideo, Usage, webhook_id
from videohook.models.lifecycle import EVENT_FOR_STATUS, EventType, JobStatus
from videohook.models.messages import NotificationMessage
from videohook.models.outcomes import FailureReason, ProviderOutcome, SweepOutcome
from videohook.observability import logger, metrics
from videohook.ports import (
    DomainEvents,
    JobStore,
    NotificationQueue,
    UpstreamApi,
    UpstreamGeneration,
    VideoStorage,
)
from videohook.views import domain_event_detail


@dataclass(frozen=True)
class PollSettings:
    batch_size: int
    concurrency: int
    lease_seconds: int
    deadline_margin_seconds: float
    retention_days: int


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
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._jobs = jobs
        self._upstream = upstream
        self._videos = videos
        self._queue = queue
        self._events = events
        self._pacing = pacing
        self._settings = settings
        self._clock = clock

    def sweep(self, remaining_seconds: Callable[[], float]) -> dict[str, int]:
        """One scheduled run. ``remaining_seconds`` is the Lambda's time left: work not
        started before the deadline margin is left for the next tick."""
        owner = f"poller-{uuid.uuid4().hex[:12]}"
        now = self._epoch()
        due = self._jobs.due_jobs(now, self._settings.batch_size)
        tally: Counter[SweepOutcome] = Counter()
        with ThreadPoolExecutor(max_workers=self._settings.concurrency) as pool:
            for result in pool.map(lambda job: self._process_in_time(job, owner, remaining_seconds), due):
                tally[result] += 1
        report = {"due": len(due), **{outcome.value: count for outcome, count in tally.items()}}
        logger.info("Poller sweep finished", extra={"report": report})
        for outcome, count in tally.items():
            metrics.add_metric(name=outcome.metric_name, unit=MetricUnit.Count, value=count)
        metrics.add_metric(name="PendingJobs", unit=MetricUnit.Count, value=len(due))
        oldest = max((now - job.created_epoch() for job in due), default=0.0)
        metrics.add_metric(name="OldestPendingAgeSeconds", unit=MetricUnit.Seconds, value=oldest)
        return report

    def _process_in_time(self, job: Job, owner: str, remaining_seconds: Callable[[], float]) -> SweepOutcome:
        if remaining_seconds() < self._settings.deadline_margin_seconds:
            return SweepOutcome.DEFERRED
        try:
            return self.process(job.job_id, owner)
        except Exception:  # noqa: BLE001
            # One job's trouble must not end the sweep; the lease lapses and it is retried.
            logger.exception("Processing a job failed", extra={"job_id": job.job_id})
            self._jobs.release(job.job_id, owner)
            return SweepOutcome.ERRORED

    def process(self, job_id: str, owner: str) -> SweepOutcome:
        """Move one job as far as it can go now. Returns what happened, for the report."""
        now = self._epoch()
        job = self._jobs.claim(job_id, owner, now, self._settings.lease_seconds)
        if job is None:
            return SweepOutcome.SKIPPED
        if job.outbox_event is not None or job.owes_domain_event:
            self._publish(job, owner)
            return SweepOutcome.RECOVERED
        if job.is_terminal:
            return SweepOutcome.SKIPPED
        if job.status is JobStatus.SUBMITTING or job.upstream_id is None:
            # Its submit died between the upstream create and recording the upstream id.
            message = (
                "The submit did not finish; the provider may have started this generation, "
                "but it is never sent again"
            )
            return self._fail(job, owner, FailureReason.SUBMIT_INTERRUPTED, message, None)

        max_age = self._pacing.max_age_seconds(job.model)
        too_old = now - job.created_epoch() > max_age
        try:
            generation = self._upstream.retrieve(job.model, job.upstream_id)
        except UpstreamNotFound as exc:
            return self._fail(job, owner, FailureReason.UPSTREAM_NOT_FOUND, exc.message, None)
        except UpstreamError as exc:
            if too_old:
                return self._fail(job, owner, FailureReason.TIMED_OUT, _age_message(max_age), None)
            logger.warning(
                "Upstream status check failed; will retry",
                extra={"job_id": job.job_id, "error": exc.code},
            )
            return self._reschedule(job, owner, job.upstream_status or job.status.value)

        outcome = generation.outcome
        if outcome is ProviderOutcome.SUCCEEDED:
            return self._complete(job, owner, generation, too_old=too_old)
        if outcome is ProviderOutcome.FAILED:
            message = generation.error_message or f"The provider reported status {generation.status!r}"
            return self._fail(job, owner, FailureReason.GENERATION_FAILED, message, generation.status)
        if outcome is ProviderOutcome.UNKNOWN:
            logger.warning(
                "Unknown upstream status; treating the job as in flight",
                extra={"job_id": job.job_id, "upstream_status": generation.status},
            )
        if too_old:
            return self._fail(job, owner, FailureReason.TIMED_OUT, _age_message(max_age), generation.status)
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
                generation.video_url, key, _object_metadata(job)
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
            now=self._epoch(),
            finished_at=iso(self._clock()),
            upstream_status=upstream_status,
            expires_at=self._expiry(),
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
            _count_failure(error.code)
        self._publish(finished, owner)
        return SweepOutcome.COMPLETED if status is JobStatus.COMPLETED else SweepOutcome.FAILED

    def _publish(self, job: Job, owner: str) -> None:
        if job.owes_domain_event:
            announced = self._announce(job, owner)
            if announced is None:
                return  # the lease was lost: its new owner publishes
            job = announced
        event = job.outbox_event
        if event is None:
            return
        # The event id doubles as the queue's deduplication id: a run that dies after this
        # send and before the write below sends it again, and the FIFO queue drops the copy.
        self._queue.send(
            NotificationMessage(job_id=job.job_id, event_type=event),
            deduplication_id=webhook_id(job.job_id, event),
        )
        self._jobs.mark_notification_queued(
            job.job_id,
            owner,
            event=event,
            queued_at=iso(self._clock()),
            expires_at=self._expiry() if job.is_terminal else None,
        )

    def _announce(self, job: Job, owner: str) -> Job | None:
        """The manifest beside the video, then the bus event, then its record on the job (a
        conditional write under the lease). A run that dies before the record puts the event
        again on the next run, with the same ``event_id``; after it, never again."""
        event = EVENT_FOR_STATUS[job.status]
        detail = domain_event_detail(job, event)
        if job.video is not None:
            self._videos.put_manifest(job.job_id, detail)
        self._events.publish(event, detail)
        return self._jobs.mark_event_published(
            job.job_id, owner, event=event, published_at=iso(self._clock()), done=job.outbox_event is None
        )

    def _expiry(self) -> int:
        """When a finished job may be deleted by DynamoDB's TTL."""
        return int((self._clock() + timedelta(days=self._settings.retention_days)).timestamp())

    def _reschedule(
        self, job: Job, owner: str, upstream_status: str, *, started: bool = False, retry_now: bool = False
    ) -> SweepOutcome:
        delay = 0 if retry_now else self._pacing.next_check_delay(job.model, job.poll_count)
        status, event = job.status, None
        if started and status is JobStatus.QUEUED:
            status = JobStatus.GENERATING
            event = EventType.STARTED if job.wants(EventType.STARTED) else None
        rescheduled = self._jobs.reschedule(
            job.job_id,
            owner,
            next_check_at=self._epoch() + delay,
            upstream_status=upstream_status,
            status=status,
            updated_at=iso(self._clock()),
            event=event,
        )
        if rescheduled is not None and event is not None:
            self._publish(rescheduled, owner)
        return SweepOutcome.IN_FLIGHT

    def _epoch(self) -> int:
        return int(self._clock().timestamp())


def _object_metadata(job: Job) -> dict[str, str]:
    """Stored with the S3 object so downstream consumers of the bucket's events can tell
    which job a video belongs to without asking the API. The client's metadata keys come
    first as ``meta-<key>``; the storage fits them to its limits (see ``VideoStorage``)."""
    client = {f"meta-{key}": _metadata_text(value) for key, value in (job.metadata or {}).items()}
    return {**client, "job-id": job.job_id, "upstream-id": job.upstream_id or "", "model": job.model}


def _metadata_text(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def _count_failure(reason: str) -> None:
    """``GenerationFailed`` with the reason as a dimension, so a dashboard splits by it."""
    with single_metric(
        name="GenerationFailed",
        unit=MetricUnit.Count,
        value=1,
        default_dimensions=metrics.default_dimensions,
    ) as metric:
        metric.add_dimension(name="Reason", value=reason)


def _age_message(max_age_seconds: int) -> str:
    return f"The generation did not finish within {max_age_seconds} s"

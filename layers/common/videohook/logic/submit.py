"""The API's use cases: accept a generation, answer for a job, queue its callback again."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from videohook.catalog import Catalog
from videohook.errors import (
    NothingToRedeliver,
    RedeliveryLimited,
    SubmissionInterrupted,
    UpstreamError,
    UpstreamOutcomeUnknown,
)
from videohook.logic.pacing import Pacing
from videohook.models.clock import iso, utc_now
from videohook.models.jobs import Job, new_job_id, webhook_id
from videohook.models.lifecycle import JobStatus
from videohook.models.outcomes import FailureReason
from videohook.models.requests import GenerationRequest, parse_generation_request
from videohook.observability import logger, metrics
from videohook.ports import (
    CallbackUrlChecker,
    IdempotencyStore,
    JobStore,
    NotificationQueue,
    UpstreamApi,
    VideoStorage,
)
from videohook.views import job_view, notification_for

# Each redelivery is a signed POST the client aims at its receiver and an attempt on the job:
# a few per job per hour is plenty for a receiver that lost one.
REDELIVERIES_PER_WINDOW = 10
REDELIVERY_WINDOW_SECONDS = 3600


@dataclass(frozen=True)
class SubmitSettings:
    # How long a job may stay ``submitting`` before the poller calls the submit dead.
    submit_grace_seconds: int
    presigned_url_ttl_seconds: int


class Submissions:
    def __init__(
        self,
        *,
        jobs: JobStore,
        upstream: UpstreamApi,
        videos: VideoStorage,
        queue: NotificationQueue,
        guard: CallbackUrlChecker,
        idempotency: IdempotencyStore,
        catalog: Catalog,
        pacing: Pacing,
        settings: SubmitSettings,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._jobs = jobs
        self._upstream = upstream
        self._videos = videos
        self._queue = queue
        self._guard = guard
        self._idempotency = idempotency
        self._catalog = catalog
        self._pacing = pacing
        self._settings = settings
        self._clock = clock

    def submit(
        self, body: str | None, owner_id: str, *, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """Accept a generation: validate it, check what needs the network, then create it
        upstream once.

        The callback URL is checked before anything is spent upstream: a request that cannot
        be notified is refused, not charged. With an ``Idempotency-Key`` the whole submit runs
        at most once per key and body; repeats get the first answer.
        """
        request = self.parse(body)
        self._guard.check(request.callback_url)
        if idempotency_key is None:
            return self._create_job(request, owner_id, new_job_id())
        return self._idempotency.run(
            owner_id,
            idempotency_key,
            request.fingerprint(),
            lambda: self._create_job(
                request, owner_id, new_job_id(owner_id, idempotency_key, request.fingerprint())
            ),
        )

    def parse(self, body: str | None) -> GenerationRequest:
        def check_callback_url(url: str) -> None:
            self._guard.check_form(url)

        return parse_generation_request(body, catalog=self._catalog, check_callback_url=check_callback_url)

    def get(self, job_id: str, owner_id: str) -> dict[str, Any]:
        job = self._jobs.get_for_owner(job_id, owner_id)
        video_url = (
            self._videos.presigned_url(job.video, self._settings.presigned_url_ttl_seconds)
            if job.video is not None
            else None
        )
        return job_view(job, video_url=video_url)

    def redeliver(self, job_id: str, owner_id: str) -> dict[str, Any]:
        """Queue the job's last event again; it keeps its ``webhook-id`` so receivers dedupe."""
        job = self._jobs.get_for_owner(job_id, owner_id)
        event = job.notified_event
        if event is None or job.outbox_event is not None:
            raise NothingToRedeliver(
                f"Generation {job_id!r} has no callback to redeliver yet (status {job.status.value})"
            )
        now = int(self._clock().timestamp())
        window_ends = self._jobs.take_redelivery(
            job.job_id, now=now, window_seconds=REDELIVERY_WINDOW_SECONDS, limit=REDELIVERIES_PER_WINDOW
        )
        if window_ends is not None:
            raise RedeliveryLimited(
                f"Generation {job_id!r} was redelivered {REDELIVERIES_PER_WINDOW} times this hour",
                retry_after_seconds=max(1, window_ends - now),
            )
        # A fresh deduplication id: a redelivery is a new message carrying the same event.
        self._queue.send(
            notification_for(job, event, redelivery=True),
            deduplication_id=f"{webhook_id(job.job_id, event)}-redeliver-{uuid.uuid4().hex}",
        )
        logger.info("Callback redelivery queued", extra={"job_id": job.job_id, "event_type": event.value})
        return {"id": job.job_id, "event_type": event.value, "webhook_id": webhook_id(job.job_id, event)}

    def _create_job(self, request: GenerationRequest, owner_id: str, job_id: str) -> dict[str, Any]:
        """Store the job, then create it upstream, then record the upstream id.

        The job is written first so that no step can be lost: if this function dies after the
        provider accepted (and charged) the generation, the job is still there, and the poller
        fails it once ``submit_grace_seconds`` have passed instead of leaving it half done.
        """
        now = self._clock()
        job = Job(
            job_id=job_id,
            owner_id=owner_id,
            status=JobStatus.SUBMITTING,
            model=request.model,
            upstream_model=self._upstream.upstream_model(request.model),
            input=request.summarised_input(),
            callback_url=request.callback_url,
            callback_events=request.callback_events,
            metadata=request.metadata,
            created_at=iso(now),
            updated_at=iso(now),
            next_check_at=int(now.timestamp()) + self._settings.submit_grace_seconds,
        )
        if not self._jobs.insert(job):
            return _resume(self._jobs.get(job_id))
        try:
            generation = self._upstream.create(request.model, request.parameters)
        except UpstreamOutcomeUnknown as exc:
            # The provider may have started (and charged) it: keep the job, never send it
            # again; the poller fails it after the grace period and its callback says so.
            exc.details = [
                {"id": job_id, "reason": "the job is kept and will end failed; it is never resent"}
            ]
            raise
        except UpstreamError:
            self._jobs.discard_submission(job_id)
            raise
        accepted = self._clock()
        submitted = self._jobs.mark_submitted(
            job_id,
            upstream_id=generation.id,
            upstream_status=generation.status,
            next_check_at=int(accepted.timestamp()) + self._pacing.first_check_delay(request.model),
            updated_at=iso(accepted),
            usage=generation.usage,
        )
        if submitted is None:
            # The poller gave up on it first (this submit overran its grace period).
            return _resume(self._jobs.get(job_id))
        logger.info(
            "Generation accepted",
            extra={"job_id": job_id, "upstream_id": generation.id, "model": request.model},
        )
        metrics.add_metric(name="GenerationAccepted", unit="Count", value=1)
        return job_view(submitted)


def _resume(existing: Job | None) -> dict[str, Any]:
    """A job with this id exists: an earlier attempt with the same key got this far."""
    if existing is None:
        raise SubmissionInterrupted("The earlier request with this Idempotency-Key did not finish")
    interrupted = existing.status is JobStatus.SUBMITTING or (
        existing.error is not None and existing.error.code == FailureReason.SUBMIT_INTERRUPTED
    )
    if interrupted:
        raise SubmissionInterrupted(
            "An earlier request with this Idempotency-Key stopped after it may have reached the "
            "provider; it is not sent again, so it is never paid twice. Use a new key to retry.",
            details=[
                {"field": "Idempotency-Key", "reason": "earlier attempt interrupted", "id": existing.job_id}
            ],
        )
    return job_view(existing)

"""Accepting a generation, answering for a job, and queueing its callback again."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from videohook.adapters.idempotency import IdempotentSubmissions
from videohook.adapters.jobs import PENDING_PARTITION, JobRepository
from videohook.adapters.notifications import NotificationQueue
from videohook.adapters.upstream import MODEL_ROUTES, UpstreamClient
from videohook.adapters.videos import VideoStore
from videohook.callback_guard import CallbackUrlGuard
from videohook.errors import NothingToRedeliver, SubmissionInterrupted, UpstreamError, UpstreamOutcomeUnknown
from videohook.models import (
    SUBMIT_INTERRUPTED,
    Gen3aTurboRequest,
    Gen4TurboRequest,
    Job,
    JobStatus,
    NotificationMessage,
    canonical_model,
    iso,
    new_job_id,
    summarise_input,
    utc_now,
    webhook_id,
)
from videohook.observability import logger, metrics
from videohook.views import job_view


@dataclass(frozen=True)
class SubmitPacing:
    first_check_delay_seconds: int
    # How long a job may stay ``submitting`` before the poller calls the submit dead.
    submit_grace_seconds: int


def submit_generation(
    request: Gen3aTurboRequest | Gen4TurboRequest,
    owner_id: str,
    *,
    jobs: JobRepository,
    upstream: UpstreamClient,
    guard: CallbackUrlGuard,
    pacing: SubmitPacing,
    idempotency_key: str | None = None,
    idempotency: IdempotentSubmissions | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> dict[str, Any]:
    """Accept a generation: check what needs the network, then create it upstream once.

    The callback URL is checked before anything is spent upstream: a request that cannot
    be notified is refused, not charged. With an ``Idempotency-Key`` the whole submit runs
    at most once per key and body; repeats get the first answer.
    """
    guard.check(request.callback_url)

    def submit(job_id: str) -> dict[str, Any]:
        return _create_job(
            request, owner_id, job_id, jobs=jobs, upstream=upstream, pacing=pacing, clock=clock
        )

    if idempotency_key is None:
        return submit(new_job_id())
    if idempotency is None:
        raise RuntimeError("An idempotency store is needed to honour an Idempotency-Key")
    return idempotency.run(
        owner_id,
        idempotency_key,
        request.model_dump(mode="json"),
        lambda: submit(new_job_id(owner_id, idempotency_key)),
    )


def _create_job(
    request: Gen3aTurboRequest | Gen4TurboRequest,
    owner_id: str,
    job_id: str,
    *,
    jobs: JobRepository,
    upstream: UpstreamClient,
    pacing: SubmitPacing,
    clock: Callable[[], datetime],
) -> dict[str, Any]:
    """Store the job, then create it upstream, then record the upstream id.

    The job is written first so that no step can be lost: if this function dies after the
    provider accepted (and charged) the generation, the job is still there, and the poller
    fails it once ``submit_grace_seconds`` have passed instead of leaving it half done.
    """
    model = canonical_model(request.model)
    now = clock()
    job = Job(
        job_id=job_id,
        owner_id=owner_id,
        status=JobStatus.SUBMITTING,
        model=model,
        upstream_model=MODEL_ROUTES[model].upstream_model,
        input=summarise_input(request),
        callback_url=request.callback_url,
        callback_events=request.callback_events,
        metadata=request.metadata,
        created_at=iso(now),
        updated_at=iso(now),
        pending_partition=PENDING_PARTITION,
        next_check_at=int(now.timestamp()) + pacing.submit_grace_seconds,
    )
    if not jobs.insert(job):
        return _resume(jobs.get(job_id))
    try:
        generation = upstream.create(model, request.upstream_fields())
    except UpstreamOutcomeUnknown as exc:
        # The provider may have started (and charged) it: keep the job, never send it again;
        # the poller fails it after the grace period and its callback says so.
        exc.details = [{"id": job_id, "reason": "the job is kept and will end failed; it is never resent"}]
        raise
    except UpstreamError:
        jobs.discard_submission(job_id)
        raise
    accepted = clock()
    submitted = jobs.mark_submitted(
        job_id,
        upstream_id=generation.id,
        upstream_status=generation.status,
        next_check_at=int(accepted.timestamp()) + pacing.first_check_delay_seconds,
        updated_at=iso(accepted),
    )
    if submitted is None:
        # The poller gave up on it first (this submit overran its grace period).
        return _resume(jobs.get(job_id))
    logger.info(
        "Generation accepted",
        extra={"job_id": job_id, "upstream_id": generation.id, "model": model},
    )
    metrics.add_metric(name="GenerationAccepted", unit="Count", value=1)
    return job_view(submitted)


def _resume(existing: Job | None) -> dict[str, Any]:
    """A job with this id exists: an earlier attempt with the same key got this far."""
    if existing is None:
        raise SubmissionInterrupted("The earlier request with this Idempotency-Key did not finish")
    interrupted = existing.status is JobStatus.SUBMITTING or (
        existing.error is not None and existing.error.code == SUBMIT_INTERRUPTED
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


def get_generation(
    job_id: str,
    owner_id: str,
    *,
    jobs: JobRepository,
    videos: VideoStore,
    presigned_url_ttl_seconds: int,
) -> dict[str, Any]:
    job = jobs.get_for_owner(job_id, owner_id)
    video_url = videos.presigned_url(job.video, presigned_url_ttl_seconds) if job.video is not None else None
    return job_view(job, video_url=video_url)


def redeliver_callback(
    job_id: str, owner_id: str, *, jobs: JobRepository, queue: NotificationQueue
) -> dict[str, Any]:
    """Queue the job's last event again; it keeps its ``webhook-id`` so receivers dedupe."""
    job = jobs.get_for_owner(job_id, owner_id)
    event = job.notified_event
    if event is None or job.outbox_event is not None:
        raise NothingToRedeliver(
            f"Generation {job_id!r} has no callback to redeliver yet (status {job.status.value})"
        )
    # A fresh deduplication id: a redelivery is a new message carrying the same event.
    queue.send(
        NotificationMessage(job_id=job.job_id, event_type=event, redelivery=True),
        deduplication_id=f"{webhook_id(job.job_id, event)}-redeliver-{uuid.uuid4().hex}",
    )
    logger.info("Callback redelivery queued", extra={"job_id": job.job_id, "event_type": event.value})
    return {"id": job.job_id, "event_type": event.value, "webhook_id": webhook_id(job.job_id, event)}

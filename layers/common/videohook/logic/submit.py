"""Accepting a generation, answering for a job, and queueing its callback again."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from videohook.adapters.jobs import PENDING_PARTITION, JobRepository
from videohook.adapters.notifications import NotificationQueue
from videohook.adapters.upstream import MODEL_ROUTES, UpstreamClient
from videohook.adapters.videos import VideoStore
from videohook.callback_guard import CallbackUrlGuard
from videohook.errors import NothingToRedeliver
from videohook.models import (
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


def submit_generation(
    request: Gen3aTurboRequest | Gen4TurboRequest,
    owner_id: str,
    *,
    jobs: JobRepository,
    upstream: UpstreamClient,
    guard: CallbackUrlGuard,
    first_check_delay_seconds: int,
    clock: Callable[[], datetime] = utc_now,
) -> dict[str, Any]:
    """Validate what needs the network, create the upstream task, store the job.

    The callback URL is checked before anything is spent upstream: a request that cannot
    be notified is refused, not charged.
    """
    guard.check(request.callback_url)
    model = canonical_model(request.model)
    generation = upstream.create(model, request.upstream_fields())
    now = clock()
    job = Job(
        job_id=new_job_id(),
        owner_id=owner_id,
        status=JobStatus.QUEUED,
        model=model,
        upstream_model=MODEL_ROUTES[model].upstream_model,
        upstream_id=generation.id,
        upstream_status=generation.status,
        input=summarise_input(request),
        callback_url=request.callback_url,
        metadata=request.metadata,
        created_at=iso(now),
        updated_at=iso(now),
        pending_partition=PENDING_PARTITION,
        next_check_at=int(now.timestamp()) + first_check_delay_seconds,
    )
    jobs.insert(job)
    logger.info(
        "Generation accepted",
        extra={"job_id": job.job_id, "upstream_id": job.upstream_id, "model": model},
    )
    metrics.add_metric(name="GenerationAccepted", unit="Count", value=1)
    return job_view(job)


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
    event = job.last_event
    if event is None or job.outbox_event is not None:
        raise NothingToRedeliver(
            f"Generation {job_id!r} has no callback to redeliver yet (status {job.status.value})"
        )
    queue.send(NotificationMessage(job_id=job.job_id, event_type=event, redelivery=True))
    logger.info("Callback redelivery queued", extra={"job_id": job.job_id, "event_type": event.value})
    return {"id": job.job_id, "event_type": event.value, "webhook_id": webhook_id(job.job_id, event)}

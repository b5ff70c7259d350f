"""What clients see of a job: the API's answer and the ``data`` of every callback."""

from __future__ import annotations

import json
from typing import Any

from videohook.models.jobs import Job, StoredVideo, webhook_id
from videohook.models.lifecycle import EventType
from videohook.models.messages import CallbackSnapshot, NotificationMessage

# The shape of the domain event's detail and of the video's manifest; bumped on a breaking change.
DOMAIN_EVENT_VERSION = "1"


def job_view(job: Job, *, video_url: str | None = None, include_deliveries: bool = True) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": job.job_id,
        "status": job.status.value,
        "model": job.model,
        "created_at": job.created_at,
        "updated_at": job.updated_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "upstream": {"id": job.upstream_id, "status": job.upstream_status},
        "input": job.input,
        "metadata": job.metadata,
        "video": None,
        "error": job.error.to_dict() if job.error else None,
        "usage": job.usage.to_dict() if job.usage else None,
    }
    if job.video is not None:
        view["video"] = {
            "bucket": job.video.bucket,
            "key": job.video.key,
            "size": job.video.size,
            "sha256": job.video.sha256,
            "content_type": job.video.content_type,
            "url": video_url,
        }
    if include_deliveries:
        view["callback"] = {
            "url": job.callback_url,
            "events": [event.value for event in job.callback_events],
            "status": job.callback_status.value if job.callback_status else None,
            # The log keeps the first attempts and the latest; this many between are omitted.
            "attempts_omitted": job.deliveries_omitted,
            "attempts": [attempt.to_dict(exclude=frozenset({"message_id"})) for attempt in job.deliveries],
        }
    return view


def event_payload(job: Job, event_type: EventType, *, video_url: str | None) -> dict[str, Any]:
    """The Standard Webhooks body: ``timestamp`` is when the event happened, not when this
    attempt was sent (that is the ``webhook-timestamp`` header). ``data`` is the job as it was
    when the event was queued: every attempt of one event sends the same body."""
    happened = job.started_at if event_type is EventType.STARTED else job.finished_at
    return {
        "type": event_type.value,
        "timestamp": happened or job.updated_at,
        "data": job_view(job, video_url=video_url, include_deliveries=False),
    }


def notification_for(
    job: Job, event_type: EventType, *, redelivery: bool = False, resent: bool = False
) -> NotificationMessage:
    """The notify-queue message for ``event_type`` of ``job``, carrying its callback."""
    return NotificationMessage(
        job_id=job.job_id,
        event_type=event_type,
        redelivery=redelivery,
        resent=resent,
        callback=callback_snapshot(job, event_type),
    )


def callback_snapshot(job: Job, event_type: EventType) -> CallbackSnapshot:
    """The callback for ``event_type`` as ``job`` stands now."""
    return CallbackSnapshot(
        url=job.callback_url, owner_id=job.owner_id, payload=event_payload(job, event_type, video_url=None)
    )


def snapshot_video(snapshot: CallbackSnapshot) -> StoredVideo | None:
    """The stored video a callback links to, if its job has one."""
    video = snapshot.payload["data"].get("video")
    if video is None:
        return None
    return StoredVideo.from_dict({key: value for key, value in video.items() if key != "url"})


def callback_body(snapshot: CallbackSnapshot, video_url: str | None) -> dict[str, Any]:
    """The snapshot's payload with this attempt's short-lived video URL in place."""
    data = snapshot.payload["data"]
    if data.get("video") is None:
        return snapshot.payload
    return {**snapshot.payload, "data": {**data, "video": {**data["video"], "url": video_url}}}


def domain_event_detail(job: Job, event_type: EventType) -> dict[str, Any]:
    """The ``detail`` of the bus event for a finished job, and the manifest beside its video:
    the callback's job view without the short-lived URL (consumers read ``video.bucket`` and
    ``video.key`` with their own role). ``event_id`` is the callback's ``webhook-id``: the
    same for a repeated put, so consumers dedupe on it."""
    view = job_view(job, include_deliveries=False)
    if view["video"] is not None:
        del view["video"]["url"]
    return {"version": DOMAIN_EVENT_VERSION, "event_id": webhook_id(job.job_id, event_type), **view}


def object_metadata(job: Job) -> dict[str, str]:
    """Stored with the S3 object so downstream consumers of the bucket's events can tell
    which job a video belongs to without asking the API. The client's metadata keys come
    first as ``meta-<key>``; the storage fits them to its limits (see ``VideoStorage``)."""
    client = {f"meta-{key}": _metadata_text(value) for key, value in (job.metadata or {}).items()}
    return {**client, "job-id": job.job_id, "upstream-id": job.upstream_id or "", "model": job.model}


def _metadata_text(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))

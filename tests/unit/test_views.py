"""What clients see of a job: the GET answer and the ``data`` of a callback."""

from __future__ import annotations

import json
from pathlib import Path

from videohook.models.jobs import (
    FIRST_ATTEMPTS_KEPT,
    LATEST_ATTEMPTS_KEPT,
    DeliveryAttempt,
    Job,
    JobError,
    StoredVideo,
)
from videohook.models.lifecycle import CallbackStatus, EventType, JobStatus
from videohook.views import domain_event_detail, event_payload, job_view

PRESIGNED = "https://videohook-videos.s3.amazonaws.com/videos/gen_1.mp4?X-Amz-Signature=abc"
SHA256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

CONSUMER_EVENT = Path(__file__).resolve().parents[2] / "events" / "consumer_generation_completed.json"


def attempt(number: int, status_code: int | None, **extra: object) -> DeliveryAttempt:
    return DeliveryAttempt(
        event_type=EventType.COMPLETED,
        attempt=number,
        at=f"2025-01-01T00:10:{number:02d}.000Z",
        duration_ms=120,
        status_code=status_code,
        **extra,
    )


def completed_job(deliveries: list[DeliveryAttempt] | None = None) -> Job:
    return Job(
        job_id="gen_1",
        owner_id="client-a",
        status=JobStatus.COMPLETED,
        model="gen3a_turbo",
        upstream_model="gen3a_turbo",
        upstream_id="up_1",
        upstream_status="completed",
        input={"prompt": "A lighthouse", "image_url": "https://images.example.com/a.png"},
        callback_url="https://hooks.example.com/cb",
        metadata={"order_id": "ord_1234"},
        created_at="2025-01-01T00:00:00.000Z",
        updated_at="2025-01-01T00:09:30.000Z",
        finished_at="2025-01-01T00:09:00.000Z",
        video=StoredVideo(bucket="videohook-videos", key="videos/gen_1.mp4", size=5_242_880, sha256=SHA256),
        callback_status=CallbackStatus.DELIVERED,
        deliveries=deliveries
        if deliveries is not None
        else [
            attempt(1, 503, error="Service Unavailable", next_retry_at="2025-01-01T00:10:06.000Z"),
            attempt(2, 200),
        ],
    )


def failed_job() -> Job:
    return completed_job(deliveries=[]).replace(
        status=JobStatus.FAILED,
        video=None,
        error=JobError(code="upstream_failed", message="Content moderation"),
    )


def test_the_view_of_a_completed_job_points_at_its_copied_video():
    view = job_view(completed_job(), video_url=PRESIGNED)

    assert view["id"] == "gen_1"
    assert view["status"] == "completed"
    assert view["upstream"] == {"id": "up_1", "status": "completed"}
    assert view["video"] == {
        "bucket": "videohook-videos",
        "key": "videos/gen_1.mp4",
        "size": 5_242_880,
        "sha256": SHA256,
        "content_type": "video/mp4",
        "url": PRESIGNED,
    }
    assert view["error"] is None


def test_the_view_lists_the_delivery_attempts():
    view = job_view(completed_job(), video_url=PRESIGNED)

    assert view["callback"]["url"] == "https://hooks.example.com/cb"
    assert view["callback"]["status"] == "delivered"
    first, second = view["callback"]["attempts"]
    assert first == {
        "event_type": "generation.completed",
        "attempt": 1,
        "at": "2025-01-01T00:10:01.000Z",
        "duration_ms": 120,
        "status_code": 503,
        "error": "Service Unavailable",
        "next_retry_at": "2025-01-01T00:10:06.000Z",
    }
    assert second["status_code"] == 200
    assert "next_retry_at" not in second


def test_the_delivery_log_keeps_the_first_and_latest_attempts_and_counts_the_rest():
    job = completed_job([])
    for number in range(1, 101):
        deliveries, omitted = job.log_with(attempt(number, 500))
        job = job.replace(deliveries=deliveries, deliveries_omitted=omitted)

    callback = job_view(job)["callback"]

    numbers = [shown["attempt"] for shown in callback["attempts"]]
    assert numbers == [*range(1, FIRST_ATTEMPTS_KEPT + 1), *range(101 - LATEST_ATTEMPTS_KEPT, 101)]
    assert callback["attempts_omitted"] == 100 - FIRST_ATTEMPTS_KEPT - LATEST_ATTEMPTS_KEPT


def test_the_view_keeps_internal_bookkeeping_out():
    # Given a job read back from an item holding the poller's bookkeeping and index key
    job = Job.from_dict({**completed_job().to_dict(), "lease_owner": "poller-1", "pending_partition": "p3"})

    view = job_view(job)

    assert "lease_owner" not in json.dumps(view)
    assert "pending_partition" not in json.dumps(view)


def test_the_completed_event_payload_is_the_job_view_without_deliveries():
    job = completed_job()

    payload = event_payload(job, EventType.COMPLETED, video_url=PRESIGNED)

    assert payload["type"] == "generation.completed"
    assert payload["timestamp"] == job.finished_at
    assert "callback" not in payload["data"]
    assert payload["data"]["video"]["url"] == PRESIGNED
    assert payload["data"]["metadata"] == {"order_id": "ord_1234"}
    assert payload["data"] == {k: v for k, v in job_view(job, video_url=PRESIGNED).items() if k != "callback"}
    assert json.loads(json.dumps(payload)) == payload


def test_the_failed_event_payload_carries_the_error():
    job = failed_job()

    payload = event_payload(job, EventType.FAILED, video_url=None)

    assert payload["type"] == "generation.failed"
    assert payload["timestamp"] == "2025-01-01T00:09:00.000Z"
    assert payload["data"]["status"] == "failed"
    assert payload["data"]["video"] is None
    assert payload["data"]["error"] == {"code": "upstream_failed", "message": "Content moderation"}
    assert "callback" not in payload["data"]


def test_the_largest_callback_a_request_can_produce_stays_under_16_kib():
    # Given a job with every client-controlled field at its limit (non-ASCII text is the
    # worst case: JSON escapes each character as six bytes) and a long provider error
    job = failed_job().replace(
        input={
            "prompt": "\u00e9" * 1000,
            "image_url": "https://a.example/" + "i" * 2030,
            "last_image_url": "https://a.example/" + "l" * 2030,
            "duration": 10,
            "ratio": "16:9",
            "seed": 4_294_967_295,
        },
        metadata={"k": "\u00e9" * 330},
        callback_url="https://hooks.example.com/" + "c" * 2020,
        error=JobError(code="generation_failed", message="x" * 100_000),
        upstream_status="s" * 64,
    )

    body = json.dumps(event_payload(job, EventType.FAILED, video_url="https://b/" + "v" * 1500))

    assert len(json.dumps(job.metadata).encode()) <= 2048
    assert len(body.encode()) < 16 * 1024


def test_the_example_consumer_event_has_the_shape_the_poller_puts():
    sample = json.loads(CONSUMER_EVENT.read_text())

    detail = domain_event_detail(completed_job(), EventType.COMPLETED)

    assert set(detail) == set(sample["detail"])
    assert set(detail["video"]) == set(sample["detail"]["video"])
    assert (
        detail["event_id"]
        == event_payload(completed_job(), EventType.COMPLETED, video_url=None)["data"]["id"].replace(
            "gen_", "msg_"
        )
        + "_completed"
    )

"""Records read back what the service wrote, refuse what is not a record, and name the field."""

from __future__ import annotations

from decimal import Decimal

import pytest
from boto3.dynamodb.types import TypeDeserializer

from videohook.adapters.job_items import from_item, to_item
from videohook.models.jobs import (
    MAX_ATTEMPT_ERROR_CHARS,
    MAX_ERROR_MESSAGE_CHARS,
    DeliveryAttempt,
    Job,
    JobError,
    StoredVideo,
    Usage,
)
from videohook.models.lifecycle import CallbackStatus, EventType, JobStatus
from videohook.models.messages import CallbackSnapshot, NotificationMessage, PollWorkMessage
from videohook.models.records import RecordError


def finished_job() -> Job:
    return Job(
        job_id="gen_1",
        owner_id="client-a",
        status=JobStatus.COMPLETED,
        model="kling-video/v1.6/standard/text-to-video",
        upstream_model="kling-video/v1.6/standard/text-to-video",
        upstream_id="up_1",
        input={"prompt": "a fox", "duration": 5, "nested": {"ratio": 1.5}},
        callback_url="https://hooks.example.com/v",
        callback_events=[EventType.STARTED, EventType.COMPLETED],
        created_at="2025-01-01T00:00:00.000Z",
        updated_at="2025-01-01T00:05:00.000Z",
        poll_count=7,
        video=StoredVideo(bucket="b", key="videos/gen_1.mp4", size=1024, sha256="ab" * 32),
        usage=Usage(credits_used=2.5),
        callback_status=CallbackStatus.DELIVERED,
        deliveries=[
            DeliveryAttempt(
                event_type=EventType.COMPLETED, message_id="m1", attempt=1, at="t", duration_ms=12
            ),
        ],
        next_check_at=1_700_000_000,
    )


def test_a_job_survives_a_dynamodb_item_round_trip_with_its_types():
    job = finished_job()

    back = from_item(to_item(job, pending_partition="p0"))

    assert back == job
    assert back.status is JobStatus.COMPLETED
    assert back.callback_events == [EventType.STARTED, EventType.COMPLETED]
    assert isinstance(back.video, StoredVideo) and back.video.size == 1024
    assert isinstance(back.deliveries[0], DeliveryAttempt) and back.deliveries[0].duration_ms == 12


def test_numbers_that_dynamodb_gives_as_decimals_become_ints_and_floats():
    item = to_item(finished_job(), pending_partition="p0")
    plain = {key: TypeDeserializer().deserialize(value) for key, value in item.items()}
    assert isinstance(plain["poll_count"], Decimal)

    job = Job.from_dict({**plain, "input": {}, "usage": {"credits_used": Decimal("2.5")}})

    assert job.poll_count == 7 and type(job.poll_count) is int
    assert job.usage == Usage(credits_used=2.5)
    assert type(job.usage.credits_used) is float


def test_to_dict_leaves_out_none_and_writes_enums_as_their_values():
    plain = finished_job().to_dict()

    assert "error" not in plain and "lease_owner" not in plain
    assert plain["status"] == "completed" and type(plain["status"]) is str
    assert plain["callback_events"] == ["generation.started", "generation.completed"]
    assert plain["deliveries"][0] == {
        "event_type": "generation.completed",
        "message_id": "m1",
        "attempt": 1,
        "at": "t",
        "duration_ms": 12,
    }


def test_keys_a_record_does_not_know_are_ignored():
    plain = {**finished_job().to_dict(), "pending_partition": "p3", "some_future_field": 1}

    assert Job.from_dict(plain) == finished_job()


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"owner_id": None}, "Job.owner_id: required"),
        ({"status": "paused"}, "Job.status: 'paused' is not one of"),
        ({"poll_count": "7"}, "Job.poll_count: expected a whole number"),
        ({"poll_count": Decimal("7.5")}, "Job.poll_count: expected a whole number"),
        ({"poll_count": True}, "Job.poll_count: expected a whole number"),
        ({"input": ["a"]}, "Job.input: expected an object"),
        ({"callback_events": "generation.completed"}, "Job.callback_events: expected a list"),
        ({"video": {"bucket": "b"}}, "Job.video: StoredVideo.key: required"),
        ({"deliveries": [{"event_type": "generation.completed"}]}, "Job.deliveries: DeliveryAttempt.attempt"),
        ({"usage": {"credits_used": "lots"}}, "Job.usage: Usage.credits_used: expected a number"),
    ],
)
def test_a_field_of_the_wrong_kind_is_refused_with_its_path(change, expected):
    plain = {**finished_job().to_dict(), **change}

    with pytest.raises(RecordError) as refused:
        Job.from_dict(plain)

    assert str(refused.value).startswith(expected)


def test_provider_text_is_cut_to_what_a_callback_may_carry():
    error = JobError(code="upstream_failed", message="x" * 10_000)
    attempt = DeliveryAttempt(
        event_type=EventType.FAILED, attempt=1, at="t", duration_ms=1, error="y" * 10_000
    )

    assert len(error.message) == MAX_ERROR_MESSAGE_CHARS
    assert len(attempt.error or "") == MAX_ATTEMPT_ERROR_CHARS
    assert len(JobError.from_dict({"code": "c", "message": "z" * 10_000}).message) == MAX_ERROR_MESSAGE_CHARS


def test_a_notification_message_round_trips_through_json_with_its_snapshot():
    message = NotificationMessage(
        job_id="gen_1",
        event_type=EventType.COMPLETED,
        resent=True,
        callback=CallbackSnapshot(
            url="https://h.example/v", owner_id="client-a", payload={"data": {"id": "gen_1"}}
        ),
    )

    back = NotificationMessage.from_json(message.to_json())

    assert back == message
    assert isinstance(back.callback, CallbackSnapshot)
    assert back.redelivery is False


def test_a_message_queued_before_snapshots_existed_is_still_read():
    body = '{"job_id": "gen_1", "event_type": "generation.failed", "redelivery": true, "callback": null}'

    message = NotificationMessage.from_json(body)

    assert message == NotificationMessage(job_id="gen_1", event_type=EventType.FAILED, redelivery=True)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("not json", "PollWorkMessage: not JSON"),
        ("[1, 2]", "PollWorkMessage: expected an object, got list"),
        ('{"job_ids": ["gen_1", 2]}', "PollWorkMessage.job_ids: expected a string, got int"),
        ("{}", "PollWorkMessage.job_ids: required"),
    ],
)
def test_a_body_that_is_not_a_message_is_refused(body, expected):
    with pytest.raises(RecordError, match="^" + expected):
        PollWorkMessage.from_json(body)

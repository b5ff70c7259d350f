"""No client can grow a job item toward DynamoDB's 400 KB: the largest item every bound
allows (input, metadata, URL, error, a full delivery log after any number of redeliveries)
stays under ``MAX_JOB_ITEM_BYTES``."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from videohook.adapters.job_items import to_item
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
from videohook.models.requests import MAX_METADATA_BYTES, MAX_STORED_INPUT_BYTES, MAX_URL_CHARS

# The stated bound: a quarter of DynamoDB's item limit.
MAX_JOB_ITEM_BYTES = 100 * 1024
# Wider than any id SQS or the service makes, so the bound holds with room to spare.
LONG_ID = "x" * 128
STAMP = "2026-11-25T12:00:00.000Z"


def dynamodb_size(value: dict[str, Any]) -> int:
    """DynamoDB's item size: attribute names plus values, with its documented overheads
    (numbers counted at their 21-byte maximum, 3 bytes per list or map, 1 per element)."""
    return sum(len(name.encode()) + _value_size(typed) for name, typed in value.items())


def _value_size(typed: dict[str, Any]) -> int:
    [(kind, value)] = typed.items()
    if kind == "S":
        return len(value.encode())
    if kind == "N":
        return 21
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "L":
        return 3 + sum(1 + _value_size(element) for element in value)
    if kind == "M":
        return 3 + sum(1 + len(name.encode()) + _value_size(element) for name, element in value.items())
    raise AssertionError(f"unexpected DynamoDB type {kind}")


def largest_attempt(number: int) -> DeliveryAttempt:
    return DeliveryAttempt(
        event_type=EventType.COMPLETED,
        message_id=LONG_ID,
        attempt=number,
        at=STAMP,
        duration_ms=10**9,
        status_code=599,
        error="é" * (MAX_ATTEMPT_ERROR_CHARS * 2),  # two bytes each, and cut to the cap
        next_retry_at=STAMP,
    )


def test_the_largest_possible_job_item_stays_under_the_stated_bound():
    # JSON of the largest input a request may leave on the job
    input_ = {"prompt": "p" * (MAX_STORED_INPUT_BYTES - len('{"prompt": ""}'))}
    metadata = {"m": "m" * (MAX_METADATA_BYTES - len('{"m": ""}'))}
    job = Job(
        job_id=LONG_ID,
        owner_id=LONG_ID,
        status=JobStatus.FAILED,
        model=LONG_ID,
        upstream_model=LONG_ID,
        upstream_id=LONG_ID,
        upstream_status=LONG_ID,
        input=input_,
        callback_url="https://" + "h" * (MAX_URL_CHARS - len("https://")),
        callback_events=list(EventType),
        metadata=metadata,
        created_at=STAMP,
        updated_at=STAMP,
        started_at=STAMP,
        finished_at=STAMP,
        poll_count=10**9,
        video=StoredVideo(bucket=LONG_ID, key=LONG_ID, size=10**12, sha256="f" * 64),
        error=JobError(code=LONG_ID, message="é" * (MAX_ERROR_MESSAGE_CHARS * 2)),
        usage=Usage(credits_used=float(Decimal("1e20")), tokens_used=10**15),
        next_check_at=10**10,
        lease_owner=LONG_ID,
        lease_expires_at=10**10,
        outbox_event=EventType.COMPLETED,
        notification_queued_at=STAMP,
        notified_event=EventType.COMPLETED,
        callback_status=CallbackStatus.FAILED,
        redelivery_window_start=10**10,
        redeliveries_in_window=10**9,
        expires_at=10**10,
    )
    # After any number of attempts (redeliveries without end)
    for number in range(1, 1001):
        deliveries, omitted = job.log_with(largest_attempt(number))
        job = job.replace(deliveries=deliveries, deliveries_omitted=omitted)

    size = dynamodb_size(to_item(job, pending_partition="pending-" + LONG_ID))

    assert job.deliveries_omitted == 1000 - len(job.deliveries)
    assert size < MAX_JOB_ITEM_BYTES, size

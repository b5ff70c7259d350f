"""What the service stores about a generation. Field names are the DynamoDB attributes."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from videohook.models.lifecycle import (
    TERMINAL_STATUSES,
    CallbackStatus,
    EventType,
    JobStatus,
    default_callback_events,
)
from videohook.models.records import Record

MAX_ERROR_MESSAGE_CHARS = 500
MAX_ATTEMPT_ERROR_CHARS = 200
# The delivery log keeps a job's first attempts and its latest, and counts the ones between:
# however many redeliveries a client asks for, its job item stays bounded.
FIRST_ATTEMPTS_KEPT = 5
LATEST_ATTEMPTS_KEPT = 20
MAX_ATTEMPTS_KEPT = FIRST_ATTEMPTS_KEPT + LATEST_ATTEMPTS_KEPT


def is_success(status_code: int | None) -> bool:
    """An HTTP answer that means "done": any 2xx."""
    return status_code is not None and 200 <= status_code < 300


def new_job_id(
    owner_id: str | None = None, idempotency_key: str | None = None, request: dict[str, Any] | None = None
) -> str:
    """Random, or derived from the client's idempotency key and request: a retried submit
    then finds the job its first attempt stored, even if that attempt died before answering.
    The request is part of it so that the key, reused with a new body once its 24 h record
    has expired, makes a new job instead of finding the old one."""
    if owner_id is None or idempotency_key is None:
        return f"gen_{uuid.uuid4().hex}"
    body = json.dumps(request, sort_keys=True, separators=(",", ":"), default=str)
    digest = hashlib.sha256(f"{owner_id}\n{idempotency_key}\n{body}".encode()).hexdigest()
    return f"gen_{digest[:32]}"


def webhook_id(job_id: str, event_type: EventType) -> str:
    """Stable per job and event: retries and redeliveries reuse it so receivers can dedupe."""
    return f"msg_{job_id.removeprefix('gen_')}_{event_type.value.removeprefix('generation.')}"


@dataclass(kw_only=True)
class StoredVideo(Record):
    bucket: str
    key: str
    size: int
    sha256: str
    content_type: str = "video/mp4"


@dataclass(frozen=True, kw_only=True)
class Usage(Record):
    """What the provider says a generation cost (``meta.usage``): ``credits_used`` on current
    schemas, ``tokens_used`` on older ones."""

    credits_used: float | None = None
    tokens_used: int | None = None

    @property
    def is_empty(self) -> bool:
        return self.credits_used is None and self.tokens_used is None


@dataclass(kw_only=True)
class JobSummary(Record):
    """What a usage report reads of a job."""

    status: str
    model: str
    usage: Usage | None = None


@dataclass(kw_only=True)
class JobError(Record):
    code: str
    message: str

    def __post_init__(self) -> None:
        # Provider text can be any length; a callback body must stay small.
        self.message = self.message[:MAX_ERROR_MESSAGE_CHARS]


@dataclass(kw_only=True)
class DeliveryAttempt(Record):
    event_type: EventType
    # The queue message this attempt answered: attempts are numbered per message.
    message_id: str | None = None
    attempt: int
    at: str
    duration_ms: int
    status_code: int | None = None
    error: str | None = None
    next_retry_at: str | None = None

    def __post_init__(self) -> None:
        if self.error is not None:
            self.error = self.error[:MAX_ATTEMPT_ERROR_CHARS]

    @property
    def succeeded(self) -> bool:
        return is_success(self.status_code)


@dataclass(kw_only=True)
class Job(Record):
    """A generation as the service tracks it."""

    job_id: str
    owner_id: str
    status: JobStatus
    model: str
    upstream_model: str
    upstream_id: str | None = None
    upstream_status: str | None = None
    input: dict[str, Any]
    callback_url: str
    callback_events: list[EventType] = field(default_factory=default_callback_events)
    metadata: dict[str, Any] | None = None
    created_at: str
    updated_at: str
    started_at: str | None = None
    finished_at: str | None = None
    poll_count: int = 0
    video: StoredVideo | None = None
    error: JobError | None = None
    usage: Usage | None = None
    # When the poller looks next; absent once the poller owes the job nothing.
    next_check_at: int | None = None
    lease_owner: str | None = None
    lease_expires_at: int | None = None
    # The event a transition owes the notification queue, until it is queued.
    outbox_event: EventType | None = None
    notification_queued_at: str | None = None
    # The terminal event put on the service's event bus (and the video's manifest written).
    published_event: EventType | None = None
    published_at: str | None = None
    # The last event queued for this job: what a redelivery sends again.
    notified_event: EventType | None = None
    callback_status: CallbackStatus | None = None
    deliveries: list[DeliveryAttempt] = field(default_factory=list)
    # Redeliveries asked for in the window that started then (the per-job limit).
    redelivery_window_start: int | None = None
    redeliveries_in_window: int = 0
    # Attempts dropped from the middle of ``deliveries`` (see ``FIRST_ATTEMPTS_KEPT``).
    deliveries_omitted: int = 0
    expires_at: int | None = None

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES

    @property
    def owes_domain_event(self) -> bool:
        """Finished, and its event not yet on the bus: the poller keeps it until it is."""
        return self.is_terminal and self.published_event is None

    def wants(self, event: EventType) -> bool:
        return event in self.callback_events

    def created_epoch(self) -> float:
        return datetime.fromisoformat(self.created_at).timestamp()

    def delivered(self, event: EventType) -> bool:
        return any(a.event_type == event and a.succeeded for a in self.deliveries)

    def log_with(self, attempt: DeliveryAttempt) -> tuple[list[DeliveryAttempt], int]:
        """The delivery log after ``attempt``, capped, and how many attempts it omits."""
        log = [*self.deliveries, attempt]
        excess = len(log) - FIRST_ATTEMPTS_KEPT - LATEST_ATTEMPTS_KEPT
        if excess <= 0:
            return log, self.deliveries_omitted
        return log[:FIRST_ATTEMPTS_KEPT] + log[-LATEST_ATTEMPTS_KEPT:], self.deliveries_omitted + excess

    def attempts_for(self, message_id: str) -> int:
        return sum(1 for d in self.deliveries if d.message_id == message_id)

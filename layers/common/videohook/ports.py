"""The interfaces the use cases depend on, and the values that cross them.

``logic/`` imports these and the domain types in ``models/``, never a concrete adapter;
``wiring.py`` picks the adapters (DynamoDB, S3, SQS, the provider's HTTP API, webhook HTTP)
and tests pass in-memory fakes instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from videohook.models.clients import ClientSecrets
from videohook.models.jobs import DeliveryAttempt, Job, JobError, JobSummary, StoredVideo, Usage, is_success
from videohook.models.lifecycle import CallbackStatus, EventType, JobStatus
from videohook.models.messages import NotificationMessage
from videohook.models.outcomes import ProviderOutcome

# --- values -------------------------------------------------------------------------------


@dataclass(frozen=True)
class UpstreamGeneration:
    """What the provider says about one generation, in the service's terms."""

    id: str
    # The provider's own word, kept for the job's ``upstream.status``; never interpreted
    # outside the provider adapter.
    status: str
    outcome: ProviderOutcome
    video_url: str | None = None
    error_message: str | None = None
    usage: Usage | None = None


@dataclass(frozen=True)
class DeliveryResult:
    """How one callback POST ended."""

    status_code: int | None
    duration_ms: int
    error: str | None = None
    retry_after_seconds: float | None = None
    # The guard refused the host (it now resolves inside): retrying cannot help.
    refused: bool = False

    @property
    def succeeded(self) -> bool:
        return is_success(self.status_code)


@dataclass(frozen=True)
class DeliveryAppend:
    """What ``JobStore.append_delivery`` did: appended the attempt, or not, and then the job
    as it stands (None if it no longer exists), read by the same call."""

    appended: bool
    job: Job | None = None


# --- ports --------------------------------------------------------------------------------


class JobStore(Protocol):
    """Jobs, with every state change a conditional write: a method answers ``None`` (or
    False) when its condition did not hold, i.e. another actor got there first."""

    def get(self, job_id: str) -> Job | None: ...

    def get_for_owner(self, job_id: str, owner_id: str) -> Job: ...

    def due_jobs(self, now: int, limit: int) -> list[Job]: ...

    def usage_of(self, owner_id: str, *, created_from: str, created_to: str) -> Iterator[JobSummary]: ...

    def insert(self, job: Job) -> bool: ...

    def mark_submitted(
        self,
        job_id: str,
        *,
        upstream_id: str,
        upstream_status: str,
        next_check_at: int,
        updated_at: str,
        usage: Usage | None = None,
    ) -> Job | None: ...

    def discard_submission(self, job_id: str) -> None: ...

    def claim(self, job_id: str, owner: str, now: int, lease_seconds: int) -> Job | None: ...

    def check_in(
        self, job: Job, *, now: int, next_check_at: int, upstream_status: str, updated_at: str
    ) -> Job | None: ...

    def reschedule(
        self,
        job_id: str,
        owner: str,
        *,
        next_check_at: int,
        upstream_status: str,
        status: JobStatus,
        updated_at: str,
        event: EventType | None = None,
    ) -> Job | None: ...

    def finish(
        self,
        job_id: str,
        owner: str,
        *,
        status: JobStatus,
        event: EventType | None,
        now: int,
        finished_at: str,
        upstream_status: str | None,
        expires_at: int,
        video: StoredVideo | None = None,
        error: JobError | None = None,
        usage: Usage | None = None,
    ) -> Job | None: ...

    def mark_notification_queued(
        self, job_id: str, owner: str, *, event: EventType, queued_at: str, expires_at: int | None
    ) -> Job | None: ...

    def mark_event_published(
        self, job_id: str, owner: str, *, event: EventType, published_at: str, done: bool
    ) -> Job | None: ...

    def release(self, job_id: str, owner: str) -> None: ...

    def shed_bulk(self, job_id: str, *, input_summary: dict[str, Any]) -> None:
        """Drop the delivery log and replace the input with ``input_summary`` in one write,
        so an item grown too large to update (``JobItemTooLarge``) can end."""
        ...

    def take_redelivery(self, job_id: str, *, now: int, window_seconds: int, limit: int) -> int | None:
        """Count one redelivery in the job's current window: None if allowed, else the epoch
        second its window ends."""
        ...

    def append_delivery(
        self, job_id: str, attempt: DeliveryAttempt, *, callback_status: CallbackStatus | None
    ) -> DeliveryAppend:
        """Add one attempt to the job's delivery log in one write, without reading it first,
        while the log has room (``MAX_ATTEMPTS_KEPT``); once it is full, nothing is written and
        the answer carries the job, for the caller to cap the log with ``record_delivery``."""
        ...

    def record_delivery(
        self,
        job_id: str,
        deliveries: list[DeliveryAttempt],
        *,
        omitted: int,
        callback_status: CallbackStatus | None,
        read: tuple[int, int],
    ) -> bool:
        """Store the job's delivery log (already capped by the caller) if it still holds what
        was ``read`` (attempts kept, attempts omitted); False if another write came first."""
        ...


class PollWorkQueue(Protocol):
    """The poll workers' queue: due jobs one poller invocation cannot check in time."""

    def dispatch(self, job_ids: list[str]) -> None: ...


class UpstreamApi(Protocol):
    """The video provider: create once, then ask how it is going."""

    def upstream_model(self, model: str) -> str: ...

    def create(self, model: str, parameters: Mapping[str, Any]) -> UpstreamGeneration: ...

    def retrieve(self, model: str, generation_id: str) -> UpstreamGeneration: ...


class VideoStorage(Protocol):
    """Where finished videos are kept."""

    def key_for(self, job_id: str) -> str: ...

    def copy_from_url(self, url: str, key: str, metadata: dict[str, str]) -> StoredVideo: ...

    def find_copy(self, key: str, upstream_id: str) -> StoredVideo | None: ...

    def presigned_url(self, video: StoredVideo, ttl_seconds: int) -> str: ...

    def put_manifest(self, job_id: str, document: dict[str, Any]) -> None: ...


class StoredObjects(Protocol):
    """Objects in a bucket, for consumers of the videos: ranged reads and tags."""

    def read_range(self, bucket: str, key: str, offset: int, length: int) -> bytes: ...

    def tag(self, bucket: str, key: str, tags: dict[str, str]) -> None: ...


class DomainEvents(Protocol):
    """The service's own event bus: one event per finished job, for downstream consumers."""

    def publish(self, event: EventType, detail: dict[str, Any]) -> None: ...


class NotificationQueue(Protocol):
    """The notify queue: FIFO per job, deduplicated by id, retries by visibility."""

    def send(self, message: NotificationMessage, *, deduplication_id: str) -> None: ...

    def bury(self, message: NotificationMessage, message_id: str) -> None: ...

    def retry_later(self, receipt_handle: str, delay_seconds: int) -> None: ...

    def release(self, receipt_handles: list[str]) -> None: ...


class CallbackUrlChecker(Protocol):
    """The SSRF guard: the form of a callback URL, and the addresses it may be sent to."""

    def check_form(self, url: str) -> None: ...

    def check(self, url: str) -> list[str]: ...


class WebhookTransport(Protocol):
    """POSTs one signed callback to an address the guard checked."""

    def post(self, url: str, address: str, body: bytes, headers: dict[str, str]) -> DeliveryResult: ...


class CallbackSigner(Protocol):
    def headers(self, message_id: str, timestamp: int, body: bytes) -> dict[str, str]: ...


class ClientSecretStore(Protocol):
    """Each client's webhook signing secrets, encrypted at rest, keyed by API key id."""

    def get(self, owner_id: str) -> ClientSecrets | None: ...

    def create(self, secrets: ClientSecrets) -> bool:
        """Store a client's first secret; False if the client already has one."""
        ...

    def replace(self, secrets: ClientSecrets, *, expected_current: str) -> bool:
        """Store a rotation; False if the current secret changed meanwhile."""
        ...


class IdempotencyStore(Protocol):
    """Runs an action at most once per client and key; repeats get the first answer."""

    def run(
        self,
        owner_id: str,
        idempotency_key: str,
        request: dict[str, Any],
        action: Callable[[], dict[str, Any]],
    ) -> dict[str, Any]: ...

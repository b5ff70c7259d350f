"""What a generation request may say, what a job is, and how a job may change.

The transition table below is the single statement of the job lifecycle; the repository's
conditional writes enforce it.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import re
import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from videohook.errors import InvalidRequest

MAX_PROMPT_CHARS = 1000
MAX_URL_CHARS = 2048
MAX_SEED = 4_294_967_295
MAX_METADATA_BYTES = 2048
# API Gateway caps a request at 10 MB; a first/last frame pair must fit well inside it.
MAX_DATA_URI_CHARS = 4_000_000
DATA_URI = re.compile(r"^data:image/(png|jpeg|jpg|webp|gif);base64,[A-Za-z0-9+/]+={0,2}$")


class JobStatus(StrEnum):
    # Stored before the upstream create, so a submit that dies after paying is never lost.
    SUBMITTING = "submitting"
    QUEUED = "queued"
    GENERATING = "generating"
    COMPLETED = "completed"
    FAILED = "failed"


TERMINAL_STATUSES = frozenset({JobStatus.COMPLETED, JobStatus.FAILED})

# The job lifecycle. A write that is not in this table is refused by a condition.
TRANSITIONS: dict[JobStatus, frozenset[JobStatus]] = {
    JobStatus.SUBMITTING: frozenset({JobStatus.QUEUED, JobStatus.FAILED}),
    JobStatus.QUEUED: frozenset({JobStatus.GENERATING, JobStatus.COMPLETED, JobStatus.FAILED}),
    JobStatus.GENERATING: frozenset({JobStatus.COMPLETED, JobStatus.FAILED}),
    JobStatus.COMPLETED: frozenset(),
    JobStatus.FAILED: frozenset(),
}


def sources_of(target: JobStatus) -> list[JobStatus]:
    """Statuses a job may be in for a move to ``target`` to be legal."""
    return [source for source, targets in TRANSITIONS.items() if target in targets]


# The error code of a job whose submit died between the upstream create and its record.
SUBMIT_INTERRUPTED = "submit_interrupted"


class EventType(StrEnum):
    STARTED = "generation.started"
    COMPLETED = "generation.completed"
    FAILED = "generation.failed"


DEFAULT_CALLBACK_EVENTS = (EventType.COMPLETED, EventType.FAILED)


def _default_events() -> list[EventType]:
    return list(DEFAULT_CALLBACK_EVENTS)


EVENT_FOR_STATUS = {JobStatus.COMPLETED: EventType.COMPLETED, JobStatus.FAILED: EventType.FAILED}


class CallbackStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "callback_failed"
    GONE = "gone"


# --- What clients may ask for -------------------------------------------------------------


def _check_image_source(value: str) -> str:
    if value.startswith("data:"):
        if len(value) > MAX_DATA_URI_CHARS:
            raise ValueError(f"data URI is longer than {MAX_DATA_URI_CHARS} characters")
        if not DATA_URI.fullmatch(value):
            raise ValueError("must be a base64 data URI of a png, jpeg, webp or gif image")
        return value
    if len(value) > MAX_URL_CHARS:
        raise ValueError(f"URL is longer than {MAX_URL_CHARS} characters")
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname:
        raise ValueError("must be an https URL or a data: URI")
    return value


ImageSource = Annotated[str, Field(min_length=1)]


class _GenerationRequestBase(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    prompt: str | None = Field(default=None, max_length=MAX_PROMPT_CHARS)
    image_url: ImageSource
    duration: Literal[5, 10] | None = None
    seed: StrictInt | None = Field(default=None, ge=0, le=MAX_SEED)
    callback_url: str = Field(min_length=1, max_length=MAX_URL_CHARS)
    callback_events: list[EventType] = Field(default_factory=_default_events, min_length=1)
    metadata: dict[str, Any] | None = None

    @field_validator("image_url")
    @classmethod
    def _image_url(cls, value: str) -> str:
        return _check_image_source(value)

    @field_validator("callback_url")
    @classmethod
    def _callback_url(cls, value: str, info: ValidationInfo) -> str:
        local_mode = bool((info.context or {}).get("local_mode"))
        check_callback_url_form(value, local_mode=local_mode)
        return value

    @field_validator("callback_events")
    @classmethod
    def _callback_events(cls, value: list[EventType]) -> list[EventType]:
        return sorted(set(value), key=list(EventType).index)

    @field_validator("metadata")
    @classmethod
    def _metadata(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None and len(json.dumps(value).encode()) > MAX_METADATA_BYTES:
            raise ValueError(f"must serialise to at most {MAX_METADATA_BYTES} bytes of JSON")
        return value

    def upstream_fields(self) -> dict[str, Any]:
        """The request as the provider's generation schema names it (without ``model``)."""
        return self.model_dump(
            exclude={"model", "callback_url", "callback_events", "metadata"}, exclude_none=True
        )


class Gen3aTurboRequest(_GenerationRequestBase):
    model: Literal["gen3a_turbo"]
    ratio: Literal["16:9", "9:16"] | None = None
    last_image_url: ImageSource | None = None

    @field_validator("last_image_url")
    @classmethod
    def _last_image_url(cls, value: str | None) -> str | None:
        return None if value is None else _check_image_source(value)


class Gen4TurboRequest(_GenerationRequestBase):
    model: Literal["gen4_turbo", "runway/gen4_turbo"]
    ratio: Literal["16:9", "9:16", "4:3", "3:4", "1:1", "21:9"] | None = None


GenerationRequest = Annotated[Gen3aTurboRequest | Gen4TurboRequest, Field(discriminator="model")]
SUPPORTED_MODELS = ("gen3a_turbo", "gen4_turbo")


def canonical_model(model: str) -> str:
    """Clients may use the provider's id ``runway/gen4_turbo``; jobs store one spelling."""
    return model.removeprefix("runway/")


def check_callback_url_form(url: str, *, local_mode: bool) -> None:
    """The part of the callback check that needs no DNS: scheme, host, no credentials."""
    parts = urlsplit(url)
    if parts.username is not None or parts.password is not None:
        raise ValueError("must not contain credentials")
    try:
        parts.port  # noqa: B018 - parsing the port is the check
    except ValueError:
        raise ValueError("has an invalid port") from None
    if not parts.hostname:
        raise ValueError("must be an absolute URL with a host")
    if parts.scheme == "https":
        return
    if parts.scheme == "http" and local_mode and _is_loopback_name(parts.hostname):
        return
    if parts.scheme == "http" and local_mode:
        raise ValueError("plain http is accepted only for loopback receivers in local mode")
    raise ValueError("must use https")


def _is_loopback_name(host: str) -> bool:
    """``localhost`` or a loopback IP literal; never a DNS name that merely looks like one."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# --- What the service stores ----------------------------------------------------------------


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_job_id(owner_id: str | None = None, idempotency_key: str | None = None) -> str:
    """Random, or derived from the client's idempotency key: a retried submit then finds the
    job its first attempt stored, even if that attempt died before answering."""
    if owner_id is None or idempotency_key is None:
        return f"gen_{uuid.uuid4().hex}"
    digest = hashlib.sha256(f"{owner_id}\n{idempotency_key}".encode()).hexdigest()
    return f"gen_{digest[:32]}"


class StoredVideo(BaseModel):
    bucket: str
    key: str
    size: int
    sha256: str
    content_type: str = "video/mp4"


MAX_ERROR_MESSAGE_CHARS = 500


class JobError(BaseModel):
    code: str
    # Provider text can be any length; a callback body must stay small.
    message: Annotated[str, StringConstraints(max_length=MAX_ERROR_MESSAGE_CHARS)]

    @field_validator("message", mode="before")
    @classmethod
    def _shorten(cls, value: object) -> object:
        return value[:MAX_ERROR_MESSAGE_CHARS] if isinstance(value, str) else value


class DeliveryAttempt(BaseModel):
    event_type: EventType
    # The queue message this attempt answered: attempts are numbered per message.
    message_id: str | None = None
    attempt: int
    at: str
    duration_ms: int
    status_code: int | None = None
    error: str | None = None
    next_retry_at: str | None = None


class Job(BaseModel):
    """A generation as the service tracks it. Field names are the DynamoDB attributes."""

    model_config = ConfigDict(extra="ignore")

    job_id: str
    owner_id: str
    status: JobStatus
    model: str
    upstream_model: str
    upstream_id: str | None = None
    upstream_status: str | None = None
    input: dict[str, Any]
    callback_url: str
    callback_events: list[EventType] = Field(default_factory=_default_events)
    metadata: dict[str, Any] | None = None
    created_at: str
    updated_at: str
    started_at: str | None = None
    finished_at: str | None = None
    poll_count: int = 0
    video: StoredVideo | None = None
    error: JobError | None = None
    # Sparse index attributes: present while the poller still has something to do.
    pending_partition: str | None = None
    next_check_at: int | None = None
    lease_owner: str | None = None
    lease_expires_at: int | None = None
    # The event a transition owes the notification queue, until it is queued.
    outbox_event: EventType | None = None
    notification_queued_at: str | None = None
    # The last event queued for this job: what a redelivery sends again.
    notified_event: EventType | None = None
    callback_status: CallbackStatus | None = None
    deliveries: list[DeliveryAttempt] = Field(default_factory=list)
    expires_at: int | None = None

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES

    def wants(self, event: EventType) -> bool:
        return event in self.callback_events

    def created_epoch(self) -> float:
        return datetime.fromisoformat(self.created_at).timestamp()


def webhook_id(job_id: str, event_type: EventType) -> str:
    """Stable per job and event: retries and redeliveries reuse it so receivers can dedupe."""
    return f"msg_{job_id.removeprefix('gen_')}_{event_type.value.removeprefix('generation.')}"


def summarise_input(request: Gen3aTurboRequest | Gen4TurboRequest) -> dict[str, Any]:
    """What the job keeps of the request: data URIs are summarised (a job item must stay
    far below DynamoDB's 400 KB), everything else is kept as sent."""
    fields = request.upstream_fields()
    for name in ("image_url", "last_image_url"):
        value = fields.get(name)
        if isinstance(value, str) and value.startswith("data:"):
            media_type = value[5 : value.index(";")]
            fields[name] = f"data:{media_type};base64,... ({len(value)} chars)"
    return fields


class NotificationMessage(BaseModel):
    """The body of a notify-queue message: which job owes which callback."""

    job_id: str
    event_type: EventType
    # A client asked for this event again: deliver it even if it was delivered before.
    redelivery: bool = False


_GENERATION_REQUEST = TypeAdapter(GenerationRequest)


def parse_generation_request(body: str | None, *, local_mode: bool) -> Gen3aTurboRequest | Gen4TurboRequest:
    """Turn a request body into a typed request, or raise ``InvalidRequest`` whose details
    name every offending field and why."""
    if not body:
        raise InvalidRequest("The request body must be a JSON object", details=[])
    try:
        document = json.loads(body)
    except json.JSONDecodeError as exc:
        raise InvalidRequest(f"The request body is not valid JSON: {exc.msg}", details=[]) from None
    if not isinstance(document, dict):
        raise InvalidRequest("The request body must be a JSON object", details=[])
    try:
        return _GENERATION_REQUEST.validate_python(document, context={"local_mode": local_mode})
    except ValidationError as exc:
        details = [_field_error(error) for error in exc.errors(include_url=False, include_input=False)]
        fields = ", ".join(sorted({d["field"] for d in details}))
        raise InvalidRequest(f"Invalid request: check {fields}", details=details) from None


def _field_error(error: Any) -> dict[str, str]:
    location = [str(part) for part in error["loc"]]
    if error["type"] in ("union_tag_invalid", "union_tag_not_found"):
        choices = ", ".join(SUPPORTED_MODELS)
        reason = "is required" if error["type"] == "union_tag_not_found" else "is not supported"
        return {"field": "model", "reason": f"{reason}: use one of {choices}"}
    # The first part of the location is the discriminator's tag (which model was chosen).
    field_path = ".".join(location[1:]) or "body"
    reason = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        reason = f"is not a field of model {location[0]}"
    return {"field": field_path, "reason": reason}


IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,255}")


def parse_idempotency_key(value: str | None) -> str | None:
    """Any 1-255 visible ASCII characters (a UUID is a good choice), or no header at all."""
    if value is None:
        return None
    if not IDEMPOTENCY_KEY.fullmatch(value):
        raise InvalidRequest(
            f"Invalid {IDEMPOTENCY_HEADER} header",
            details=[{"field": IDEMPOTENCY_HEADER, "reason": "must be 1 to 255 visible ASCII characters"}],
        )
    return value

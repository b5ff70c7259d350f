"""What a client may ask for, and how a request body becomes a ``GenerationRequest``."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from videohook.errors import InvalidRequest
from videohook.models.lifecycle import EventType, default_callback_events

MAX_PROMPT_CHARS = 1000
MAX_URL_CHARS = 2048
MAX_SEED = 4_294_967_295
MAX_METADATA_BYTES = 2048
# API Gateway caps a request at 10 MB; a first/last frame pair must fit well inside it.
MAX_DATA_URI_CHARS = 4_000_000
DATA_URI = re.compile(r"^data:image/(png|jpeg|jpg|webp|gif);base64,[A-Za-z0-9+/]+={0,2}$")
# The fields that are the service's own, not the model's parameters.
SERVICE_FIELDS = ("callback_url", "callback_events", "metadata")

# Checks a callback URL's form (no DNS); raises ValueError naming what is wrong.
CallbackUrlFormCheck = Callable[[str], None]


@dataclass(frozen=True)
class GenerationRequest:
    """A validated request: the model, its own parameters (under the provider's names) and
    the service's fields."""

    model: str
    parameters: dict[str, Any]
    callback_url: str
    callback_events: list[EventType] = field(default_factory=default_callback_events)
    metadata: dict[str, Any] | None = None

    def fingerprint(self) -> dict[str, Any]:
        """What makes two requests the same, for idempotency."""
        return {
            "model": self.model,
            "parameters": self.parameters,
            "callback_url": self.callback_url,
            "callback_events": [event.value for event in self.callback_events],
            "metadata": self.metadata,
        }

    def summarised_input(self) -> dict[str, Any]:
        """What the job keeps of the request: data URIs are summarised (a job item must stay
        far below DynamoDB's 400 KB), everything else is kept as sent."""
        return {name: _summarise(value) for name, value in self.parameters.items()}


def _summarise(value: Any) -> Any:
    if isinstance(value, str) and value.startswith("data:") and ";" in value:
        return f"{value[: value.index(';')]};base64,... ({len(value)} chars)"
    if isinstance(value, list):
        return [_summarise(item) for item in value]
    if isinstance(value, dict):
        return {key: _summarise(item) for key, item in value.items()}
    return value


# --- The Runway contract the product started with ---------------------------------------


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


class _ServiceFields(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    callback_url: str = Field(min_length=1, max_length=MAX_URL_CHARS)
    callback_events: list[EventType] = Field(default_factory=default_callback_events, min_length=1)
    metadata: dict[str, Any] | None = None

    @field_validator("callback_url")
    @classmethod
    def _callback_url(cls, value: str, info: ValidationInfo) -> str:
        check: CallbackUrlFormCheck | None = (info.context or {}).get("check_callback_url")
        if check is not None:
            check(value)
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


class _RunwayBase(_ServiceFields):
    prompt: str | None = Field(default=None, max_length=MAX_PROMPT_CHARS)
    image_url: ImageSource
    duration: Literal[5, 10] | None = None
    seed: StrictInt | None = Field(default=None, ge=0, le=MAX_SEED)

    @field_validator("image_url")
    @classmethod
    def _image_url(cls, value: str) -> str:
        return _check_image_source(value)


class Gen3aTurboRequest(_RunwayBase):
    model: Literal["gen3a_turbo"]
    ratio: Literal["16:9", "9:16"] | None = None
    last_image_url: ImageSource | None = None

    @field_validator("last_image_url")
    @classmethod
    def _last_image_url(cls, value: str | None) -> str | None:
        return None if value is None else _check_image_source(value)


class Gen4TurboRequest(_RunwayBase):
    model: Literal["gen4_turbo", "runway/gen4_turbo"]
    ratio: Literal["16:9", "9:16", "4:3", "3:4", "1:1", "21:9"] | None = None


_RUNWAY_REQUEST = TypeAdapter(Annotated[Gen3aTurboRequest | Gen4TurboRequest, Field(discriminator="model")])
SUPPORTED_MODELS = ("gen3a_turbo", "gen4_turbo")


def parse_generation_request(
    body: str | None, *, check_callback_url: CallbackUrlFormCheck
) -> GenerationRequest:
    """Turn a request body into a ``GenerationRequest``, or raise ``InvalidRequest`` whose
    details name every offending field and why."""
    document = parse_json_object(body)
    try:
        parsed = _RUNWAY_REQUEST.validate_python(document, context={"check_callback_url": check_callback_url})
    except ValidationError as exc:
        details = [_field_error(error) for error in exc.errors(include_url=False, include_input=False)]
        fields = ", ".join(sorted({d["field"] for d in details}))
        raise InvalidRequest(f"Invalid request: check {fields}", details=details) from None
    parameters = parsed.model_dump(exclude={"model", *SERVICE_FIELDS}, exclude_none=True)
    return GenerationRequest(
        model=parsed.model.removeprefix("runway/"),
        parameters=parameters,
        callback_url=parsed.callback_url,
        callback_events=parsed.callback_events,
        metadata=parsed.metadata,
    )


def parse_json_object(body: str | None) -> dict[str, Any]:
    if not body:
        raise InvalidRequest("The request body must be a JSON object", details=[])
    try:
        document = json.loads(body)
    except json.JSONDecodeError as exc:
        raise InvalidRequest(f"The request body is not valid JSON: {exc.msg}", details=[]) from None
    if not isinstance(document, dict):
        raise InvalidRequest("The request body must be a JSON object", details=[])
    return document


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

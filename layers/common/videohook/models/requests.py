"""What a client may ask for, and how a request body becomes a ``GenerationRequest``.

A request is ``model`` plus that model's own parameters (under the provider's names, checked
against its schema in the catalog) plus the service's fields: ``callback_url``,
``callback_events`` and ``metadata``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from videohook.catalog import Catalog
from videohook.errors import InvalidRequest
from videohook.models.lifecycle import EventType, default_callback_events

MAX_URL_CHARS = 2048
MAX_METADATA_BYTES = 2048
# What a job keeps of the model's parameters (data URIs summarised): with the other bounds,
# a job item stays under a stated size (``MAX_JOB_ITEM_BYTES``), far below DynamoDB's 400 KB.
MAX_STORED_INPUT_BYTES = 64 * 1024
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


def _service_fields(
    service: dict[str, Any], check_callback_url: CallbackUrlFormCheck
) -> tuple[str, list[EventType], dict[str, Any] | None, list[dict[str, str]]]:
    """The service's own fields of a request (callback URL, events, metadata), checked by
    hand: three fields do not need a validation library on every function's cold start."""
    problems: list[dict[str, str]] = []

    def refuse(name: str, reason: str) -> None:
        problems.append({"field": name, "reason": reason})

    url = service.get("callback_url")
    if url is None:
        refuse("callback_url", "is required")
    elif not isinstance(url, str):
        refuse("callback_url", "must be a string")
    elif not 1 <= len(url) <= MAX_URL_CHARS:
        refuse("callback_url", f"must be 1 to {MAX_URL_CHARS} characters")
    else:
        try:
            check_callback_url(url)
        except ValueError as exc:
            refuse("callback_url", str(exc))

    events = default_callback_events()
    if "callback_events" in service:
        named = service["callback_events"]
        known = [event.value for event in EventType]
        if not isinstance(named, list) or not named:
            refuse("callback_events", f"must be a non-empty list of {', '.join(known)}")
        else:
            for index, name in enumerate(named):
                if name not in known:
                    refuse(f"callback_events.{index}", f"must be one of {', '.join(known)}")
            # Each event once, in lifecycle order, however the client listed them.
            events = [event for event in EventType if event.value in named]

    metadata = service.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        refuse("metadata", "must be a JSON object")
    elif metadata is not None and len(json.dumps(metadata).encode()) > MAX_METADATA_BYTES:
        refuse("metadata", f"must serialise to at most {MAX_METADATA_BYTES} bytes of JSON")
    return url if isinstance(url, str) else "", events, metadata, problems


def parse_generation_request(
    body: str | None, *, catalog: Catalog, check_callback_url: CallbackUrlFormCheck
) -> GenerationRequest:
    """Turn a request body into a ``GenerationRequest``, or raise ``InvalidRequest`` whose
    details name every offending field and why: the service's fields by their rules, the
    model's parameters by the model's own schema in the catalog."""
    document = parse_json_object(body)
    service = {name: document.pop(name) for name in SERVICE_FIELDS if name in document}
    callback_url, callback_events, metadata, problems = _service_fields(service, check_callback_url)

    model = document.pop("model", None)
    spec = catalog.get(model) if isinstance(model, str) else None
    if model is None:
        problems.append({"field": "model", "reason": "is required: see GET /v1/models for the list"})
    elif spec is None:
        problems.append({"field": "model", "reason": "is not a model in the catalog: see GET /v1/models"})
    else:
        problems += [{"field": p.field, "reason": p.reason} for p in catalog.validate(spec.id, document)]
    if len(json.dumps(_summarise(document)).encode()) > MAX_STORED_INPUT_BYTES:
        problems.append(
            {"field": "body", "reason": f"parameters over {MAX_STORED_INPUT_BYTES} bytes of JSON"}
        )

    if problems or not isinstance(model, str):
        names = ", ".join(sorted({problem["field"] for problem in problems}))
        raise InvalidRequest(f"Invalid request: check {names}", details=problems)
    return GenerationRequest(
        model=model,
        parameters=document,
        callback_url=callback_url,
        callback_events=callback_events,
        metadata=metadata,
    )


def parse_json_object(body: str | None) -> dict[str, Any]:
    if not body:
        raise InvalidRequest("The request body must be a JSON object", details=[])
    try:
        document = json.loads(body)
    except json.JSONDecodeError as exc:
        raise InvalidRequest(f"The request body is not valid JSON: {exc.msg}", details=[]) from None
    # Python refuses integers past 4,300 digits (ValueError) and nests only so deep
    # (RecursionError): either is a body no model takes, so a 400, not a 500.
    except (ValueError, RecursionError):
        raise InvalidRequest(
            "The request body has a number too long or nesting too deep", details=[]
        ) from None
    if not isinstance(document, dict):
        raise InvalidRequest("The request body must be a JSON object", details=[])
    return document


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

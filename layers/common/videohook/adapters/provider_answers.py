"""Reading the provider's create and retrieve answers, in every shape its docs show (no HTTP
here: the caller hands in the decoded JSON). The provider's status words stay in this module;
callers see a ``ProviderOutcome``."""

from __future__ import annotations

import json
import math
from typing import Any

from videohook.models.jobs import Usage
from videohook.models.outcomes import ProviderOutcome
from videohook.ports import UpstreamGeneration

MAX_ERROR_CHARS = 500
MAX_STATUS_CHARS = 64
MAX_ID_CHARS = 512


_OUTCOME_OF_WORD = {
    **dict.fromkeys(("completed", "succeeded", "success"), ProviderOutcome.SUCCEEDED),
    **dict.fromkeys(
        ("error", "failed", "cancelled", "canceled", "timeout", "expired"), ProviderOutcome.FAILED
    ),
    **dict.fromkeys(("generating", "active", "processing"), ProviderOutcome.STARTED),
    **dict.fromkeys(("queued", "waiting", "pending"), ProviderOutcome.QUEUED),
}


class UnreadableAnswer(ValueError):
    """A 2xx answer this module cannot read (not a JSON object, or a create without an id)."""


def outcome_of(status_word: str) -> ProviderOutcome:
    return _OUTCOME_OF_WORD.get(status_word.strip().lower(), ProviderOutcome.UNKNOWN)


def parse_create(payload: Any) -> UpstreamGeneration:
    """``{"id", "status", "meta": {"usage"}}``, or legacy MiniMax's ``{"generation_id"}``."""
    answer = _object(payload)
    generation_id = _generation_id(answer)
    if generation_id is None:
        raise UnreadableAnswer("the provider accepted the generation but its answer names no id")
    status = _status_word(answer) or "queued"
    return UpstreamGeneration(
        id=generation_id, status=status, outcome=outcome_of(status), usage=parse_usage(answer)
    )


def parse_retrieve(payload: Any, requested_id: str) -> UpstreamGeneration:
    answer = _object(payload)
    status_word = _status_word(answer)
    return UpstreamGeneration(
        id=_generation_id(answer) or requested_id,
        status=status_word,
        outcome=outcome_of(status_word),
        video_url=video_url_of(answer.get("video")),
        error_message=error_message_of(answer.get("error")),
        usage=parse_usage(answer),
    )


def parse_usage(answer: dict[str, Any]) -> Usage:
    meta = answer.get("meta")
    usage = meta.get("usage") if isinstance(meta, dict) else None
    if not isinstance(usage, dict):
        return Usage()
    credits, tokens = usage.get("credits_used"), usage.get("tokens_used")
    if not isinstance(credits, int | float) or isinstance(credits, bool) or not math.isfinite(credits):
        credits = None
    return Usage(
        credits_used=None if credits is None else float(credits),
        tokens_used=tokens if isinstance(tokens, int) and not isinstance(tokens, bool) else None,
    )


def video_url_of(video: Any) -> str | None:
    """``{"url": ...}``, ``["https://..."]`` (legacy Runway), ``[{"url": ...}]`` or a bare URL."""
    if isinstance(video, list):
        return next((url for url in map(video_url_of, video) if url), None)
    if isinstance(video, dict):
        video = video.get("url")
    return video if isinstance(video, str) and video else None


def error_message_of(error: Any) -> str | None:
    """``{name, message}``, a plain string (legacy Runway) or a validation answer
    ``{"detail": [{"loc", "msg", "type"}]}``, as one line of at most 500 characters."""
    if error is None or error in ("", {}, []):
        return None
    if isinstance(error, str):
        text = error
    elif isinstance(error, dict) and isinstance(error.get("message"), str):
        name = error.get("name")
        text = f"{name}: {error['message']}" if isinstance(name, str) and name else error["message"]
    elif isinstance(error, dict) and isinstance(error.get("detail"), list):
        text = "; ".join(_detail_line(item) for item in error["detail"])
    elif isinstance(error, dict) and isinstance(error.get("detail"), str):
        text = error["detail"]
    else:
        text = json.dumps(error, sort_keys=True, default=str)
    text = " ".join(text.split())
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 3] + "..."


def _detail_line(item: Any) -> str:
    if not isinstance(item, dict):
        return str(item)
    message = str(item.get("msg") or item.get("message") or item.get("type") or "invalid")
    location = item.get("loc")
    if isinstance(location, list) and location:
        return f"{'.'.join(str(part) for part in location)}: {message}"
    return message


def _object(payload: Any) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise UnreadableAnswer(f"the provider answered a JSON {type(payload).__name__}, not an object")
    return payload


def _generation_id(answer: dict[str, Any]) -> str | None:
    """Ids are opaque: UUIDs, ``<uuid>:<model>``, numeric strings, ``video_...:openai/sora-2-t2v``."""
    for key in ("id", "generation_id"):
        value = answer.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if isinstance(value, str) and value.strip() and len(value) <= MAX_ID_CHARS:
            return value
    return None


def _status_word(answer: dict[str, Any]) -> str:
    status = answer.get("status")
    return status.strip().lower()[:MAX_STATUS_CHARS] if isinstance(status, str) else ""

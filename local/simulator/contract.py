"""What the provider promises (see docs "The upstream contract"): the routes, the create
body's schema, the status words, the shape of a retrieve's ``video`` and of error bodies.
Nothing here knows about sockets or state."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any

GENERATION_PATH = "/v2/generate/video/runway/generation"
FILES_PREFIX = "/files/"
SAMPLE_VIDEO_PATH = Path(__file__).resolve().parent.parent / "assets" / "sample.mp4"

MODEL_RATIOS: dict[str, tuple[str, ...]] = {
    "gen3a_turbo": ("16:9", "9:16"),
    "runway/gen4_turbo": ("16:9", "9:16", "4:3", "3:4", "1:1", "21:9"),
}
LAST_IMAGE_MODELS = frozenset({"gen3a_turbo"})
DURATIONS = (5, 10)
MAX_PROMPT_CHARS = 1000
MAX_SEED = 4_294_967_295
IMAGE_URL_PREFIXES = ("https://", "http://", "data:")
KNOWN_FIELDS = frozenset({"model", "prompt", "image_url", "last_image_url", "duration", "ratio", "seed"})

IN_FLIGHT_STATUS = "generating"
SUCCESS_STATUSES = frozenset({"completed", "succeeded"})
# Prompt markers script a generation's outcome.
FAIL_MARKER = "[fail]"
STATUS_MARKER = re.compile(r"\[status:([^\]\s]+)\]")
MODERATION_ERROR = {"name": "GenerationError", "message": "Content moderation rejected the prompt"}

VIDEO_SHAPES = ("alternate", "list", "object")
ID_FIELDS = ("id", "generation_id")

ERROR_MESSAGES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden: insufficient credits",
    404: "Not Found",
    410: "Gone: the file has expired",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Generation timeout",
}


def validate_create_body(payload: Any, *, reject_unknown_fields: bool = True) -> list[str]:
    """Check a create body against the provider's schema; return the problems found."""
    if not isinstance(payload, dict):
        return ["body must be a JSON object"]
    problems: list[str] = []
    if reject_unknown_fields:
        unknown = sorted(set(payload) - KNOWN_FIELDS)
        if unknown:
            problems.append(f"unknown field(s): {', '.join(unknown)}")

    model = payload.get("model")
    model_ok = isinstance(model, str) and model in MODEL_RATIOS
    if "model" not in payload:
        problems.append("model is required")
    elif not model_ok:
        problems.append(f"model must be one of: {', '.join(MODEL_RATIOS)}")

    if "image_url" not in payload:
        problems.append("image_url is required")
    elif not _valid_image_url(payload["image_url"]):
        problems.append("image_url must be an https URL or a data URI")

    if "prompt" in payload:
        prompt = payload["prompt"]
        if not isinstance(prompt, str):
            problems.append("prompt must be a string")
        elif len(prompt) > MAX_PROMPT_CHARS:
            problems.append(f"prompt must be at most {MAX_PROMPT_CHARS} characters")

    if "duration" in payload and not (is_int(payload["duration"]) and payload["duration"] in DURATIONS):
        problems.append(f"duration must be one of: {', '.join(map(str, DURATIONS))}")

    if "ratio" in payload:
        ratio = payload["ratio"]
        allowed = (
            MODEL_RATIOS[model]
            if model_ok
            else tuple(dict.fromkeys(r for rs in MODEL_RATIOS.values() for r in rs))
        )
        if not (isinstance(ratio, str) and ratio in allowed):
            suffix = f" for model {model}" if model_ok else ""
            problems.append(f"ratio must be one of: {', '.join(allowed)}{suffix}")

    if "seed" in payload and not (is_int(payload["seed"]) and 0 <= payload["seed"] <= MAX_SEED):
        problems.append(f"seed must be an integer between 0 and {MAX_SEED}")

    if "last_image_url" in payload:
        if model_ok and model not in LAST_IMAGE_MODELS:
            problems.append(f"last_image_url is not supported by model {model}")
        elif not _valid_image_url(payload["last_image_url"]):
            problems.append("last_image_url must be an https URL or a data URI")
    return problems


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _valid_image_url(value: Any) -> bool:
    return isinstance(value, str) and any(
        value.startswith(prefix) and len(value) > len(prefix) for prefix in IMAGE_URL_PREFIXES
    )


def final_outcome(prompt: str | None) -> tuple[str, Any]:
    """The (final status, final error) a prompt's markers script."""
    text = prompt or ""
    status, error = "completed", None
    if FAIL_MARKER in text:
        status, error = "error", dict(MODERATION_ERROR)
    match = STATUS_MARKER.search(text)
    if match:
        status = match.group(1)
    return status, error


def render_video(url: str, shape: str, index: int) -> Any:
    """The retrieve answer's ``video``: a list of URLs or an object, both seen in the reference
    (``alternate``: odd generations get the list)."""
    if shape == "alternate":
        shape = "list" if index % 2 == 1 else "object"
    return [url] if shape == "list" else {"url": url}


def error_body(status: int, path: str, message: str | None = None) -> dict[str, Any]:
    """The provider's error shape."""
    if message is None:
        message = ERROR_MESSAGES.get(status)
    if message is None:
        try:
            message = HTTPStatus(status).phrase
        except ValueError:
            message = "Error"
    return {
        "message": message,
        "path": path,
        "requestId": str(uuid.uuid4()),
        "statusCode": status,
        "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    }


def format_retry_after(value: Any) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(int(value)) if float(value).is_integer() else str(value)
    return str(value)

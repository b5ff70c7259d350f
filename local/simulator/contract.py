"""What the provider promises (see docs "The upstream contract" and
``/work/shared/provider/README.md``): the routes, which models each serves, the create body's
schema (the catalog's, the very schemas the service validates with), the status words and
the shape of error bodies. Nothing here knows about sockets or state."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any

from videohook.catalog import Catalog, ModelSpec

UNIVERSAL_PATH = "/v2/video/generations"
GENERATION_PATH = "/v2/generate/video/runway/generation"  # where the product began
LEGACY_VENDORS = ("runway", "kling", "minimax", "google", "alibaba", "bytedance", "pixverse")
LEGACY_PATH = re.compile(r"/v2/generate/video/([a-z]+)/generation")
FILES_PREFIX = "/files/"
SAMPLE_VIDEO_PATH = Path(__file__).resolve().parent.parent / "assets" / "sample.mp4"

SUCCESS_STATUSES = frozenset({"completed", "succeeded"})
# Prompt markers script a generation's outcome.
FAIL_MARKER = "[fail]"
STATUS_MARKER = re.compile(r"\[status:([^\]\s]+)\]")
MODERATION_ERROR = {"name": "GenerationError", "message": "Content moderation rejected the prompt"}

# Knobs that override every family's answer: the shape of ``video`` and the create's id key.
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


def generation_route(path: str) -> str | None:
    """The route a path names: ``"universal"``, a legacy vendor, or None."""
    path = path.rstrip("/")
    if path == UNIVERSAL_PATH:
        return "universal"
    match = LEGACY_PATH.fullmatch(path)
    return match[1] if match and match[1] in LEGACY_VENDORS else None


def serves(route: str, spec: ModelSpec) -> bool:
    """Whether ``route`` serves the model: the paths the catalog names for it, and a legacy
    vendor path for that vendor's own models."""
    if route == "universal":
        return spec.create_path == UNIVERSAL_PATH
    return spec.legacy_path == f"/v2/generate/video/{route}/generation" or spec.family == route


def check_create_body(
    payload: Any, route: str, *, reject_unknown_fields: bool = True
) -> tuple[ModelSpec | None, list[str]]:
    """The model a create body asks for and the problems with the body (none: accepted)."""
    if not isinstance(payload, dict):
        return None, ["body must be a JSON object"]
    model = payload.get("model")
    if model is None:
        return None, ["model is required"]
    spec = Catalog.load().get(model) if isinstance(model, str) else None
    # Aliases are the service's names; upstream knows only the ids.
    if spec is None or spec.id != model:
        return None, [f"model {model!r} is not a video model"]
    if not serves(route, spec):
        return None, [f"model {model!r} is not served on this path"]
    params = {name: value for name, value in payload.items() if name != "model"}
    problems = Catalog.load().validate(model, params)
    if not reject_unknown_fields:
        problems = [problem for problem in problems if not problem.reason.startswith("is not a field")]
    return spec, [f"{problem.field}: {problem.reason}" for problem in problems]


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def final_outcome(prompt: str | None, *, done: str, failed: str) -> tuple[str, Any]:
    """The (final status, final error) a prompt's markers script, in a family's words."""
    text = prompt if isinstance(prompt, str) else ""
    status, error = done, None
    if FAIL_MARKER in text:
        status, error = failed, dict(MODERATION_ERROR)
    match = STATUS_MARKER.search(text)
    if match:
        status = match.group(1)
    return status, error


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

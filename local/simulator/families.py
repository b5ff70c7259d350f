"""How each family of models answers (see ``/work/shared/provider/README.md``, "Create
answers" and "Retrieve answers"): the form of its ids, its status words, the shape of
``video`` and of ``error``, and the usage it reports. The legacy per-vendor paths answer in
their older forms (Runway's list of URLs and ``tokens_used``, MiniMax's ``generation_id``).
Nothing here knows about sockets or state."""

from __future__ import annotations

import secrets
import string
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from local.simulator.contract import generation_route

if TYPE_CHECKING:
    from videohook.catalog import Catalog

# What the provider charges per generation, as its examples show it.
CREDITS_PER_GENERATION = 126_000
TOKENS_PER_GENERATION = 525_000  # gen3a_turbo on the legacy Runway path
SHORT_ID_CHARS = 21
_SHORT_ID_ALPHABET = string.ascii_letters + string.digits


class IdStyle(StrEnum):
    UUID = "uuid"  # Runway
    UUID_MODEL = "uuid:model"  # Kling, Veo
    NUMERIC = "numeric"  # MiniMax
    SORA = "sora"  # video_<hex>:openai/sora-2-t2v
    SHORT = "short"  # Wan, PixVerse, Seedance and the rest


class VideoStyle(StrEnum):
    FILE = "file"  # {url, content_type, file_name, file_size}
    FILES = "files"  # a list of such objects
    REFERENCE = "reference"  # legacy Runway: a list of URLs or {url}, both in its reference


class ErrorStyle(StrEnum):
    NAMED = "named"  # {name, message}
    TEXT = "text"  # a plain string
    DETAIL = "detail"  # a validation answer {detail: [{loc, msg, type}]}


@dataclass(frozen=True)
class AnswerShape:
    ids: IdStyle = IdStyle.SHORT
    in_flight: tuple[str, ...] = ("generating",)  # reported on successive pending retrieves
    done: str = "completed"
    failed: str = "error"
    video: VideoStyle = VideoStyle.FILE
    error: ErrorStyle = ErrorStyle.NAMED
    usage_key: str = "credits_used"
    create_id_key: str = "id"  # legacy MiniMax answers `generation_id` (and nothing else)

    def new_id(self, model: str) -> str:
        if self.ids is IdStyle.UUID:
            return str(uuid.uuid4())
        if self.ids is IdStyle.UUID_MODEL:
            return f"{uuid.uuid4()}:{model}"
        if self.ids is IdStyle.NUMERIC:
            return str(10**17 + secrets.randbelow(9 * 10**17))
        if self.ids is IdStyle.SORA:
            return f"video_{secrets.token_hex(24)}:{model}"
        return "".join(secrets.choice(_SHORT_ID_ALPHABET) for _ in range(SHORT_ID_CHARS))

    def in_flight_status(self, retrieves: int) -> str:
        return self.in_flight[min(max(retrieves, 1), len(self.in_flight)) - 1]

    def usage(self) -> dict[str, Any]:
        amount = TOKENS_PER_GENERATION if self.usage_key == "tokens_used" else CREDITS_PER_GENERATION
        return {"usage": {self.usage_key: amount}}

    def render_error(self, error: Any) -> Any:
        """A scripted ``{name, message}`` failure in this family's shape."""
        if not isinstance(error, Mapping):
            return error
        if self.error is ErrorStyle.TEXT:
            return error["message"]
        if self.error is ErrorStyle.DETAIL:
            return {"detail": [{"loc": ["body", "prompt"], "msg": error["message"], "type": "value_error"}]}
        return dict(error)

    def render_video(self, url: str, *, file_name: str, file_size: int, index: int) -> Any:
        if self.video is VideoStyle.REFERENCE:
            return render_reference_video(url, "alternate", index)
        described = {"url": url, "content_type": "video/mp4", "file_name": file_name, "file_size": file_size}
        return [described] if self.video is VideoStyle.FILES else described


def render_reference_video(url: str, shape: str, index: int) -> Any:
    """``video`` as the Runway reference shows it: a list of URLs or ``{url}``
    (``alternate``: odd generations get the list)."""
    if shape == "alternate":
        shape = "list" if index % 2 == 1 else "object"
    return [url] if shape == "list" else {"url": url}


_DEFAULT = AnswerShape()
_SUCCEEDING = AnswerShape(done="succeeded", failed="failed")
_WAITING = AnswerShape(in_flight=("waiting", "active"))

FAMILY_SHAPES: dict[str, AnswerShape] = {
    "runway": AnswerShape(ids=IdStyle.UUID),
    "kling": AnswerShape(ids=IdStyle.UUID_MODEL, error=ErrorStyle.DETAIL),
    "google": AnswerShape(ids=IdStyle.UUID_MODEL),
    "minimax": replace(_WAITING, ids=IdStyle.NUMERIC),
    "luma": _WAITING,
    "openai": AnswerShape(ids=IdStyle.SORA),
    "pixverse": _SUCCEEDING,
    "bytedance": _SUCCEEDING,
    "alibaba": AnswerShape(video=VideoStyle.FILES),
}
LEGACY_SHAPES: dict[str, AnswerShape] = {
    "runway": AnswerShape(
        ids=IdStyle.UUID, video=VideoStyle.REFERENCE, error=ErrorStyle.TEXT, usage_key="tokens_used"
    ),
    "minimax": replace(FAMILY_SHAPES["minimax"], create_id_key="generation_id"),
}


def answer_shape(family: str, legacy_vendor: str | None) -> AnswerShape:
    """How a model of ``family`` answers on the universal pair (``legacy_vendor`` None) or
    on the legacy path of ``legacy_vendor``."""
    return LEGACY_SHAPES.get(legacy_vendor or "") or FAMILY_SHAPES.get(family, _DEFAULT)


def one_model_per_answer(catalog: Catalog) -> dict[str, str]:
    """A model for each way of answering (a family on each route it is created on), labelled
    ``"family@route"``; models with a ``prompt`` come first, so a prompt marker can script
    their outcome."""
    chosen: dict[str, str] = {}
    ranked = sorted(
        catalog.models(), key=lambda spec: ("prompt" not in spec.parameters.get("properties", {}), spec.id)
    )
    for spec in ranked:
        route = generation_route(spec.create_path) or "unrouted"
        chosen.setdefault(f"{spec.family}@{route}", spec.id)
    return dict(sorted(chosen.items()))

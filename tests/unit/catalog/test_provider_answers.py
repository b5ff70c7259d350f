"""Every create and retrieve answer shape the provider's docs show, read the same way."""

from __future__ import annotations

from typing import Any

import pytest

from videohook.adapters.provider_answers import (
    MAX_ERROR_CHARS,
    UnreadableAnswer,
    parse_create,
    parse_retrieve,
)
from videohook.models.jobs import Usage
from videohook.models.outcomes import ProviderOutcome

RUNWAY_ID = "a12b3456-7c89-0de1-23f4-g567d584f98d"


@pytest.mark.parametrize(
    ("payload", "expected_id"),
    [
        ({"id": RUNWAY_ID, "status": "queued"}, RUNWAY_ID),
        ({"id": "b7c1e2f0-1111-4c1d-9e6a-2b4f5d8c9a10:kling-video/v1.6/pro/image-to-video"}, None),
        ({"generation_id": "292418842259457"}, "292418842259457"),  # legacy MiniMax
        ({"id": 292418842259457, "status": "queued"}, "292418842259457"),
        ({"id": "video_68e3d0f1a2:openai/sora-2-t2v", "status": "queued"}, None),
        ({"id": "qT7x9"}, "qT7x9"),
    ],
)
def test_create_answers_give_an_opaque_id(payload: dict[str, Any], expected_id: str | None) -> None:
    created = parse_create(payload)
    assert created.id == (expected_id or payload["id"])
    assert created.status == "queued"


def test_create_records_credits_or_tokens_used() -> None:
    answer = {"id": "x1", "status": "queued", "meta": {"usage": {"credits_used": 126000}}}
    assert parse_create(answer).usage == Usage(credits_used=126000.0)
    older = {"id": "x1", "meta": {"usage": {"tokens_used": 525000}}}
    assert parse_create(older).usage == Usage(tokens_used=525000)
    assert parse_create({"id": "x1"}).usage == Usage()
    nonsense = {"id": "x1", "meta": {"usage": {"credits_used": True, "tokens_used": "5"}}}
    assert parse_create(nonsense).usage == Usage()


@pytest.mark.parametrize("payload", [{"status": "queued"}, {"id": ""}, {"id": True}, [], "queued", None])
def test_a_create_answer_without_an_id_is_unreadable(payload: Any) -> None:
    with pytest.raises(UnreadableAnswer):
        parse_create(payload)


@pytest.mark.parametrize(
    ("word", "outcome"),
    [
        ("completed", ProviderOutcome.SUCCEEDED),
        ("succeeded", ProviderOutcome.SUCCEEDED),
        ("success", ProviderOutcome.SUCCEEDED),
        ("error", ProviderOutcome.FAILED),
        ("failed", ProviderOutcome.FAILED),
        ("cancelled", ProviderOutcome.FAILED),
        ("canceled", ProviderOutcome.FAILED),
        ("timeout", ProviderOutcome.FAILED),
        ("expired", ProviderOutcome.FAILED),
        ("generating", ProviderOutcome.STARTED),
        ("active", ProviderOutcome.STARTED),
        ("processing", ProviderOutcome.STARTED),
        ("queued", ProviderOutcome.QUEUED),
        ("waiting", ProviderOutcome.QUEUED),
        ("pending", ProviderOutcome.QUEUED),
        (" Completed ", ProviderOutcome.SUCCEEDED),
        ("dreaming", ProviderOutcome.UNKNOWN),
        ("", ProviderOutcome.UNKNOWN),
    ],
)
def test_status_words_map_to_outcomes(word: str, outcome: ProviderOutcome) -> None:
    retrieved = parse_retrieve({"id": "g1", "status": word}, "g1")
    assert retrieved.outcome is outcome
    assert retrieved.status == word.strip().lower()


def test_a_missing_status_is_unknown() -> None:
    assert parse_retrieve({"id": "g1"}, "g1").outcome is ProviderOutcome.UNKNOWN


@pytest.mark.parametrize(
    "video",
    [
        {"url": "https://cdn.example.com/v.mp4"},
        {
            "url": "https://cdn.example.com/v.mp4",
            "content_type": "video/mp4",
            "file_name": "v.mp4",
            "file_size": 9,
        },
        ["https://cdn.example.com/v.mp4"],
        ["https://cdn.example.com/v.mp4", "https://cdn.example.com/other.mp4"],
        [{"url": "https://cdn.example.com/v.mp4"}],
        "https://cdn.example.com/v.mp4",
    ],
)
def test_the_video_url_is_read_from_every_shape(video: Any) -> None:
    retrieved = parse_retrieve({"id": "g1", "status": "completed", "video": video}, "g1")
    assert retrieved.video_url == "https://cdn.example.com/v.mp4"
    assert retrieved.outcome is ProviderOutcome.SUCCEEDED


@pytest.mark.parametrize("video", [None, [], {}, {"url": ""}, [""], 5, [{"href": "x"}]])
def test_no_video_means_no_url(video: Any) -> None:
    assert parse_retrieve({"id": "g1", "status": "generating", "video": video}, "g1").video_url is None


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (
            {"name": "ContentModeration", "message": "Prompt was rejected"},
            "ContentModeration: Prompt was rejected",
        ),
        ({"message": "Generation timeout"}, "Generation timeout"),
        ("Task failed: image too small", "Task failed: image too small"),
        (
            {
                "detail": [
                    {"loc": ["body", "image_url"], "msg": "field required", "type": "value_error.missing"}
                ]
            },
            "body.image_url: field required",
        ),
        ({"detail": [{"msg": "a"}, {"loc": ["body", "n"], "msg": "b"}]}, "a; body.n: b"),
        ({"detail": "Not found"}, "Not found"),
        ({"code": 7}, '{"code": 7}'),
        (None, None),
        ("", None),
        ({}, None),
    ],
)
def test_errors_are_read_from_every_shape(error: Any, message: str | None) -> None:
    retrieved = parse_retrieve({"id": "g1", "status": "error", "error": error}, "g1")
    assert retrieved.error_message == message
    assert retrieved.outcome is ProviderOutcome.FAILED


def test_error_text_is_bounded_and_on_one_line() -> None:
    retrieved = parse_retrieve({"id": "g1", "status": "failed", "error": "line\n" * 400}, "g1")
    assert retrieved.error_message is not None
    assert len(retrieved.error_message) == MAX_ERROR_CHARS
    assert "\n" not in retrieved.error_message


def test_retrieve_keeps_the_answers_id_or_the_requested_one() -> None:
    assert parse_retrieve({"status": "queued"}, "292418842259457").id == "292418842259457"
    assert (
        parse_retrieve({"generation_id": "292418842259457", "status": "queued"}, "x").id == "292418842259457"
    )
    sora = "video_68e3d0f1a2:openai/sora-2-t2v"
    assert parse_retrieve({"id": sora, "status": "completed"}, sora).id == sora


def test_retrieve_records_usage() -> None:
    answer = {"id": "g1", "status": "completed", "meta": {"usage": {"credits_used": 12.5}}}
    assert parse_retrieve(answer, "g1").usage == Usage(credits_used=12.5)


def test_a_retrieve_answer_that_is_not_an_object_is_unreadable() -> None:
    with pytest.raises(UnreadableAnswer):
        parse_retrieve(["completed"], "g1")

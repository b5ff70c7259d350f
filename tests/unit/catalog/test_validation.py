"""What ``Catalog.validate`` refuses, and the words it gives, rule by rule across families."""

from __future__ import annotations

from typing import Any

import pytest

from videohook.catalog import Catalog, FieldProblem
from videohook.catalog.examples import media_data_uri, media_url, minimal_request

CATALOG = Catalog.load()
IMAGE = "https://media.example.com/first.png"


def problems(model: str, **params: Any) -> list[FieldProblem]:
    return CATALOG.validate(model, params)


def with_minimal(model: str, **changes: Any) -> list[FieldProblem]:
    spec = CATALOG.get(model)
    assert spec is not None
    return CATALOG.validate(model, {**minimal_request(spec), **changes})


# --- Requests that work today keep working ------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"prompt": "A jellyfish in the ocean", "ratio": "16:9", "image_url": IMAGE},
        {
            "prompt": "text",
            "image_url": IMAGE,
            "last_image_url": "https://media.example.com/last.jpg",
            "duration": 5,
            "ratio": "9:16",
            "seed": 4294967295,
        },
        {"image_url": "data:image/png;base64,iVBORw0KGgo=", "duration": 10, "seed": 0},
    ],
)
def test_todays_gen3a_turbo_requests_validate(body: dict[str, Any]) -> None:
    assert CATALOG.validate("gen3a_turbo", body) == []


def test_todays_gen4_turbo_requests_validate_under_the_alias() -> None:
    body = {"prompt": "A fox", "image_url": IMAGE, "duration": 10, "ratio": "21:9", "seed": 7}
    assert CATALOG.validate("gen4_turbo", body) == []
    assert CATALOG.validate("runway/gen4_turbo", body) == []


def test_gen4_turbo_has_no_last_frame_and_gen3a_turbo_no_square_ratio() -> None:
    assert problems("gen4_turbo", image_url=IMAGE, last_image_url=IMAGE) == [
        FieldProblem("last_image_url", "is not a field of model runway/gen4_turbo")
    ]
    assert problems("gen3a_turbo", image_url=IMAGE, ratio="1:1") == [
        FieldProblem("ratio", 'must be one of "16:9", "9:16"')
    ]


# --- One rule at a time --------------------------------------------------------------------


def test_missing_required_fields_are_each_named() -> None:
    assert problems("veed/fabric-1.0") == [
        FieldProblem("audio_url", "is required"),
        FieldProblem("image_url", "is required"),
    ]
    assert problems("runway/act_two", character={"type": "image"}) == [
        FieldProblem("character.url", "is required"),
        FieldProblem("reference", "is required"),
    ]
    assert problems("openai/sora-2-t2v") == [FieldProblem("prompt", "is required")]


def test_enum_values_are_listed() -> None:
    assert with_minimal("runway/gen4_turbo", duration=7) == [FieldProblem("duration", "must be one of 5, 10")]
    found = with_minimal("google/veo-3.1-t2v", resolution="4K")
    assert [problem.field for problem in found] == ["resolution"]
    assert found[0].reason.startswith("must be one of ")


def test_ranges_are_stated() -> None:
    assert with_minimal("gen3a_turbo", seed=-1) == [FieldProblem("seed", "must be at least 0")]
    assert with_minimal("gen3a_turbo", seed=4294967296) == [
        FieldProblem("seed", "must be at most 4294967295")
    ]
    assert with_minimal("kling-video/v1.5/pro/image-to-video", camera_control={"config": {"zoom": 10.5}}) == [
        FieldProblem("camera_control.config.zoom", "must be at most 10")
    ]


def test_lengths_are_stated() -> None:
    assert with_minimal("gen3a_turbo", prompt="x" * 1001) == [
        FieldProblem("prompt", "must be at most 1000 characters")
    ]


def test_booleans_are_not_integers_nor_strings_numbers() -> None:
    assert with_minimal("gen3a_turbo", seed=True) == [FieldProblem("seed", "must be an integer")]
    assert with_minimal("gen3a_turbo", seed=3.0) == [FieldProblem("seed", "must be an integer")]
    assert FieldProblem("duration", "must be an integer") in with_minimal("gen3a_turbo", duration="5")
    assert with_minimal("kling-video/v1.5/pro/image-to-video", cfg_scale="0.5") == [
        FieldProblem("cfg_scale", "must be a number")
    ]
    assert with_minimal("kling-video/v1.5/pro/image-to-video", cfg_scale=False) == [
        FieldProblem("cfg_scale", "must be a number")
    ]
    assert with_minimal("kling-video/v1.5/pro/image-to-video", cfg_scale=float("nan")) == [
        FieldProblem("cfg_scale", "must be a number")
    ]


def test_booleans_must_be_booleans() -> None:
    assert with_minimal("google/veo-3.1-t2v", generate_audio="true") == [
        FieldProblem("generate_audio", "must be true or false")
    ]


def test_array_sizes_are_stated() -> None:
    one = [media_url("image")]
    assert problems("kling-video/v1.6/standard/multi-image-to-video", image_list=one, prompt="p") == [
        FieldProblem("image_list", "must have at least 2 items")
    ]
    five = [media_url("image", str(n)) for n in range(5)]
    assert problems("kling-video/v1.6/standard/multi-image-to-video", image_list=five, prompt="p") == [
        FieldProblem("image_list", "must have at most 4 items")
    ]


def test_nested_objects_are_checked_field_by_field() -> None:
    masks = [{"mask": media_url("image"), "trajectories": [{"x": 1, "y": True}], "speed": 2}]
    assert with_minimal("kling-video/v1.5/pro/image-to-video", dynamic_masks=masks) == [
        FieldProblem("dynamic_masks.0.speed", "is not a field of dynamic_masks.0"),
        FieldProblem("dynamic_masks.0.trajectories", "must have at least 2 items"),
        FieldProblem("dynamic_masks.0.trajectories.0.y", "must be an integer"),
    ]


def test_keyframes_report_the_problem_of_the_form_the_client_meant() -> None:
    keyframes = {
        "frame0": {"type": "image", "url": "http://media.example.com/a.png"},
        "frame1": {"type": "generation", "id": "not-a-uuid"},
    }
    assert with_minimal("luma/ray-2", keyframes=keyframes) == [
        FieldProblem(
            "keyframes.frame0.url", "must be an https URL or a data URI (data:image/...;base64,...)"
        ),
        FieldProblem("keyframes.frame1.id", "must be a UUID"),
    ]
    assert with_minimal("luma/ray-2", keyframes={"frame0": {"type": "sketch"}, "frame1": 3}) == [
        FieldProblem("keyframes.frame0.type", 'must be one of "image", "generation"'),
        FieldProblem("keyframes.frame1", "must be an object or null"),
    ]
    assert (
        with_minimal("luma/ray-2", keyframes={"frame0": None, "frame1": {"type": "image", "url": IMAGE}})
        == []
    )


def test_tagged_references_take_media_of_their_tag() -> None:
    character = {"type": "video", "url": media_data_uri("image")}
    reference = {"type": "video", "url": media_url("video")}
    assert problems("runway/act_two", character=character, reference=reference) == [
        FieldProblem("character.url", "must be video data (data:video/...), not image")
    ]
    assert problems("runway/act_two", character={"type": "image", "url": IMAGE}, reference=reference) == []
    references = [{"type": "image", "url": media_data_uri("audio")}]
    assert with_minimal("runway/gen4_aleph", references=references) == [
        FieldProblem("references.0.url", "must be image data (data:image/...), not audio")
    ]


def test_unknown_fields_are_refused_with_the_model_named() -> None:
    assert with_minimal("klingai/v2-master-text-to-video", aspect="16:9", callback_url=IMAGE) == [
        FieldProblem("aspect", "is not a field of model klingai/v2-master-text-to-video"),
        FieldProblem("callback_url", "is not a field of model klingai/v2-master-text-to-video"),
    ]


def test_every_problem_is_reported_not_only_the_first() -> None:
    found = problems("gen3a_turbo", image_url="ftp://x", seed="1", ratio="2:1", prompt=5, colour="red")
    assert [problem.field for problem in found] == ["colour", "image_url", "prompt", "ratio", "seed"]


def test_an_unknown_model_is_a_problem_with_model() -> None:
    assert problems("runway/gen9") == [FieldProblem("model", "is not a model in the catalog")]


# --- URL-valued inputs ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://media.example.com/a.png",
        "https:///a.png",
        "media.example.com/a.png",
        "gs://bucket/a.png",
        "https://media.example.com/a b.png",
        "https://media.example.com:port/a.png",
        "https://media.example.com/" + "a" * 2048,
        "data:image/png,iVBORw0KGgo=",
        "data:image/png;base64,not base64!",
        "data:;base64,AAAA",
    ],
)
def test_a_url_field_takes_only_https_urls_with_a_host_or_base64_data_uris(url: str) -> None:
    found = with_minimal("alibaba/wan-2-6-i2v", image_url=url)
    assert [problem.field for problem in found] == ["image_url"]


@pytest.mark.parametrize(
    ("model", "field", "wrong_kind", "right_kind"),
    [
        ("alibaba/wan-2-6-i2v", "image_url", "video", "image"),
        ("klingai/video-o1-video-to-video-edit", "video_url", "image", "video"),
        ("bytedance/omnihuman", "audio_url", "video", "audio"),
        ("google/veo-3.1-first-last-image-to-video", "last_image_url", "audio", "image"),
    ],
)
def test_a_data_uri_must_carry_the_fields_media_kind(
    model: str, field: str, wrong_kind: str, right_kind: str
) -> None:
    assert with_minimal(model, **{field: media_data_uri(wrong_kind)}) == [
        FieldProblem(field, f"must be {right_kind} data (data:{right_kind}/...), not {wrong_kind}")
    ]
    assert with_minimal(model, **{field: media_data_uri(right_kind)}) == []


def test_url_list_items_are_checked_each() -> None:
    urls = [media_url("video"), "http://media.example.com/b.mp4", media_data_uri("image")]
    assert with_minimal("alibaba/wan-2-6-r2v", video_urls=urls) == [
        FieldProblem("video_urls.1", "must be an https URL or a data URI (data:video/...;base64,...)"),
        FieldProblem("video_urls.2", "must be video data (data:video/...), not image"),
    ]


def test_kling_effects_take_one_image_url_or_a_list_of_them() -> None:
    spec = CATALOG.get("klingai/kling-video-v1.6-pro-effects")
    assert spec is not None
    assert with_minimal(spec.id, image_url=[IMAGE, media_data_uri("image")]) == []
    assert with_minimal(spec.id, image_url=5) == [FieldProblem("image_url", "must be a string or a list")]
    assert with_minimal(spec.id, image_url=[IMAGE, "http://x.example/b.png"]) == [
        FieldProblem("image_url.1", "must be an https URL or a data URI (data:image/...;base64,...)")
    ]

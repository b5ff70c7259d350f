"""The public request contract for the two models the product started with (Runway
``gen3a_turbo`` and ``gen4_turbo``): requests that worked before the catalog still work, and
what ``parse_generation_request`` refuses,
and that every refusal names the offending field."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from videohook.callback_guard import CallbackUrlGuard
from videohook.catalog import Catalog
from videohook.errors import InvalidRequest
from videohook.models.lifecycle import EventType
from videohook.models.requests import (
    MAX_METADATA_BYTES,
    MAX_STORED_INPUT_BYTES,
    MAX_URL_CHARS,
    GenerationRequest,
    parse_generation_request,
)

# The Runway contract the product started with (the seed page): still what these two take.
MAX_PROMPT_CHARS = 1000
MAX_SEED = 4_294_967_295


def parse(text: str | None, *, local_mode: bool) -> GenerationRequest:
    return parse_generation_request(
        text, catalog=Catalog.load(), check_callback_url=CallbackUrlGuard(local_mode=local_mode).check_form
    )


PNG_DATA_URI = "data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(64)).decode()
JPEG_DATA_URI = "data:image/jpeg;base64," + base64.b64encode(bytes(range(48))).decode()
CALLBACK = "https://hooks.example.com/videohook"

GEN3A: dict[str, Any] = {
    "model": "gen3a_turbo",
    "prompt": "A lighthouse at dusk, waves rolling in",
    "image_url": "https://images.example.com/first.png",
    "last_image_url": "https://images.example.com/last.png",
    "duration": 5,
    "ratio": "16:9",
    "seed": 42,
    "callback_url": CALLBACK,
    "metadata": {"order_id": "ord_1234"},
}
GEN4: dict[str, Any] = {
    "model": "gen4_turbo",
    "prompt": "A fox running through snow",
    "image_url": "https://images.example.com/fox.png",
    "duration": 10,
    "ratio": "21:9",
    "seed": 7,
    "callback_url": CALLBACK,
}
REMOVE = object()


def body(base: dict[str, Any], **changes: Any) -> str:
    document = {**base, **changes}
    return json.dumps({k: v for k, v in document.items() if v is not REMOVE})


def refused_fields(text: str, *, local_mode: bool = False) -> set[str]:
    """Parse a body that must be refused; answer the fields its details name."""
    with pytest.raises(InvalidRequest) as refused:
        parse(text, local_mode=local_mode)
    return {detail["field"] for detail in refused.value.details}


# --- valid requests ------------------------------------------------------------------------


def test_a_full_gen3a_turbo_request_parses_into_its_model():
    request = parse(body(GEN3A), local_mode=False)

    assert request.model == "gen3a_turbo"
    assert request.parameters["duration"] == 5
    assert request.parameters["ratio"] == "16:9"
    assert request.parameters["seed"] == 42
    assert request.parameters["last_image_url"] == GEN3A["last_image_url"]
    assert request.metadata == {"order_id": "ord_1234"}


def test_a_full_gen4_turbo_request_parses_into_its_model():
    request = parse(body(GEN4), local_mode=False)

    assert request.model == "gen4_turbo"
    assert request.parameters["duration"] == 10
    assert request.parameters["ratio"] == "21:9"


def test_the_provider_spelling_runway_gen4_turbo_names_the_same_model_as_gen4_turbo():
    catalog = Catalog.load()
    for name in ("runway/gen4_turbo", "gen4_turbo"):
        request = parse(body(GEN4, model=name), local_mode=False)

        assert request.model == name  # the job shows the name its client used
        assert catalog.get(request.model) is catalog.get("runway/gen4_turbo")


def test_only_model_image_url_and_callback_url_are_required():
    minimal = {"model": "gen3a_turbo", "image_url": PNG_DATA_URI, "callback_url": CALLBACK}

    request = parse(json.dumps(minimal), local_mode=False)

    assert request.parameters == {"image_url": PNG_DATA_URI}


@pytest.mark.parametrize(
    "missing", ["model", "image_url", "callback_url"], ids=lambda name: f"without-{name}"
)
def test_a_missing_required_field_is_named(missing):
    assert refused_fields(body(GEN3A, **{missing: REMOVE})) == {missing}


@pytest.mark.parametrize("model", ["gen5", "runway/gen3a_turbo", "", 3])
def test_an_unsupported_model_is_refused_on_the_model_field(model):
    with pytest.raises(InvalidRequest) as refused:
        parse(body(GEN3A, model=model), local_mode=False)

    assert [d["field"] for d in refused.value.details] == ["model"]
    assert "GET /v1/models" in refused.value.details[0]["reason"]


@pytest.mark.parametrize("text", [None, "", "not json", "[1, 2]", '"a string"', "42"])
def test_a_body_that_is_not_a_json_object_is_refused(text):
    with pytest.raises(InvalidRequest):
        parse(text, local_mode=False)


def test_every_offending_field_is_named_at_once():
    text = body(GEN3A, prompt="x" * (MAX_PROMPT_CHARS + 1), seed=-1, ratio="1:1")

    assert refused_fields(text) == {"prompt", "seed", "ratio"}


# --- prompt --------------------------------------------------------------------------------


def test_a_prompt_of_exactly_1000_characters_is_accepted():
    request = parse(body(GEN3A, prompt="p" * MAX_PROMPT_CHARS), local_mode=False)

    assert len(request.parameters["prompt"]) == 1000


def test_a_prompt_longer_than_1000_characters_is_refused():
    assert refused_fields(body(GEN3A, prompt="p" * (MAX_PROMPT_CHARS + 1))) == {"prompt"}


# --- image_url / last_image_url ------------------------------------------------------------


@pytest.mark.parametrize("image", [PNG_DATA_URI, JPEG_DATA_URI, "https://images.example.com/a.webp?v=2"])
def test_an_https_url_or_an_image_data_uri_is_accepted_as_first_frame(image):
    request = parse(body(GEN4, image_url=image), local_mode=False)

    assert request.parameters["image_url"] == image


@pytest.mark.parametrize(
    "image",
    [
        "http://images.example.com/a.png",
        "ftp://images.example.com/a.png",
        "images.example.com/a.png",
        "https:///a.png",
        "",
        "data:text/plain;base64,aGVsbG8=",
        "data:image/png,not-base64-encoded",
        "data:image/png;base64,not base64!",
        "data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=",
        "https://images.example.com/" + "a" * MAX_URL_CHARS,
    ],
    ids=[
        "http",
        "ftp",
        "no-scheme",
        "no-host",
        "empty",
        "text-data-uri",
        "data-uri-not-base64",
        "data-uri-bad-base64",
        "svg-data-uri",
        "url-too-long",
    ],
)
def test_an_image_url_that_is_neither_https_nor_an_image_data_uri_is_refused(image):
    assert refused_fields(body(GEN4, image_url=image)) == {"image_url"}


def test_a_data_uri_with_a_trailing_newline_is_refused():
    # A raw newline is not part of a data URI; the provider would get the malformed value.
    assert refused_fields(body(GEN4, image_url=PNG_DATA_URI + "\n")) == {"image_url"}


def test_last_image_url_is_checked_like_image_url_on_gen3a_turbo():
    assert refused_fields(body(GEN3A, last_image_url="http://images.example.com/b.png")) == {"last_image_url"}


def test_last_image_url_is_refused_on_gen4_turbo():
    text = body(GEN4, last_image_url="https://images.example.com/last.png")

    assert refused_fields(text) == {"last_image_url"}


# --- duration, ratio, seed -----------------------------------------------------------------


@pytest.mark.parametrize("duration", [5, 10])
def test_duration_5_or_10_is_accepted(duration):
    assert parse(body(GEN3A, duration=duration), local_mode=False).parameters["duration"] == duration


@pytest.mark.parametrize("duration", [0, 7, 15, -5, "5", "10", True, 5.5, [5]])
def test_any_other_duration_is_refused_without_coercion(duration):
    assert refused_fields(body(GEN3A, duration=duration)) == {"duration"}


@pytest.mark.parametrize("ratio", ["16:9", "9:16"])
def test_gen3a_turbo_accepts_its_two_ratios(ratio):
    assert parse(body(GEN3A, ratio=ratio), local_mode=False).parameters["ratio"] == ratio


@pytest.mark.parametrize("ratio", ["4:3", "3:4", "1:1", "21:9", "16/9", ""])
def test_gen3a_turbo_refuses_other_ratios(ratio):
    assert refused_fields(body(GEN3A, ratio=ratio)) == {"ratio"}


@pytest.mark.parametrize("ratio", ["16:9", "9:16", "4:3", "3:4", "1:1", "21:9"])
def test_gen4_turbo_accepts_its_six_ratios(ratio):
    assert parse(body(GEN4, ratio=ratio), local_mode=False).parameters["ratio"] == ratio


@pytest.mark.parametrize("ratio", ["2:1", "9:21", "16:10"])
def test_gen4_turbo_refuses_other_ratios(ratio):
    assert refused_fields(body(GEN4, ratio=ratio)) == {"ratio"}


@pytest.mark.parametrize("seed", [0, 1, MAX_SEED])
def test_seed_bounds_are_inclusive(seed):
    assert parse(body(GEN4, seed=seed), local_mode=False).parameters["seed"] == seed


@pytest.mark.parametrize("seed", [-1, MAX_SEED + 1, "42", True, 4.0, 1.5])
def test_a_seed_that_is_not_a_strict_integer_in_range_is_refused(seed):
    assert refused_fields(body(GEN4, seed=seed)) == {"seed"}


@given(seed=st.integers(min_value=0, max_value=MAX_SEED))
def test_property_any_seed_in_range_parses(seed):
    assert parse(body(GEN3A, seed=seed), local_mode=False).parameters["seed"] == seed


@given(seed=st.one_of(st.integers(max_value=-1), st.integers(min_value=MAX_SEED + 1)))
def test_property_any_seed_out_of_range_is_refused_naming_seed(seed):
    with pytest.raises(InvalidRequest) as refused:
        parse(body(GEN3A, seed=seed), local_mode=False)

    assert [d["field"] for d in refused.value.details] == ["seed"]


# --- metadata ------------------------------------------------------------------------------


def metadata_of_size(size: int) -> dict[str, str]:
    """A metadata object whose JSON serialisation is exactly ``size`` bytes."""
    overhead = len(json.dumps({"k": ""}).encode())
    document = {"k": "x" * (size - overhead)}
    assert len(json.dumps(document).encode()) == size
    return document


def test_metadata_of_exactly_2048_bytes_is_accepted():
    metadata = metadata_of_size(MAX_METADATA_BYTES)

    assert parse(body(GEN3A, metadata=metadata), local_mode=False).metadata == metadata


def test_metadata_over_2048_bytes_is_refused():
    assert refused_fields(body(GEN3A, metadata=metadata_of_size(MAX_METADATA_BYTES + 1))) == {"metadata"}


@pytest.mark.parametrize("metadata", [[1, 2], "order=1", 42, True])
def test_metadata_must_be_a_json_object(metadata):
    assert refused_fields(body(GEN3A, metadata=metadata)) == {"metadata"}


# --- callback_events -----------------------------------------------------------------------


def test_without_callback_events_a_job_is_called_back_when_it_ends():
    assert parse(body(GEN3A), local_mode=False).callback_events == [EventType.COMPLETED, EventType.FAILED]


def test_callback_events_are_kept_once_each_in_lifecycle_order():
    events = ["generation.failed", "generation.started", "generation.failed"]

    request = parse(body(GEN3A, callback_events=events), local_mode=False)

    assert request.callback_events == [EventType.STARTED, EventType.FAILED]


@pytest.mark.parametrize(
    ("events", "field"),
    [
        ([], "callback_events"),
        ("generation.completed", "callback_events"),
        (None, "callback_events"),
        (["generation.completed", "generation.exploded"], "callback_events.1"),
        ([["generation.completed"]], "callback_events.0"),
    ],
    ids=["empty", "a-string", "null", "unknown-event", "nested"],
)
def test_bad_callback_events_are_refused_naming_the_entry(events, field):
    with pytest.raises(InvalidRequest) as refused:
        parse(body(GEN3A, callback_events=events), local_mode=False)

    assert [detail["field"] for detail in refused.value.details] == [field]
    assert "generation.started, generation.completed, generation.failed" in refused.value.details[0]["reason"]


@pytest.mark.parametrize("url", [None, 42, ""], ids=["null", "number", "empty"])
def test_a_callback_url_that_is_not_a_url_string_is_refused(url):
    assert refused_fields(body(GEN3A, callback_url=url)) == {"callback_url"}


# --- unknown fields ------------------------------------------------------------------------


@pytest.mark.parametrize("extra", ["webhook_url", "aspect_ratio", "tail_image_url", "api_key"])
def test_an_unknown_field_is_refused_by_name(extra):
    with pytest.raises(InvalidRequest) as refused:
        parse(body(GEN4, **{extra: "x"}), local_mode=False)

    assert refused.value.details == [{"field": extra, "reason": "is not a field of model runway/gen4_turbo"}]


# --- callback_url --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.com/videohook",
        "http://127.0.0.1:8080/hook",
        "ftp://hooks.example.com/videohook",
        "javascript:alert(1)",
        "/relative/hook",
        "https://",
    ],
)
def test_outside_local_mode_the_callback_must_be_an_absolute_https_url(url):
    assert refused_fields(body(GEN3A, callback_url=url), local_mode=False) == {"callback_url"}


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080/hook", "http://localhost:9000/hook", "http://[::1]:9000/hook"]
)
def test_local_mode_accepts_plain_http_to_a_loopback_receiver(url):
    assert parse(body(GEN3A, callback_url=url), local_mode=True).callback_url == url


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.com/videohook",
        "http://10.0.0.5/hook",
        # Looks like 127.x to a prefix check, but is an ordinary (attacker-owned) DNS name.
        "http://127.attacker.example/hook",
    ],
)
def test_local_mode_still_refuses_plain_http_to_anything_but_loopback(url):
    assert refused_fields(body(GEN3A, callback_url=url), local_mode=True) == {"callback_url"}


@pytest.mark.parametrize("local_mode", [False, True])
@pytest.mark.parametrize(
    "url",
    [
        "https://user:secret@hooks.example.com/videohook",
        "https://token@hooks.example.com/videohook",
        "http://user:secret@127.0.0.1:8080/hook",
    ],
)
def test_a_callback_url_with_credentials_is_refused(url, local_mode):
    assert refused_fields(body(GEN3A, callback_url=url), local_mode=local_mode) == {"callback_url"}


def test_a_callback_url_of_exactly_2048_characters_is_accepted():
    url = CALLBACK + "/" + "a" * (MAX_URL_CHARS - len(CALLBACK) - 1)
    assert len(url) == MAX_URL_CHARS

    assert parse(body(GEN3A, callback_url=url), local_mode=False).callback_url == url


def test_a_callback_url_longer_than_2048_characters_is_refused():
    url = CALLBACK + "/" + "a" * (MAX_URL_CHARS - len(CALLBACK))

    assert refused_fields(body(GEN3A, callback_url=url)) == {"callback_url"}


@pytest.mark.parametrize(
    "url", ["https://hooks.example.com:99999/videohook", "https://hooks.example.com:http/videohook"]
)
def test_a_callback_url_with_an_invalid_port_is_refused(url):
    assert refused_fields(body(GEN3A, callback_url=url)) == {"callback_url"}


# --- what the job keeps and what goes upstream ---------------------------------------------


def test_summarise_input_replaces_data_uris_with_a_short_summary():
    request = parse(body(GEN3A, image_url=PNG_DATA_URI, last_image_url=JPEG_DATA_URI), local_mode=False)

    summary = request.summarised_input()

    assert summary["image_url"] == f"data:image/png;base64,... ({len(PNG_DATA_URI)} chars)"
    assert summary["last_image_url"] == f"data:image/jpeg;base64,... ({len(JPEG_DATA_URI)} chars)"
    assert PNG_DATA_URI.split(",", 1)[1] not in json.dumps(summary)
    assert summary["prompt"] == GEN3A["prompt"]
    assert summary["seed"] == 42


def test_summarise_input_keeps_https_urls_as_sent():
    request = parse(body(GEN3A), local_mode=False)

    summary = request.summarised_input()

    assert summary["image_url"] == GEN3A["image_url"]
    assert summary["last_image_url"] == GEN3A["last_image_url"]


def test_parameters_carry_the_generation_fields_only():
    request = parse(body(GEN3A), local_mode=False)

    fields = request.parameters

    assert fields == {
        "prompt": GEN3A["prompt"],
        "image_url": GEN3A["image_url"],
        "last_image_url": GEN3A["last_image_url"],
        "duration": 5,
        "ratio": "16:9",
        "seed": 42,
    }


def test_parameters_leave_out_unset_optionals():
    minimal = {"model": "gen4_turbo", "image_url": PNG_DATA_URI, "callback_url": CALLBACK}

    fields = parse(json.dumps(minimal), local_mode=False).parameters

    assert fields == {"image_url": PNG_DATA_URI}


@pytest.mark.parametrize(
    "body",
    [
        '{"model": "gen3a_turbo", "seed": ' + "9" * 5001 + "}",
        '{"model": "gen3a_turbo", "metadata": ' + "[" * 50_000 + "]" * 50_000 + "}",
    ],
    ids=["5001-digit-integer", "50000-deep-nesting"],
)
def test_a_body_python_cannot_read_is_a_400_not_a_500(body):
    with pytest.raises(InvalidRequest, match="too long or nesting too deep"):
        parse(body, local_mode=False)


def test_parameters_past_the_stored_input_bound_are_refused():
    body = {**GEN3A, "callback_url": CALLBACK, "prompt": "p" * (MAX_STORED_INPUT_BYTES + 1)}

    with pytest.raises(InvalidRequest) as refused:
        parse(json.dumps(body), local_mode=False)

    assert any(problem["field"] == "body" for problem in refused.value.details)

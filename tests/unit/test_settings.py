"""The one settings object: read from the environment once, refusing bad values early."""

from __future__ import annotations

import dataclasses

import pytest

from videohook.settings import (
    DEFAULT_CALLBACK_RETRY_DELAYS,
    MAX_SQS_VISIBILITY_SECONDS,
    Settings,
    SettingsError,
)

REQUIRED = {
    "JOBS_TABLE_NAME": "videohook-jobs",
    "IDEMPOTENCY_TABLE_NAME": "videohook-idempotency",
    "VIDEOS_BUCKET_NAME": "videohook-videos",
    "NOTIFY_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/videohook-notify",
    "NOTIFY_DEAD_LETTER_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/videohook-dlq",
    "AIMLAPI_API_KEY_SECRET_ID": "videohook/aimlapi-api-key",
    "EVENT_BUS_NAME": "videohook-events",
    "CLIENTS_TABLE_NAME": "videohook-clients",
}
# Everything the DESIGN's delivery schedule says: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h.
DESIGN_SCHEDULE = (5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600)


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """Only the required variables, none of the optional ones a developer may have set."""
    for name in (field.name for field in dataclasses.fields(Settings)):
        monkeypatch.delenv(name.upper(), raising=False)
    for name, value in REQUIRED.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


def test_the_required_variables_are_enough(environment):
    settings = Settings()

    assert settings.jobs_table_name == "videohook-jobs"
    assert settings.videos_bucket_name == "videohook-videos"
    assert settings.notify_queue_url == REQUIRED["NOTIFY_QUEUE_URL"]
    assert settings.aimlapi_api_key_secret_id == "videohook/aimlapi-api-key"
    assert settings.clients_table_name == "videohook-clients"
    assert settings.local_mode is False
    assert str(settings.aimlapi_base_url).rstrip("/") == "https://api.aimlapi.com"


def test_the_default_retry_schedule_is_the_designed_one(environment):
    assert Settings().callback_retry_delays == DESIGN_SCHEDULE
    assert DEFAULT_CALLBACK_RETRY_DELAYS == DESIGN_SCHEDULE


@pytest.mark.parametrize(
    ("value", "expected"),
    [("5,300", (5, 300)), (" 5 , 300 ,", (5, 300)), ("0", (0,)), ("43200", (MAX_SQS_VISIBILITY_SECONDS,))],
)
def test_callback_retry_delays_parse_from_a_comma_separated_list(environment, value, expected):
    environment.setenv("CALLBACK_RETRY_DELAYS", value)

    assert Settings().callback_retry_delays == expected


@pytest.mark.parametrize(
    "value",
    ["abc", "5,abc", "5;300", "5.5", "[5, 300]", "", " , ", "-1", "5,43201", "100000"],
    ids=[
        "word",
        "word-in-list",
        "semicolons",
        "fraction",
        "json",
        "empty",
        "only-commas",
        "negative",
        "over-sqs-limit",
        "far-over",
    ],
)
def test_a_bad_retry_schedule_is_refused(environment, value):
    environment.setenv("CALLBACK_RETRY_DELAYS", value)

    with pytest.raises(SettingsError) as refused:
        Settings()

    assert refused.value.fields == ("callback_retry_delays",)
    assert "CALLBACK_RETRY_DELAYS" in str(refused.value)


@pytest.mark.parametrize("missing", sorted(REQUIRED))
def test_each_required_variable_is_required(environment, missing):
    environment.delenv(missing)

    with pytest.raises(SettingsError) as refused:
        Settings()

    assert refused.value.fields == (missing.lower(),)
    assert f"{missing}: required" in str(refused.value)


def test_local_mode_and_base_url_come_from_the_environment(environment):
    environment.setenv("LOCAL_MODE", "true")
    environment.setenv("AIMLAPI_BASE_URL", "http://127.0.0.1:8765/")

    settings = Settings()

    assert settings.local_mode is True
    assert str(settings.aimlapi_base_url).rstrip("/") == "http://127.0.0.1:8765"


def test_settings_are_immutable(environment):
    settings = Settings()

    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.local_mode = True  # type: ignore[misc]


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        ("POLL_BATCH_SIZE", "0", "must be at least 1"),
        ("POLL_BATCH_SIZE", "1001", "must be at most 1000"),
        ("POLL_BATCH_SIZE", "ten", "must be a whole number"),
        ("POLL_BATCH_SIZE", "2.5", "must be a whole number"),
        ("UPSTREAM_TIMEOUT_SECONDS", "0", "must be greater than 0"),
        ("UPSTREAM_TIMEOUT_SECONDS", "soon", "must be a number"),
        ("LOCAL_MODE", "maybe", "must be true or false"),
        ("JOBS_TABLE_NAME", "ab", "must be at least 3 characters"),
        ("AIMLAPI_BASE_URL", "ftp://api.example.com", "must be an http(s) URL with a host"),
        ("AIMLAPI_BASE_URL", "https://", "must be an http(s) URL with a host"),
        ("CALLBACK_PORTS", "443,70000", "must be one or more ports in 1..65535"),
    ],
)
def test_a_bad_value_is_refused_with_its_variable_and_reason(environment, name, value, reason):
    environment.setenv(name, value)

    with pytest.raises(SettingsError) as refused:
        Settings()

    assert refused.value.problems == ((name.lower(), reason),)
    # The value itself is not echoed: a variable may hold something private.
    assert str(refused.value) == f"invalid settings: {name}: {reason}"


def test_every_problem_is_named_at_once(environment):
    environment.delenv("JOBS_TABLE_NAME")
    environment.setenv("POLL_CONCURRENCY", "65")

    with pytest.raises(SettingsError) as refused:
        Settings()

    assert refused.value.fields == ("jobs_table_name", "poll_concurrency")


@pytest.mark.parametrize(("value", "expected"), [("TRUE", True), ("1", True), ("yes", True), ("off", False)])
def test_local_mode_reads_the_usual_words(environment, value, expected):
    environment.setenv("LOCAL_MODE", value)

    assert Settings().local_mode is expected


def test_constructor_values_win_over_the_environment_and_typed_values_are_checked_too(environment):
    environment.setenv("POLL_BATCH_SIZE", "5")

    assert Settings(poll_batch_size=7).poll_batch_size == 7
    assert Settings(callback_retry_delays=(1, 2)).callback_retry_delays == (1, 2)
    with pytest.raises(SettingsError) as refused:
        Settings(poll_concurrency=0)
    assert refused.value.fields == ("poll_concurrency",)
    with pytest.raises(TypeError, match="poll_batch"):
        Settings(poll_batch=7)


def test_variable_names_are_read_in_any_case(environment):
    environment.setenv("poll_batch_size", "9")

    assert Settings().poll_batch_size == 9

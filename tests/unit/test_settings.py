"""The one settings object: read from the environment once, refusing bad values early."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from videohook.settings import DEFAULT_CALLBACK_RETRY_DELAYS, MAX_SQS_VISIBILITY_SECONDS, Settings

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
    for name in Settings.model_fields:
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

    with pytest.raises(ValidationError) as refused:
        Settings()

    assert [error["loc"] for error in refused.value.errors()] == [("callback_retry_delays",)]


@pytest.mark.parametrize("missing", sorted(REQUIRED))
def test_each_required_variable_is_required(environment, missing):
    environment.delenv(missing)

    with pytest.raises(ValidationError) as refused:
        Settings()

    assert [error["loc"] for error in refused.value.errors()] == [(missing.lower(),)]


def test_local_mode_and_base_url_come_from_the_environment(environment):
    environment.setenv("LOCAL_MODE", "true")
    environment.setenv("AIMLAPI_BASE_URL", "http://127.0.0.1:8765/")

    settings = Settings()

    assert settings.local_mode is True
    assert str(settings.aimlapi_base_url).rstrip("/") == "http://127.0.0.1:8765"


def test_settings_are_immutable(environment):
    settings = Settings()

    with pytest.raises(ValidationError):
        settings.local_mode = True  # type: ignore[misc]

"""The AI/ML API adapter against a scripted fake session: status and payload reading, which
failures are retried, and that a create which may have been charged is never sent twice."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
import requests
from urllib3.exceptions import MaxRetryError, NewConnectionError

from videohook.adapters.upstream import (
    MAX_RETRY_WAIT_SECONDS,
    UpstreamClient,
)
from videohook.catalog import Catalog
from videohook.errors import (
    UpstreamAuthFailed,
    UpstreamError,
    UpstreamNotFound,
    UpstreamOutcomeUnknown,
    UpstreamOutOfCredits,
    UpstreamRejected,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from videohook.models.outcomes import ProviderOutcome

BASE_URL = "https://upstream.test"
# Where the catalog routes the two Runway models the product started with.
RUNWAY_PATH = "/v2/generate/video/runway/generation"
API_KEY = "aiml-test-key-0123456789abcdef"
FIELDS = {"prompt": "A lighthouse", "image_url": "https://images.example.com/a.png", "duration": 5}
VIDEO_URL = "https://cdn.upstream.test/videos/out.mp4"


def response(status: int, body: Any = None, headers: dict[str, str] | None = None) -> requests.Response:
    answer = requests.Response()
    answer.status_code = status
    answer._content = b"" if body is None else json.dumps(body).encode()
    answer.headers.update({"Content-Type": "application/json", **(headers or {})})
    answer.encoding = "utf-8"
    return answer


def provider_error(status: int, message: str) -> requests.Response:
    """The provider's documented error shape."""
    return response(
        status,
        {
            "message": message,
            "path": RUNWAY_PATH,
            "requestId": "req_123",
            "statusCode": status,
            "timestamp": "2025-01-01T00:00:00.000Z",
        },
    )


def refused_connection() -> requests.ConnectionError:
    """What requests raises when the TCP connection was never made."""
    return requests.ConnectionError(
        MaxRetryError(None, BASE_URL, NewConnectionError(None, "Connection refused"))  # type: ignore[arg-type]
    )


@dataclass
class Call:
    method: str
    url: str
    kwargs: dict[str, Any]


class FakeSession:
    """Answers each request with the next scripted response, or raises the scripted error."""

    def __init__(self, *script: requests.Response | Exception) -> None:
        self._script = list(script)
        self.calls: list[Call] = []

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        self.calls.append(Call(method, url, kwargs))
        if not self._script:
            raise AssertionError(f"unexpected request #{len(self.calls)}: {method} {url}")
        step = self._script.pop(0)
        if isinstance(step, Exception):
            raise step
        return step


class RecordingSleep:
    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def client_for(
    session: FakeSession,
    sleep: Callable[[float], None] | None = None,
    *,
    max_attempts: int = 3,
    api_key: Callable[[], str] = lambda: API_KEY,
    **timing: Any,
) -> UpstreamClient:
    return UpstreamClient(
        catalog=Catalog.load(),
        base_url=BASE_URL + "/",
        api_key=api_key,
        session=session,  # type: ignore[arg-type]
        timeout_seconds=timing.pop("timeout_seconds", 5.0),
        max_attempts=max_attempts,
        backoff_base_seconds=0.5,
        sleep=sleep or RecordingSleep(),
        **timing,
    )


def queued(generation_id: str = "up_1") -> requests.Response:
    return response(201, {"id": generation_id, "status": "queued"})


def completed(generation_id: str = "up_1") -> requests.Response:
    return response(200, {"id": generation_id, "status": "completed", "video": [VIDEO_URL], "error": None})


# --- routes from the catalog --------------------------------------------------------------


def test_each_model_is_created_and_retrieved_where_its_catalog_entry_says():
    catalog = Catalog.load()
    for spec in catalog.models():
        session = FakeSession(queued("up_1"), completed("up_1"))
        client = client_for(session)

        client.create(spec.id, {"prompt": "x"})
        client.retrieve(spec.id, "up_1")

        create, retrieve = session.calls
        assert (create.method, create.url) == ("POST", BASE_URL + spec.create_path), spec.id
        assert create.kwargs["json"]["model"] == spec.id
        assert (retrieve.method, retrieve.url) == ("GET", BASE_URL + spec.retrieve_path), spec.id
        assert retrieve.kwargs["params"] == {"generation_id": "up_1"}


def test_a_model_outside_the_catalog_is_refused_without_a_call():
    session = FakeSession()

    with pytest.raises(UpstreamRejected):
        client_for(session).create("acme/unknown-model", FIELDS)
    assert session.calls == []


# --- create --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "upstream_model"), [("gen4_turbo", "runway/gen4_turbo"), ("gen3a_turbo", "gen3a_turbo")]
)
def test_create_posts_the_provider_body_with_the_bearer_key(model, upstream_model):
    session = FakeSession(queued("up_42"))

    generation = client_for(session).create(model, FIELDS)

    assert generation.id == "up_42"
    assert generation.status == "queued"
    [call] = session.calls
    assert call.method == "POST"
    assert call.url == BASE_URL + RUNWAY_PATH
    assert call.kwargs["json"] == {"model": upstream_model, **FIELDS}
    assert call.kwargs["headers"]["Authorization"] == f"Bearer {API_KEY}"
    assert call.kwargs["timeout"] == 5.0
    assert call.kwargs["allow_redirects"] is False


def test_the_key_is_read_from_the_callable_at_request_time():
    keys = iter(["key-before-rotation", "key-after-rotation"])
    session = FakeSession(queued("up_1"), queued("up_2"))
    client = client_for(session, api_key=lambda: next(keys))

    client.create("gen3a_turbo", FIELDS)
    client.create("gen3a_turbo", FIELDS)

    assert [c.kwargs["headers"]["Authorization"] for c in session.calls] == [
        "Bearer key-before-rotation",
        "Bearer key-after-rotation",
    ]


def test_create_accepts_generation_id_in_place_of_id():
    session = FakeSession(response(200, {"generation_id": "up_gid", "status": "queued"}))

    assert client_for(session).create("gen4_turbo", FIELDS).id == "up_gid"


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_create_retries_not_processed_answers_up_to_max_attempts(status):
    # Given a provider that keeps answering "not processed"
    session = FakeSession(*(provider_error(status, "busy") for _ in range(3)))
    sleep = RecordingSleep()

    # When a create is sent with three attempts allowed
    with pytest.raises(UpstreamUnavailable) as raised:
        client_for(session, sleep, max_attempts=3).create("gen3a_turbo", FIELDS)

    # Then it was tried three times, waiting between tries, and gave up as unavailable
    assert len(session.calls) == 3
    assert len(sleep.waits) == 2
    assert all(0 <= wait <= MAX_RETRY_WAIT_SECONDS for wait in sleep.waits)
    assert raised.value.status == status
    assert raised.value.retryable is True


def test_create_succeeds_when_a_retry_is_answered():
    session = FakeSession(provider_error(503, "busy"), queued("up_7"))

    assert client_for(session).create("gen3a_turbo", FIELDS).id == "up_7"
    assert len(session.calls) == 2


def test_retry_after_is_what_the_client_waits():
    session = FakeSession(response(429, {"message": "slow down"}, {"Retry-After": "3"}), queued())
    sleep = RecordingSleep()

    client_for(session, sleep).create("gen3a_turbo", FIELDS)

    assert sleep.waits == [3.0]


def test_a_long_retry_after_is_capped():
    session = FakeSession(response(503, {"message": "later"}, {"Retry-After": "120"}), queued())
    sleep = RecordingSleep()

    client_for(session, sleep).create("gen3a_turbo", FIELDS)

    assert sleep.waits == [MAX_RETRY_WAIT_SECONDS]
    assert MAX_RETRY_WAIT_SECONDS == 10


def test_create_is_not_resent_after_a_read_timeout():
    # The request reached the provider: it may have been charged, so one request only.
    session = FakeSession(requests.ReadTimeout("read timed out"), queued())
    sleep = RecordingSleep()

    with pytest.raises(UpstreamTimeout):
        client_for(session, sleep).create("gen3a_turbo", FIELDS)

    assert len(session.calls) == 1
    assert sleep.waits == []


def test_create_is_not_resent_after_a_504():
    session = FakeSession(provider_error(504, "Generation timeout"), queued())

    with pytest.raises(UpstreamTimeout) as raised:
        client_for(session).create("gen3a_turbo", FIELDS)

    assert len(session.calls) == 1
    assert raised.value.status == 504


def test_create_is_not_resent_after_a_connection_error_that_may_have_reached_the_provider():
    session = FakeSession(requests.ConnectionError("Connection reset by peer"), queued())

    # The answer was lost, not refused: the provider may have charged it.
    with pytest.raises(UpstreamOutcomeUnknown):
        client_for(session).create("gen3a_turbo", FIELDS)

    assert len(session.calls) == 1


@pytest.mark.parametrize(
    "never_connected",
    [requests.ConnectTimeout("connect timed out"), refused_connection()],
    ids=["connect-timeout", "connection-refused"],
)
def test_create_is_retried_when_the_connection_was_never_made(never_connected):
    session = FakeSession(never_connected, queued("up_9"))
    sleep = RecordingSleep()

    assert client_for(session, sleep).create("gen3a_turbo", FIELDS).id == "up_9"
    assert len(session.calls) == 2
    assert len(sleep.waits) == 1


def test_create_gives_up_after_max_attempts_of_connect_timeouts():
    session = FakeSession(*(requests.ConnectTimeout("connect timed out") for _ in range(3)))

    with pytest.raises(UpstreamTimeout):
        client_for(session, max_attempts=3).create("gen3a_turbo", FIELDS)

    assert len(session.calls) == 3


@pytest.mark.parametrize(
    ("status", "error"),
    [(400, UpstreamRejected), (401, UpstreamAuthFailed), (403, UpstreamOutOfCredits)],
)
def test_final_answers_to_create_are_not_retried(status, error):
    session = FakeSession(provider_error(status, "no"), queued())

    with pytest.raises(error) as raised:
        client_for(session).create("gen3a_turbo", FIELDS)

    assert len(session.calls) == 1
    assert raised.value.status == status
    assert raised.value.retryable is False


def test_a_400_carries_the_provider_reason():
    session = FakeSession(provider_error(400, "ratio must be one of 16:9, 9:16"))

    with pytest.raises(UpstreamRejected, match="ratio must be one of"):
        client_for(session).create("gen3a_turbo", FIELDS)


def test_a_403_says_out_of_credits():
    session = FakeSession(provider_error(403, "Forbidden"))

    with pytest.raises(UpstreamOutOfCredits, match="out of credits"):
        client_for(session).create("gen3a_turbo", FIELDS)


# --- retrieve ------------------------------------------------------------------------------


def test_retrieve_asks_for_the_generation_and_reads_the_video():
    session = FakeSession(completed("up_5"))

    generation = client_for(session).retrieve("gen4_turbo", "up_5")

    assert generation.id == "up_5"
    assert generation.outcome is ProviderOutcome.SUCCEEDED
    assert generation.video_url == VIDEO_URL
    [call] = session.calls
    assert call.method == "GET"
    assert call.url == BASE_URL + RUNWAY_PATH
    assert call.kwargs["params"] == {"generation_id": "up_5"}
    assert call.kwargs["headers"]["Authorization"] == f"Bearer {API_KEY}"


def test_retrieve_reads_a_failure_and_its_error():
    session = FakeSession(
        response(
            200,
            {
                "id": "up_5",
                "status": "error",
                "video": None,
                "error": {"name": "ModerationError", "message": "Prompt refused"},
            },
        )
    )

    generation = client_for(session).retrieve("gen3a_turbo", "up_5")

    assert generation.outcome is ProviderOutcome.FAILED
    assert generation.video_url is None
    assert "Prompt refused" in (generation.error_message or "")


def test_retrieve_of_an_unknown_generation_raises_not_found():
    session = FakeSession(provider_error(404, "Generation not found"))

    with pytest.raises(UpstreamNotFound):
        client_for(session).retrieve("gen3a_turbo", "up_missing")

    assert len(session.calls) == 1


@pytest.mark.parametrize(
    "transient",
    [
        requests.ReadTimeout("read timed out"),
        provider_error(504, "Generation timeout"),
        provider_error(429, "slow down"),
    ],
    ids=["read-timeout", "504", "429"],
)
def test_retrieve_retries_ambiguous_failures(transient):
    # Reading is free, so a retrieve may be repeated whatever happened to the first one.
    session = FakeSession(transient, completed())

    assert client_for(session).retrieve("gen3a_turbo", "up_1").video_url == VIDEO_URL
    assert len(session.calls) == 2


def test_retrieve_gives_up_with_a_timeout_after_max_attempts():
    session = FakeSession(*(requests.ReadTimeout("read timed out") for _ in range(2)))

    with pytest.raises(UpstreamTimeout):
        client_for(session, max_attempts=2).retrieve("gen3a_turbo", "up_1")

    assert len(session.calls) == 2


# --- the key stays secret ------------------------------------------------------------------


@pytest.mark.parametrize(
    "script",
    [
        [provider_error(400, "bad body")],
        [provider_error(401, "Unauthorized")],
        [provider_error(403, "Forbidden")],
        [provider_error(404, "Not found")],
        [provider_error(504, "Generation timeout")],
        [provider_error(503, "busy")] * 2,
        [requests.ReadTimeout(f"read timed out (Authorization: Bearer {API_KEY})")],
        [requests.ConnectionError(f"reset while sending Bearer {API_KEY}")],
        [requests.ConnectTimeout("connect timed out")] * 2,
        [response(200, "not an object")],
        [response(200, {"status": "queued"})],
    ],
    ids=[
        "400",
        "401",
        "403",
        "404",
        "504",
        "503",
        "read-timeout",
        "connection-error",
        "connect-timeout",
        "bad-json",
        "no-id",
    ],
)
def test_the_api_key_never_appears_in_a_raised_error(script):
    session = FakeSession(*script)

    with pytest.raises(UpstreamError) as raised:
        client_for(session, max_attempts=2).create("gen3a_turbo", FIELDS)

    error = raised.value
    shown = " ".join([str(error), repr(error), error.message, repr(error.details)])
    assert API_KEY not in shown
    # The transport error (which holds the request and its headers) is not chained on.
    assert error.__cause__ is None


@pytest.mark.parametrize("body", [b"<html>OK</html>", b"[]", b""], ids=["html", "list", "empty"])
def test_a_successful_create_whose_answer_cannot_be_read_is_of_unknown_outcome(body):
    # A 2xx means the provider took (and charged) the create, whatever its body says.
    answer = response(201)
    answer._content = body
    session = FakeSession(answer, queued("up_2"))

    with pytest.raises(UpstreamOutcomeUnknown):
        client_for(session).create("gen3a_turbo", FIELDS)

    assert len(session.calls) == 1


def test_no_retry_is_started_that_could_not_finish_within_the_budget():
    # Given answers that each take 8 s, a 5 s timeout and a 14 s budget
    session = FakeSession(response(503), response(503), queued())
    client = UpstreamClient(
        catalog=Catalog.load(),
        base_url=BASE_URL,
        api_key=lambda: API_KEY,
        session=session,  # type: ignore[arg-type]
        timeout_seconds=5.0,
        max_attempts=3,
        backoff_base_seconds=0.5,
        budget_seconds=14.0,
        sleep=RecordingSleep(),
        clock=lambda: 8.0 * len(session.calls),
    )

    # Then the second try (8 s + wait + 5 s fits) happens, a third (16 s + ...) does not
    with pytest.raises(UpstreamUnavailable):
        client.create("gen3a_turbo", FIELDS)
    assert len(session.calls) == 2


# A key whose URL-encoded forms differ from it.
SPECIAL_KEY = "aiml/test+key=0123456789abcdef"


@pytest.mark.parametrize(
    "leaked",
    [SPECIAL_KEY, quote(SPECIAL_KEY, safe=""), quote_plus(SPECIAL_KEY)],
    ids=["plain", "url", "form"],
)
@pytest.mark.parametrize("cut_at", [0, 490, 495], ids=["start", "near-cut", "across-cut"])
def test_the_key_is_redacted_from_a_failed_generations_error_before_it_is_cut_short(leaked, cut_at):
    # The key sits where the 500-character cut of the error text would split it.
    message = "x" * cut_at + leaked + " y" * 300
    session = FakeSession(response(200, {"id": "up_1", "status": "failed", "error": {"message": message}}))

    generation = client_for(session, api_key=lambda: SPECIAL_KEY).retrieve("gen3a_turbo", "up_1")

    assert generation.error_message is not None
    assert "aiml" not in generation.error_message


def test_the_key_is_redacted_from_an_error_answer_before_it_is_cut_short():
    session = FakeSession(response(400, {"message": "x" * 295 + quote(SPECIAL_KEY, safe="")}))

    with pytest.raises(UpstreamError) as raised:
        client_for(session, api_key=lambda: SPECIAL_KEY).create("gen3a_turbo", FIELDS)

    assert "aiml" not in raised.value.message


class SteppedClock:
    """A monotonic clock that moves only when the client sleeps."""

    def __init__(self) -> None:
        self.now = 100.0
        self.waits: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


def test_a_429_holds_every_request_of_the_client_until_its_retry_after():
    # One check meets a 429 asking for 4 s; its retry gives up (one attempt only here)
    session = FakeSession(
        response(429, {"message": "slow down"}, {"Retry-After": "4"}), completed(), completed()
    )
    clock = SteppedClock()
    client = client_for(session, clock.sleep, max_attempts=1, clock=clock)
    with pytest.raises(UpstreamUnavailable):
        client.retrieve("gen3a_turbo", "up_1")

    # The next checks, other jobs on other threads alike, wait the 4 s once, then go
    client.retrieve("gen3a_turbo", "up_2")
    client.retrieve("gen3a_turbo", "up_3")

    assert clock.waits == [4.0]
    assert len(session.calls) == 3


def test_a_submit_that_could_not_outwait_a_429_within_its_budget_is_not_sent():
    session = FakeSession(response(429, {"message": "slow down"}, {"Retry-After": "9"}))
    clock = SteppedClock()
    client = client_for(
        session, clock.sleep, max_attempts=1, clock=clock, timeout_seconds=15.0, budget_seconds=22.0
    )
    with pytest.raises(UpstreamUnavailable):
        client.retrieve("gen3a_turbo", "up_1")

    with pytest.raises(UpstreamUnavailable, match="slow down"):
        client.create("gen3a_turbo", FIELDS)
    assert len(session.calls) == 1

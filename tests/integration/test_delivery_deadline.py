"""Every callback attempt ends by one deadline, whatever the receiver does, and every way
it can fail is an answer (recorded, retried), never an exception."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from local.receiver import ScriptedAnswer, WebhookReceiver
from videohook.adapters.webhooks import PinnedWebhookTransport

ANSWER_BODY = b'{"ok":true,"padding":"' + b"x" * 80 + b'"}'


@pytest.fixture
def hooks() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as receiver:
        yield receiver


def post(hooks: WebhookReceiver, timeout: float = 0.5):
    transport = PinnedWebhookTransport(timeout_seconds=timeout)
    return transport.post(hooks.url, "127.0.0.1", b'{"type":"generation.completed"}', {"webhook-id": "msg_1"})


def test_a_receiver_trickling_its_headers_is_cut_off_at_the_deadline(hooks):
    # A byte every 50 ms, each gap far under the timeout: the answer takes ~7 s in all.
    hooks.answer_next(ScriptedAnswer(trickle_seconds=0.05, body=ANSWER_BODY))

    result = post(hooks)

    assert result.status_code is None
    assert result.error == "timed out after 0.5 s"
    callback = hooks.wait_for(1, timeout=10)[0]
    # The sender hung up while the status line and headers were still arriving.
    assert callback.sent_bytes < len("HTTP/1.1 200 Scripted\r\n")


def test_a_receiver_trickling_its_body_is_cut_off_at_the_deadline(hooks):
    head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(ANSWER_BODY)}\r\n\r\n".encode()
    hooks.answer_next(ScriptedAnswer(raw=head + ANSWER_BODY, trickle_seconds=0.02))

    result = post(hooks, timeout=1.0)

    assert result.status_code is None
    assert result.error == "timed out after 1 s"
    assert hooks.wait_for(1, timeout=10)[0].sent_bytes < len(head) + len(ANSWER_BODY)


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nbroken", id="bad-chunk"),
        pytest.param(b"NOT HTTP AT ALL\r\n\r\n", id="garbage-status-line"),
    ],
)
def test_a_broken_answer_is_a_failed_attempt_not_an_exception(hooks, raw):
    hooks.answer_next(ScriptedAnswer(raw=raw))

    result = post(hooks)

    assert result.status_code is None
    assert result.error is not None and result.error.startswith("connection failed")


def test_a_receiver_that_never_answers_ends_at_the_deadline(hooks):
    hooks.answer_next(ScriptedAnswer(delay_seconds=30))

    result = post(hooks, timeout=0.3)

    assert result.error == "timed out after 0.3 s"


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b"HTTP/1.0 200 OK\r\nServer: BaseHTTP/0.6\r\n\r\n", id="http-1.0-no-body"),
        pytest.param(b"HTTP/1.0 204 No Content\r\n\r\n", id="http-1.0-204"),
        pytest.param(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nthanks", id="body-until-close"),
    ],
)
def test_an_answer_that_ends_when_the_receiver_closes_is_a_delivery(hooks, raw):
    """The smallest receivers (Python's http.server among them) answer HTTP/1.0, or say
    nothing of the body's length: the answer ends when they close. That is a delivery, not a
    broken connection."""
    hooks.answer_next(ScriptedAnswer(raw=raw))

    result = post(hooks, timeout=2.0)

    assert result.error is None
    assert result.status_code == int(raw.split()[1])

"""Callbacks as receivers experience them: verifiable by any Standard Webhooks library,
retried on the designed schedule, filtered by event, replayable, and never aimed inside."""

from __future__ import annotations

import base64
import json
import os
import socket
from datetime import datetime

import boto3
import pytest
from standardwebhooks.webhooks import Webhook
from svix.webhooks import Webhook as SvixWebhook
from svix.webhooks import WebhookVerificationError

from local.receiver import ScriptedAnswer
from ops.replay_dlq import main as replay_dlq
from tests.conftest import WEBHOOK_SECRET, reconfigure
from tests.integration.flows import job, notify, queued_messages, submit, tick

OTHER_SECRET = "whsec_" + base64.b64encode(b"the-next-signing-secret-32-bytes").decode()


def finished(call_api, load_event, receiver, **changes) -> str:
    job_id = submit(call_api, **{"callback_url": receiver.url, **changes})
    tick(load_event)
    tick(load_event)
    return job_id


def lowered(headers: dict[str, str]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


def attempts(call_api, job_id: str) -> list[dict]:
    return job(call_api, job_id)["callback"]["attempts"]


def test_a_callback_verifies_with_both_reference_libraries(call_api, load_event, receiver, aws):
    finished(call_api, load_event, receiver)

    notify(aws)

    [callback] = receiver.wait_for(1, timeout=5)
    headers = lowered(callback.headers)
    assert Webhook(WEBHOOK_SECRET).verify(callback.body, headers)["type"] == "generation.completed"
    SvixWebhook(WEBHOOK_SECRET).verify(callback.body, headers)  # svix returns nothing; it raises if bad
    with pytest.raises(WebhookVerificationError):
        SvixWebhook(OTHER_SECRET).verify(callback.body, headers)


def test_during_a_rotation_both_secrets_sign_until_the_old_one_is_removed(
    call_api, load_event, receiver, aws, monkeypatch
):
    secrets = boto3.client("secretsmanager")
    rotation = json.dumps({"current": OTHER_SECRET, "previous": WEBHOOK_SECRET})
    secrets.put_secret_value(SecretId=aws.webhook_secret_id, SecretString=rotation)
    reconfigure(monkeypatch)
    first = finished(call_api, load_event, receiver)
    notify(aws)

    [during] = receiver.wait_for(1, timeout=5)
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    for secret in (WEBHOOK_SECRET, OTHER_SECRET):
        assert Webhook(secret).verify(during.body, lowered(during.headers))["data"]["id"] == first

    secrets.put_secret_value(SecretId=aws.webhook_secret_id, SecretString=OTHER_SECRET)
    reconfigure(monkeypatch)
    finished(call_api, load_event, receiver)
    notify(aws)

    after = receiver.wait_for(2, timeout=5)[1]
    assert len(after.headers["webhook-signature"].split(" ")) == 1
    Webhook(OTHER_SECRET).verify(after.body, lowered(after.headers))
    with pytest.raises(WebhookVerificationError):
        SvixWebhook(WEBHOOK_SECRET).verify(after.body, lowered(after.headers))


def test_a_429_is_retried_after_its_retry_after_within_the_clamp(
    call_api, load_event, receiver, aws, monkeypatch
):
    reconfigure(monkeypatch, CALLBACK_RETRY_DELAYS="100,100,100")
    job_id = finished(call_api, load_event, receiver)
    receiver.answer_next(ScriptedAnswer(status=429, headers=(("Retry-After", "150"),)))

    answer = notify(aws)

    assert len(answer["batchItemFailures"]) == 1
    [attempt] = attempts(call_api, job_id)
    waited = datetime.fromisoformat(attempt["next_retry_at"]) - datetime.fromisoformat(attempt["at"])
    assert 135 <= waited.total_seconds() <= 165  # Retry-After 150 s, inside [50, 200], +-10 % jitter
    assert notify(aws) is None  # the message is hidden until then: nothing sleeps meanwhile


def test_410_gone_stops_the_retries(call_api, load_event, receiver, aws):
    job_id = finished(call_api, load_event, receiver)
    receiver.answer_next(ScriptedAnswer(status=410))

    answer = notify(aws)

    assert answer == {"batchItemFailures": []}
    assert notify(aws) is None
    assert job(call_api, job_id)["callback"]["status"] == "gone"
    assert len(receiver.received) == 1


@pytest.mark.parametrize("status", [400, 404, 500, 503])
def test_any_other_non_2xx_is_retried(call_api, load_event, receiver, aws, status):
    job_id = finished(call_api, load_event, receiver)
    receiver.answer_next(ScriptedAnswer(status=status))

    notify(aws)
    notify(aws)

    assert [a["status_code"] for a in attempts(call_api, job_id)] == [status, 200]


def test_a_receiver_that_hangs_past_the_timeout_is_a_failed_attempt(
    call_api, load_event, receiver, aws, monkeypatch
):
    reconfigure(monkeypatch, CALLBACK_TIMEOUT_SECONDS="0.5")
    job_id = finished(call_api, load_event, receiver)
    receiver.answer_next(ScriptedAnswer(delay_seconds=2))

    answer = notify(aws)

    assert len(answer["batchItemFailures"]) == 1
    [attempt] = attempts(call_api, job_id)
    assert attempt["error"] == "timed out after 0.5 s"
    assert attempt["duration_ms"] < 2000


def test_a_huge_answer_is_not_read(call_api, load_event, receiver, aws):
    job_id = finished(call_api, load_event, receiver)
    receiver.answer_next(ScriptedAnswer(body_size=200 * 1024 * 1024))

    notify(aws)

    assert job(call_api, job_id)["callback"]["status"] == "delivered"
    [callback] = receiver.wait_for(1, timeout=10)
    assert callback.sent_bytes < 200 * 1024 * 1024  # the sender hung up after a few KB


def test_a_dead_callback_lands_in_the_dlq_and_comes_back_with_a_replay(call_api, load_event, receiver, aws):
    job_id = finished(call_api, load_event, receiver)
    receiver.answer_next(*[ScriptedAnswer(status=500)] * 4)
    for _ in range(6):
        notify(aws)
    assert job(call_api, job_id)["callback"]["status"] == "callback_failed"

    assert replay_dlq(["--queue-url", aws.notify_queue_url, "--dlq-url", aws.notify_dlq_url]) == 0
    notify(aws)

    assert job(call_api, job_id)["callback"]["status"] == "delivered"
    ids = {c.headers["webhook-id"] for c in receiver.received}
    assert len(receiver.received) == 5
    assert len(ids) == 1
    dlq = boto3.client("sqs").receive_message(QueueUrl=aws.notify_dlq_url)
    assert "Messages" not in dlq


def test_started_is_sent_only_to_those_who_ask_and_before_completed(call_api, load_event, receiver, aws):
    job_id = submit(
        call_api,
        callback_url=receiver.url,
        callback_events=["generation.started", "generation.completed"],
    )

    tick(load_event)
    notify(aws)
    tick(load_event)
    notify(aws)

    started, completed = receiver.wait_for(2, timeout=5)
    first = Webhook(WEBHOOK_SECRET).verify(started.body, lowered(started.headers))
    second = Webhook(WEBHOOK_SECRET).verify(completed.body, lowered(completed.headers))
    assert (first["type"], first["data"]["status"]) == ("generation.started", "generating")
    assert (second["type"], second["data"]["status"]) == ("generation.completed", "completed")
    assert started.headers["webhook-id"] != completed.headers["webhook-id"]
    assert job(call_api, job_id)["callback"]["events"] == ["generation.started", "generation.completed"]


def test_no_started_event_by_default(call_api, load_event, receiver, aws):
    submit(call_api, callback_url=receiver.url)

    tick(load_event)

    assert queued_messages(aws) == []


def test_an_unwanted_terminal_event_is_not_queued_and_the_job_still_ends(call_api, load_event, receiver, aws):
    job_id = submit(
        call_api, prompt="a scene [fail]", callback_url=receiver.url, callback_events=["generation.completed"]
    )

    tick(load_event)
    tick(load_event)

    assert job(call_api, job_id)["status"] == "failed"
    assert queued_messages(aws) == []
    assert tick(load_event)["due"] == 0


def test_an_unknown_callback_event_is_a_400(call_api, simulator):
    status, body, _ = call_api(
        "submit_create_gen3a_turbo",
        body={
            "model": "gen3a_turbo",
            "image_url": "https://images.example.com/a.png",
            "callback_url": "https://hooks.example.com/v",
            "callback_events": ["generation.exploded"],
        },
    )

    assert status == 400
    assert body["error"]["details"][0]["field"].startswith("callback_events")
    assert simulator.count("create") == 0


def test_dns_that_changes_between_the_check_and_the_connection_is_refused(
    call_api, load_event, receiver, aws, monkeypatch
):
    # Given a job whose callback host resolved to a public address at submit
    job_id = finished(call_api, load_event, receiver, callback_url="https://hooks.example.com/videohook")
    # And, in AWS mode, a resolver that answers public first and then an internal address
    reconfigure(monkeypatch, LOCAL_MODE="false")
    from videohook.wiring import get_container

    container = get_container()
    container.__dict__.pop("guard", None)  # the real guard, with the real (patched) resolver
    answers = iter(["93.184.215.14", "10.0.0.7", "10.0.0.7", "10.0.0.7"])
    real_getaddrinfo = socket.getaddrinfo

    def rebinding(host, port, *args, **kwargs):
        if host != "hooks.example.com":
            return real_getaddrinfo(host, port, *args, **kwargs)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port or 443))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)

    answer = notify(aws)

    # Then the connection is refused for good, and nothing was sent anywhere
    assert answer == {"batchItemFailures": []}
    [attempt] = attempts(call_api, job_id)
    assert attempt["error"].startswith("refused")
    assert job(call_api, job_id)["callback"]["status"] == "callback_failed"
    assert receiver.received == []
    assert os.environ["LOCAL_MODE"] == "false"

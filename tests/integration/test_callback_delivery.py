"""Callbacks as receivers experience them: verifiable by any Standard Webhooks library,
retried on the designed schedule, filtered by event, replayable, and never aimed inside."""

from __future__ import annotations

import base64
import json
import socket
from collections import Counter
from datetime import datetime

import boto3
import pytest
from standardwebhooks.webhooks import Webhook
from svix.webhooks import Webhook as SvixWebhook
from svix.webhooks import WebhookVerificationError

from local.receiver import ScriptedAnswer
from ops.replay_dlq import main as replay_dlq
from tests.integration.flows import job, notify, queued_messages, submit, tick
from tests.support import WEBHOOK_SECRET, reconfigure, replace_parts
from videohook.callback_guard import CallbackUrlGuard

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


def test_during_a_rotation_both_secrets_sign_until_the_overlap_ends(
    call_api, load_event, receiver, aws, monkeypatch
):
    _, rotated, _ = call_api("submit_rotate_webhook_secret")
    new_secret = rotated["secret"]
    assert new_secret != WEBHOOK_SECRET and "previous_secret_valid_until" in rotated
    first = finished(call_api, load_event, receiver)
    notify(aws)

    [during] = receiver.wait_for(1, timeout=5)
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    for secret in (WEBHOOK_SECRET, new_secret):
        assert Webhook(secret).verify(during.body, lowered(during.headers))["data"]["id"] == first

    # The 24 hours of overlap have passed.
    boto3.client("dynamodb").update_item(
        TableName=aws.clients_table,
        Key={"owner_id": {"S": "client-a"}},
        UpdateExpression="SET previous_valid_until = :past",
        ExpressionAttributeValues={":past": {"N": str(int(datetime.now().timestamp()) - 1)}},
    )
    reconfigure(monkeypatch)  # past the notifier's cache of secrets, too
    finished(call_api, load_event, receiver)
    notify(aws)

    after = receiver.wait_for(2, timeout=5)[1]
    assert len(after.headers["webhook-signature"].split(" ")) == 1
    Webhook(new_secret).verify(after.body, lowered(after.headers))
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
    assert first["timestamp"] == first["data"]["started_at"]
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


def test_the_connection_goes_to_the_checked_address_without_a_second_lookup(
    call_api, load_event, receiver, service, aws, monkeypatch
):
    # Given a callback host whose DNS answers loopback (allowed here, in local mode) once,
    # and an internal address to anyone who asks again (DNS rebinding)
    port = receiver.url.split(":")[2].split("/")[0]
    job_id = finished(call_api, load_event, receiver, callback_url=f"http://localhost:{port}/hooks/videohook")
    answers = iter([["127.0.0.1"], ["10.0.0.7"], ["10.0.0.7"]])
    guard_lookups = []

    def rebinding(host: str, port: int) -> list[str]:
        guard_lookups.append(host)
        return next(answers)

    replace_parts(service, guard=CallbackUrlGuard(local_mode=True, resolver=rebinding))
    system_lookups = []
    real_getaddrinfo = socket.getaddrinfo

    def watched(host, *args, **kwargs):
        system_lookups.append(host)
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", watched)

    # When the callback is delivered
    notify(aws)

    # Then the host was resolved once, by the guard, and the request went to that address
    assert guard_lookups == ["localhost"]
    assert "localhost" not in system_lookups
    [callback] = receiver.wait_for(1, timeout=5)
    assert callback.headers["Host"] == f"localhost:{port}"
    assert job(call_api, job_id)["callback"]["status"] == "delivered"


def test_a_callback_delivered_before_its_outbox_is_cleared_stays_delivered(
    service, call_api, load_event, receiver, aws
):
    from tests.integration.faults import CrashAt, SimulatedCrash, expire_leases, inject

    # Given a poller that queued the event and died before clearing its outbox entry
    job_id = submit(call_api, callback_url=receiver.url)
    tick(load_event)
    inject(service, "queue", CrashAt(service.queue, "send", when="after"))
    with pytest.raises(SimulatedCrash):
        tick(load_event)
    # And a notifier that delivered that event meanwhile
    notify(aws)
    assert job(call_api, job_id)["callback"]["status"] == "delivered"

    # When the next poller run recovers the outbox entry
    expire_leases(aws.jobs_table)
    tick(load_event)

    # Then the delivery is not forgotten, and no second callback is sent (SQS drops the
    # repeated send by its deduplication id; moto does not, and the notifier skips it)
    assert job(call_api, job_id)["callback"]["status"] == "delivered"
    notify(aws)
    assert len(receiver.received) == 1


def test_a_dns_failure_at_delivery_is_retried_like_any_failed_attempt(
    service, call_api, load_event, receiver, aws
):
    port = receiver.url.split(":")[2].split("/")[0]
    job_id = finished(call_api, load_event, receiver, callback_url=f"http://localhost:{port}/hooks/videohook")
    lookups = iter([OSError("Temporary failure in name resolution"), ["127.0.0.1"]])

    def flaky(host: str, port: int) -> list[str]:
        answer = next(lookups)
        if isinstance(answer, Exception):
            raise answer
        return answer

    replace_parts(service, guard=CallbackUrlGuard(local_mode=True, resolver=flaky))

    first = notify(aws)
    second = notify(aws)

    assert len(first["batchItemFailures"]) == 1
    assert second == {"batchItemFailures": []}
    errors = [a.get("error") for a in attempts(call_api, job_id)]
    assert "does not resolve" in errors[0]
    assert errors[1] is None
    assert job(call_api, job_id)["callback"]["status"] == "delivered"


def test_a_callback_held_back_behind_a_failing_one_still_gets_every_attempt(
    call_api, load_event, receiver, aws
):
    # Given a job with two events queued in its message group, and a receiver that is down
    receiver.answer_next(*[ScriptedAnswer(status=500)] * 20)
    submit(
        call_api, callback_url=receiver.url, callback_events=["generation.started", "generation.completed"]
    )
    tick(load_event)
    tick(load_event)

    # When the notifier keeps running (each "completed" receive behind a failing "started"
    # is skipped, yet counted by SQS)
    for _ in range(12):
        notify(aws)

    # Then each event got its own first try and three retries, then went to the DLQ
    tries = Counter(json.loads(c.body)["type"] for c in receiver.received)
    assert tries == {"generation.started": 4, "generation.completed": 4}
    dead = boto3.client("sqs").receive_message(QueueUrl=aws.notify_dlq_url, MaxNumberOfMessages=10)
    assert sorted(json.loads(m["Body"])["event_type"] for m in dead["Messages"]) == [
        "generation.completed",
        "generation.started",
    ]

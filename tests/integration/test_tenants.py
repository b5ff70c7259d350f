"""Two clients on one stack, one of them hostile: nothing crosses between them.

Each client verifies callbacks with its own secret only, so none can forge another's; one
client's floods, slow receivers and thousands of jobs leave the other's callbacks on time.
"""

from __future__ import annotations

import json
import threading
import time

import boto3
import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from local.drivers import sqs_record
from local.lambdas import invoke
from local.receiver import ScriptedAnswer, WebhookReceiver
from ops.add_client import add_client
from tests.integration.flows import job, notify, subscribe_to_bus, tick
from tests.support import (
    ITEM_SIZE_LIMIT,
    WEBHOOK_SECRET,
    ItemSizeLimit,
    item_size,
    reconfigure,
    replace_parts,
)
from videohook.signing import WebhookSigner


def lowered(headers: dict[str, str]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


def secret_of(call_api, client: str) -> str:
    status, answer, _ = call_api("submit_get_webhook_secret", api_key_id=client)
    assert status == 200, answer
    return answer["secret"]


def submit_as(call_api, client: str, callback_url: str, **changes) -> str:
    body = {
        "model": "gen3a_turbo",
        "image_url": "https://images.example.com/first.png",
        "callback_url": callback_url,
        **changes,
    }
    status, answer, _ = call_api("submit_create_gen3a_turbo", body=body, api_key_id=client)
    assert status == 202, answer
    return answer["id"]


def callbacks_by_job(receiver, count: int) -> dict[str, object]:
    return {callback.json()["data"]["id"]: callback for callback in receiver.wait_for(count, timeout=10)}


# --- signing secrets --------------------------------------------------------------------


def test_each_client_reads_its_own_secret_and_not_anothers(call_api):
    a, b = secret_of(call_api, "client-a"), secret_of(call_api, "client-b")

    assert a == WEBHOOK_SECRET  # client-a's, as the stack was provisioned
    assert b.startswith("whsec_") and b != a
    assert secret_of(call_api, "client-b") == b  # made once, then kept


def test_a_callback_verifies_with_its_owners_secret_only(call_api, load_event, receiver, aws):
    job_a = submit_as(call_api, "client-a", receiver.url)
    job_b = submit_as(call_api, "client-b", receiver.url)
    tick(load_event)
    tick(load_event)
    notify(aws)

    callbacks = callbacks_by_job(receiver, 2)
    secret_a, secret_b = secret_of(call_api, "client-a"), secret_of(call_api, "client-b")
    for job_id, own, other in ((job_a, secret_a, secret_b), (job_b, secret_b, secret_a)):
        callback = callbacks[job_id]
        assert Webhook(own).verify(callback.body, lowered(callback.headers))["data"]["id"] == job_id
        with pytest.raises(WebhookVerificationError):
            Webhook(other).verify(callback.body, lowered(callback.headers))


def test_a_client_cannot_forge_a_callback_for_anothers_job(call_api, load_event, receiver, aws):
    # Given client-b's real job and the secret client-a holds
    job_b = submit_as(call_api, "client-b", receiver.url)
    secret_a = secret_of(call_api, "client-a")
    forged_body = json.dumps(
        {
            "type": "generation.completed",
            "data": {"id": job_b, "video": {"url": "https://evil.example/x.mp4"}},
        }
    ).encode()

    # When client-a signs a made-up completion for it
    headers = WebhookSigner((secret_a,)).headers(f"msg_{job_b}", int(time.time()), forged_body)

    # Then client-b's verifier refuses it
    with pytest.raises(WebhookVerificationError):
        Webhook(secret_of(call_api, "client-b")).verify(forged_body, headers)


def test_a_rotation_by_one_client_leaves_the_others_secret_alone(call_api):
    before_b = secret_of(call_api, "client-b")

    status, rotated, _ = call_api("submit_rotate_webhook_secret", api_key_id="client-a")

    assert status == 200
    assert rotated["secret"] != WEBHOOK_SECRET
    assert secret_of(call_api, "client-a") == rotated["secret"]
    assert secret_of(call_api, "client-b") == before_b


def test_the_ops_script_makes_a_key_in_the_usage_plan_with_its_own_secret(aws):
    apigateway = boto3.client("apigateway")
    plan = apigateway.create_usage_plan(name="videohook-plan")

    client = add_client(
        apigateway=apigateway,
        dynamodb=boto3.client("dynamodb"),
        usage_plan_id=plan["id"],
        clients_table=aws.clients_table,
        name="acme",
        secret=None,
    )

    keys = apigateway.get_usage_plan_keys(usagePlanId=plan["id"])["items"]
    assert [key["id"] for key in keys] == [client.api_key_id]
    assert apigateway.get_api_key(apiKey=client.api_key_id, includeValue=True)["value"] == client.api_key
    item = boto3.client("dynamodb").get_item(
        TableName=aws.clients_table, Key={"owner_id": {"S": client.api_key_id}}
    )["Item"]
    assert item["secret"]["S"].startswith("whsec_")


# --- floods -------------------------------------------------------------------------------


def test_a_redelivery_flood_is_a_429_with_retry_after_and_the_other_clients_callback_arrives(
    call_api, load_event, receiver, aws
):
    from videohook.logic.submit import REDELIVERIES_PER_WINDOW

    # Given client-b's finished and delivered job
    job_b = submit_as(call_api, "client-b", receiver.url)
    tick(load_event)
    tick(load_event)
    notify(aws)
    receiver.wait_for(1, timeout=5)

    # When client-b asks for its callback again and again, while client-a's job finishes
    path = f"/v1/generations/{job_b}/redeliver"
    answers = [
        call_api("submit_redeliver_generation", path=path, api_key_id="client-b")
        for _ in range(REDELIVERIES_PER_WINDOW + 5)
    ]
    job_a = submit_as(call_api, "client-a", receiver.url)
    tick(load_event)
    tick(load_event)
    while notify(aws) is not None and len(receiver.received) < REDELIVERIES_PER_WINDOW + 2:
        pass

    # Then the flood stops at the limit with a clear 429, and client-a's callback arrives
    statuses = [status for status, _, _ in answers]
    assert statuses == [202] * REDELIVERIES_PER_WINDOW + [429] * 5
    _, refused, headers = answers[-1]
    assert refused["error"]["code"] == "redelivery_limited"
    assert 0 < int(headers["Retry-After"]) <= 3600
    delivered = {callback.json()["data"]["id"] for callback in receiver.wait_for(2, timeout=10)}
    assert job_a in delivered


# --- slow receivers -----------------------------------------------------------------------


def batch_with_first(aws, first_job: str) -> dict:
    """The queued notifications as one SQS batch, ``first_job``'s record first."""
    sqs = boto3.client("sqs")
    arn = sqs.get_queue_attributes(QueueUrl=aws.notify_queue_url, AttributeNames=["QueueArn"])
    messages = sqs.receive_message(
        QueueUrl=aws.notify_queue_url, MaxNumberOfMessages=10, AttributeNames=["All"]
    )["Messages"]
    records = [sqs_record(message, arn["Attributes"]["QueueArn"]) for message in messages]
    records.sort(key=lambda record: json.loads(record["body"])["job_id"] != first_job)
    return {"Records": records}


def test_a_slow_receiver_does_not_hold_up_the_other_callbacks_of_its_batch(
    call_api, load_event, receiver, aws
):
    with WebhookReceiver() as slow:
        # Given client-b's receiver that takes 6 s to answer, first in a batch of ten
        slow.answer_next(ScriptedAnswer(delay_seconds=6))
        job_b = submit_as(call_api, "client-b", slow.url)
        for _ in range(9):
            submit_as(call_api, "client-a", receiver.url)
        tick(load_event)
        tick(load_event)
        batch = batch_with_first(aws, job_b)
        assert len(batch["Records"]) == 10

        # When the notifier delivers the batch
        running = threading.Thread(target=invoke, args=("notifier", batch))
        running.start()

        # Then client-a's nine callbacks arrive while client-b's receiver still holds its own
        assert len(receiver.wait_for(9, timeout=4)) == 9
        assert slow.received == []
        running.join()
        assert len(slow.wait_for(1, timeout=5)) == 1


def test_trickling_and_silent_receivers_cost_one_bounded_attempt_each(
    call_api, load_event, receiver, aws, monkeypatch
):
    reconfigure(monkeypatch, CALLBACK_TIMEOUT_SECONDS="1")
    with WebhookReceiver() as hostile:
        # Given client-b's receivers: one trickles its answer, one never answers
        hostile.answer_next(ScriptedAnswer(trickle_seconds=0.2), ScriptedAnswer(delay_seconds=60))
        trickled = submit_as(call_api, "client-b", hostile.url)
        silent = submit_as(call_api, "client-b", hostile.url)
        quiet = submit_as(call_api, "client-a", receiver.url)
        tick(load_event)
        tick(load_event)

        # When one notifier run delivers all three
        answer = notify(aws)

        # Then client-b's attempts are recorded as timed out, to be retried, and client-a's
        # callback is delivered
        assert len(answer["batchItemFailures"]) == 2
        for job_id in (trickled, silent):
            attempts = job(call_api, job_id, api_key_id="client-b")["callback"]["attempts"]
            assert [a["error"] for a in attempts] == ["timed out after 1 s"]
        assert receiver.wait_for(1, timeout=1)[0].json()["data"]["id"] == quiet


# --- stuck and crowding jobs --------------------------------------------------------------


def grow_to_the_limit(aws, job_id: str) -> None:
    """Give the job a delivery log written before logs were capped, filling its item to a
    few bytes under DynamoDB's 400 KB (written straight to the table, past every cap)."""
    dynamodb = boto3.client("dynamodb")
    key = {"job_id": {"S": job_id}}
    item = dynamodb.get_item(TableName=aws.jobs_table, Key=key)["Item"]
    attempt = {
        "event_type": {"S": "generation.completed"},
        "attempt": {"N": "1"},
        "at": {"S": "2026-11-26T11:00:00Z"},
        "duration_ms": {"N": "5"},
        "error": {"S": "x" * 180},
    }
    item["deliveries"] = {"L": [{"M": attempt}]}
    while item_size(item) < ITEM_SIZE_LIMIT - 400:
        item["deliveries"]["L"].append({"M": dict(attempt)})
    padding = ITEM_SIZE_LIMIT - 8 - item_size(item)
    item["deliveries"]["L"][-1]["M"]["error"] = {"S": "x" * (180 + padding)}
    assert ITEM_SIZE_LIMIT - 16 < item_size(item) <= ITEM_SIZE_LIMIT
    dynamodb.put_item(TableName=aws.jobs_table, Item=item)


def test_a_job_too_large_to_update_ends_failed_with_its_callback_and_the_other_client_goes_on(
    call_api, load_event, receiver, aws, service
):
    # Given client-a's job with a legacy delivery log filling its item, beside client-b's job,
    # on DynamoDB's real item size limit
    replace_parts(service, dynamodb=ItemSizeLimit(boto3.client("dynamodb")))
    events_queue = subscribe_to_bus(aws)
    big = submit_as(call_api, "client-a", receiver.url)
    other = submit_as(call_api, "client-b", receiver.url)
    grow_to_the_limit(aws, big)

    # When the poller ticks and the notifier delivers
    for _ in range(3):
        tick(load_event)
    notify(aws)

    # Then the big job ended failed (bulk shed), its callback and domain event went out,
    # and client-b's job completed as usual
    ended = job(call_api, big)
    assert ended["status"] == "failed" and ended["error"]["code"] == "job_too_large"
    assert job(call_api, other, api_key_id="client-b")["status"] == "completed"
    callbacks = callbacks_by_job(receiver, 2)
    assert callbacks[big].json()["type"] == "generation.failed"
    assert callbacks[other].json()["type"] == "generation.completed"
    bus = boto3.client("sqs").receive_message(QueueUrl=events_queue, MaxNumberOfMessages=10)["Messages"]
    failed = [json.loads(m["Body"]) for m in bus if big in m["Body"]]
    assert [event["detail-type"] for event in failed] == ["Generation Failed"]


def test_a_backlog_of_one_clients_due_jobs_leaves_the_other_clients_job_in_the_round(
    call_api, load_event, receiver, aws, monkeypatch
):
    # Given 60 due jobs of client-a submitted before client-b's one, and rounds of 20 jobs
    # without fan-out
    reconfigure(monkeypatch, POLL_BATCH_SIZE="20", POLL_WORK_QUEUE_URL="", POLL_FANOUT_MAX_JOBS="0")
    crowd = [submit_as(call_api, "client-a", receiver.url) for _ in range(60)]
    quiet = submit_as(call_api, "client-b", receiver.url)

    # When the poller ticks twice (the simulator finishes a generation at its second check)
    reports = [tick(load_event) for _ in range(2)]
    notify(aws)

    # Then client-b's job was checked in both rounds and its callback arrived, while most of
    # client-a's jobs still wait their turn
    assert [report["due"] for report in reports] == [20, 20]
    assert quiet in {callback.json()["data"]["id"] for callback in receiver.wait_for(1, timeout=5)}
    assert job(call_api, quiet, api_key_id="client-b")["status"] == "completed"
    finished = [job_id for job_id in crowd if job(call_api, job_id)["status"] in ("completed", "failed")]
    assert len(finished) < 20

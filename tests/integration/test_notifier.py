"""The notifier function on SQS events: signed callbacks to a real receiver on loopback,
verified with the Standard Webhooks reference library."""

from __future__ import annotations

import json

import boto3
import pytest
from standardwebhooks.webhooks import Webhook

from local.lambdas import invoke
from local.receiver import ScriptedAnswer, WebhookReceiver
from tests.integration.flows import job, notify, submit, tick
from tests.support import WEBHOOK_SECRET, guard_resolving, replace_parts

CALLBACK_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")


def finished_job(call_api, load_event, receiver: WebhookReceiver, prompt: str | None = None) -> str:
    job_id = submit(call_api, prompt=prompt, callback_url=receiver.url, metadata={"order_id": "ord_77"})
    tick(load_event)
    tick(load_event)
    return job_id


def verify(callback) -> dict:
    headers = {name.lower(): value for name, value in callback.headers.items()}
    return Webhook(WEBHOOK_SECRET).verify(callback.body, headers)


def test_a_completed_job_gets_one_verified_callback_with_its_video_and_metadata(
    call_api, load_event, receiver, aws, simulator
):
    job_id = finished_job(call_api, load_event, receiver)

    answer = notify(aws)

    assert answer == {"batchItemFailures": []}
    [callback] = receiver.wait_for(1, timeout=5)
    payload = verify(callback)
    assert payload["type"] == "generation.completed"
    data = payload["data"]
    assert data["id"] == job_id
    assert data["status"] == "completed"
    assert data["metadata"] == {"order_id": "ord_77"}
    assert data["video"]["key"] == f"videos/{job_id}.mp4"
    assert data["video"]["sha256"]
    assert data["video"]["url"]
    assert payload["timestamp"] == data["finished_at"]
    headers = {k.lower(): v for k, v in callback.headers.items()}
    assert headers["content-type"] == "application/json"
    assert headers["user-agent"].startswith("videohook-webhooks/")
    assert headers["webhook-id"] == f"msg_{job_id.removeprefix('gen_')}_completed"

    after = job(call_api, job_id)
    assert after["callback"]["status"] == "delivered"
    [attempt] = after["callback"]["attempts"]
    assert attempt["status_code"] == 200
    assert attempt["attempt"] == 1
    assert attempt["event_type"] == "generation.completed"


def test_a_failed_job_gets_a_generation_failed_callback(call_api, load_event, receiver, aws):
    job_id = finished_job(call_api, load_event, receiver, prompt="scene [fail]")

    notify(aws)

    payload = verify(receiver.wait_for(1, timeout=5)[0])
    assert payload["type"] == "generation.failed"
    assert payload["data"]["id"] == job_id
    assert payload["data"]["error"]["code"] == "generation_failed"
    assert payload["data"]["video"] is None


def test_a_failed_delivery_is_retried_with_the_same_webhook_id(call_api, load_event, receiver, aws):
    job_id = finished_job(call_api, load_event, receiver)
    receiver.answer_next(ScriptedAnswer(status=500))

    first = notify(aws)

    assert len(first["batchItemFailures"]) == 1
    assert job(call_api, job_id)["callback"]["attempts"][0]["status_code"] == 500

    second = notify(aws)  # the test schedule's first delay is 0 s

    assert second == {"batchItemFailures": []}
    failed, delivered = receiver.wait_for(2, timeout=5)
    assert failed.answered == 500
    assert delivered.answered == 200
    assert failed.headers["webhook-id"] == delivered.headers["webhook-id"]
    verify(failed)
    verify(delivered)
    attempts = job(call_api, job_id)["callback"]["attempts"]
    assert [a["attempt"] for a in attempts] == [1, 2]
    assert attempts[0]["next_retry_at"]
    assert job(call_api, job_id)["callback"]["status"] == "delivered"


def test_after_the_last_retry_the_message_lands_in_the_dlq_and_the_job_says_so(
    call_api, load_event, receiver, aws
):
    job_id = finished_job(call_api, load_event, receiver)
    receiver.answer_next(*[ScriptedAnswer(status=503)] * 10)

    for _ in range(6):
        notify(aws)

    assert len(receiver.received) == 4  # the first try and three retries
    after = job(call_api, job_id)
    assert after["callback"]["status"] == "callback_failed"
    dead = boto3.client("sqs").receive_message(QueueUrl=aws.notify_dlq_url, MaxNumberOfMessages=10)
    assert [json.loads(m["Body"])["job_id"] for m in dead["Messages"]] == [job_id]


def test_a_redirect_is_a_failed_attempt_and_is_not_followed(call_api, load_event, receiver, aws):
    job_id = finished_job(call_api, load_event, receiver)
    receiver.answer_next(ScriptedAnswer(status=302, headers=(("Location", receiver.url + "/elsewhere"),)))

    answer = notify(aws)

    assert len(answer["batchItemFailures"]) == 1
    assert [c.path for c in receiver.received] == ["/hooks/videohook"]
    assert job(call_api, job_id)["callback"]["attempts"][0]["status_code"] == 302


def test_a_duplicate_message_for_a_delivered_event_sends_nothing(call_api, load_event, receiver, aws):
    job_id = finished_job(call_api, load_event, receiver)
    notify(aws)
    receiver.wait_for(1, timeout=5)
    sqs = boto3.client("sqs")
    sqs.send_message(
        QueueUrl=aws.notify_queue_url,
        MessageBody=json.dumps({"job_id": job_id, "event_type": "generation.completed"}),
        MessageGroupId=job_id,
        MessageDeduplicationId="a-copy-sent-after-the-deduplication-window",
    )

    notify(aws)

    assert len(receiver.received) == 1


def test_redeliver_queues_the_last_event_again_with_the_same_webhook_id(call_api, load_event, receiver, aws):
    job_id = finished_job(call_api, load_event, receiver)
    notify(aws)

    status, body, _ = call_api("submit_redeliver_generation", path=f"/v1/generations/{job_id}/redeliver")
    notify(aws)

    assert status == 202
    assert body["event_type"] == "generation.completed"
    first, again = receiver.wait_for(2, timeout=5)
    assert again.headers["webhook-id"] == first.headers["webhook-id"] == body["webhook_id"]
    verify(again)


def test_redeliver_by_another_client_is_a_404_and_queues_nothing(call_api, load_event, receiver, aws):
    job_id = finished_job(call_api, load_event, receiver)
    notify(aws)

    status, body, _ = call_api(
        "submit_redeliver_generation", path=f"/v1/generations/{job_id}/redeliver", api_key_id="client-b"
    )

    assert status == 404
    assert body["error"]["code"] == "not_found"
    assert notify(aws) is None
    assert len(receiver.received) == 1


def test_redeliver_before_the_job_finished_is_a_409(call_api, receiver):
    job_id = submit(call_api, callback_url=receiver.url)

    status, body, _ = call_api("submit_redeliver_generation", path=f"/v1/generations/{job_id}/redeliver")

    assert status == 409
    assert body["error"]["code"] == "nothing_to_redeliver"


def test_the_sample_queue_event_drives_the_notifier(service, aws, load_event, receiver, call_api):
    """``events/notifier_generation_completed.json`` works as given to ``sam local invoke``."""
    event = load_event("notifier_generation_completed")
    job_id = json.loads(event["Records"][0]["body"])["job_id"]
    created = finished_job(call_api, load_event, receiver)
    # Re-key the finished job under the sample event's id.
    dynamodb = boto3.client("dynamodb")
    item = dynamodb.get_item(TableName=aws.jobs_table, Key={"job_id": {"S": created}})["Item"]
    item["job_id"] = {"S": job_id}
    dynamodb.put_item(TableName=aws.jobs_table, Item=item)

    answer = invoke("notifier", event)

    assert answer == {"batchItemFailures": []}
    payload = verify(receiver.wait_for(1, timeout=5)[0])
    assert payload["data"]["id"] == job_id


@pytest.mark.parametrize("address", ["10.1.2.3", "169.254.169.254", "192.168.0.10"])
def test_a_callback_host_that_now_resolves_to_a_private_address_is_refused_at_delivery(
    call_api, load_event, receiver, aws, service, address
):
    job_id = submit(call_api, callback_url="https://hooks.example.com/videohook")
    tick(load_event)
    tick(load_event)
    # The host passed the check at submit; by delivery time its DNS points inside.
    replace_parts(service, guard=guard_resolving({"hooks.example.com": [address]}))

    answer = notify(aws)

    assert answer == {"batchItemFailures": []}  # refused for good: no retries
    after = job(call_api, job_id)
    assert after["callback"]["status"] == "callback_failed"
    assert "private" in after["callback"]["attempts"][0]["error"]
    assert receiver.received == []


def test_a_first_callback_costs_one_dynamodb_call(service, call_api, load_event, receiver, aws):
    # Given a finished job whose callback the poller queued with its snapshot
    job_id = finished_job(call_api, load_event, receiver)
    calls: list[tuple[str, str]] = []
    service.dynamodb.meta.events.register(
        "before-parameter-build.dynamodb",
        lambda model, params, **_: calls.append((model.name, params["TableName"])),
    )

    # When the notifier takes the message for the first time
    answer = notify(aws)

    # Then it posted the callback and recorded the attempt in one write to the job, with no
    # read of it (the client's signing secret is read once, then cached for the environment)
    assert answer == {"batchItemFailures": []}
    assert [call for call in calls if call[1] == aws.jobs_table] == [("UpdateItem", aws.jobs_table)]
    assert [call for call in calls if call[1] != aws.jobs_table] == [("GetItem", aws.clients_table)]
    payload = verify(receiver.wait_for(1, timeout=5)[0])
    assert payload["data"]["id"] == job_id and payload["data"]["video"]["url"]
    after = job(call_api, job_id)
    assert after["callback"]["status"] == "delivered"
    assert [a["attempt"] for a in after["callback"]["attempts"]] == [1]


def test_a_full_delivery_log_is_capped_from_the_item_the_refused_append_returns(
    service, call_api, load_event, receiver, aws
):
    # Given a delivered job whose log is already full (first 5 and latest 20 kept)
    job_id = finished_job(call_api, load_event, receiver)
    notify(aws)
    stored = service.jobs.get(job_id)
    assert stored is not None
    full = [stored.deliveries[0].replace(message_id=f"old-{n}") for n in range(25)]
    assert service.jobs.record_delivery(job_id, full, omitted=0, callback_status=None, read=(1, 0))
    status, _, _ = call_api("submit_redeliver_generation", path=f"/v1/generations/{job_id}/redeliver")
    assert status == 202
    calls: list[str] = []
    service.dynamodb.meta.events.register("before-call.dynamodb", lambda model, **_: calls.append(model.name))

    # When the redelivery goes out (the client's secret is cached by now)
    assert notify(aws) == {"batchItemFailures": []}

    # Then the append was refused with the item in hand, and the capped log written: no read
    assert calls == ["UpdateItem", "UpdateItem"]
    after = job(call_api, job_id)["callback"]
    assert len(after["attempts"]) == 25 and after["attempts_omitted"] == 1
    assert len(receiver.wait_for(2, timeout=5)) == 2
    capped = service.jobs.get(job_id)
    assert capped is not None
    assert [d.message_id for d in capped.deliveries[:5]] == [f"old-{n}" for n in range(5)]
    assert capped.deliveries[-1].message_id not in {f"old-{n}" for n in range(25)}

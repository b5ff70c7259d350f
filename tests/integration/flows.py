"""Steps the integration tests take through the service, as its users would."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from local.lambdas import invoke
from local.resources import LocalResources
from local.stack import run_notifier_once
from videohook.models.clock import iso
from videohook.models.messages import NotificationMessage


def submit(call_api: Any, prompt: str | None = None, **changes: Any) -> str:
    body = {
        "model": "gen3a_turbo",
        "image_url": "https://images.example.com/first.png",
        "callback_url": "https://hooks.example.com/videohook",
        **({"prompt": prompt} if prompt else {}),
        **changes,
    }
    status, answer, _ = call_api("submit_create_gen3a_turbo", body=body)
    assert status == 202, answer
    return answer["id"]


def tick(load_event: Any) -> dict[str, int]:
    return invoke("poller", load_event("poller_schedule_tick"))


def job(call_api: Any, job_id: str, api_key_id: str = "client-a") -> dict[str, Any]:
    status, body, _ = call_api(
        "submit_get_generation", path=f"/v1/generations/{job_id}", api_key_id=api_key_id
    )
    assert status == 200, body
    return body


def age_job(aws: LocalResources, job_id: str, *, hours: float) -> None:
    """Pretend the job was created ``hours`` ago (moto has no clock to move)."""
    created = datetime.now(UTC) - timedelta(hours=hours)
    boto3.client("dynamodb").update_item(
        TableName=aws.jobs_table,
        Key={"job_id": {"S": job_id}},
        UpdateExpression="SET created_at = :created",
        ExpressionAttributeValues={":created": {"S": iso(created)}},
    )


def queued_messages(aws: LocalResources) -> list[NotificationMessage]:
    sqs = boto3.client("sqs")
    found = []
    while True:
        batch = sqs.receive_message(QueueUrl=aws.notify_queue_url, MaxNumberOfMessages=10).get("Messages", [])
        if not batch:
            return found
        found.extend(NotificationMessage.from_json(m["Body"]) for m in batch)


def notify(aws: LocalResources) -> dict[str, Any] | None:
    """One run of the notifier over the queue, as the SQS event source would do it."""
    sqs = boto3.client("sqs")
    arn = sqs.get_queue_attributes(QueueUrl=aws.notify_queue_url, AttributeNames=["QueueArn"])
    return run_notifier_once(sqs, aws.notify_queue_url, arn["Attributes"]["QueueArn"])


def subscribe_to_bus(aws: LocalResources, name: str = "test-consumer") -> str:
    """A downstream consumer of the domain events: a rule on videohook's bus on ``source``
    and ``detail-type``, with a queue as its target. Returns the queue's URL."""
    sqs, events = boto3.client("sqs"), boto3.client("events")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    pattern = {"source": ["videohook"], "detail-type": ["Generation Completed", "Generation Failed"]}
    events.put_rule(Name=name, EventBusName=aws.event_bus, EventPattern=json.dumps(pattern))
    events.put_targets(Rule=name, EventBusName=aws.event_bus, Targets=[{"Id": name, "Arn": arn}])
    return url


def received_events(queue_url: str) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs")
    found = []
    while True:
        batch = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        if not batch:
            return found
        found.extend(json.loads(m["Body"]) for m in batch)

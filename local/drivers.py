"""What AWS does around the functions, played locally: the EventBridge schedule that ticks
the poller, and the SQS event source mapping that feeds the notifier batches and deletes
what it delivered. Both invoke through ``local.lambdas``, one event per environment
(``run_notifier_once`` in-process by default, as the tests call it)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3

from local.lambdas import in_process

Invoke = Callable[..., Any]

EVENTS = Path(__file__).resolve().parent.parent / "events"


def drive_poller(stopping: threading.Event, interval_seconds: float, invoke: Invoke) -> None:
    """One tick per interval until ``stopping``; a failed tick is retried by the next, as in AWS."""
    tick = json.loads((EVENTS / "poller_schedule_tick.json").read_text())
    while not stopping.wait(interval_seconds):
        try:
            invoke("poller", tick, timeout_seconds=60)
        except Exception as exc:  # noqa: BLE001 - the schedule must outlive one bad tick
            if not stopping.is_set():  # at stop, moto going away fails the tick in flight
                print(f"poller tick failed: {exc!r}", flush=True)


def drive_notifier(stopping: threading.Event, queue_url: str, invoke: Invoke) -> None:
    """Read the notify queue until ``stopping``, a batch at a time."""
    sqs = boto3.client("sqs")
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    while not stopping.is_set():
        try:
            run_notifier_once(sqs, queue_url, queue_arn, wait_seconds=1, invoke=invoke)
        except Exception as exc:  # noqa: BLE001 - the reader must outlive one bad batch
            if not stopping.is_set():
                print(f"notifier batch failed: {exc!r}", flush=True)
            stopping.wait(1)


def run_notifier_once(
    sqs: Any, queue_url: str, queue_arn: str, *, wait_seconds: int = 0, invoke: Invoke = in_process.invoke
) -> dict[str, Any] | None:
    """What the SQS event source mapping does once: receive a batch, invoke the notifier,
    delete what succeeded and leave the reported failures to their visibility timeout."""
    messages = sqs.receive_message(
        QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=wait_seconds, AttributeNames=["All"]
    ).get("Messages", [])
    if not messages:
        return None
    event = {"Records": [sqs_record(message, queue_arn) for message in messages]}
    answer = invoke("notifier", event, timeout_seconds=30) or {}
    failed = {item["itemIdentifier"] for item in answer.get("batchItemFailures", [])}
    done = [m for m in messages if m["MessageId"] not in failed]
    if done:
        sqs.delete_message_batch(
            QueueUrl=queue_url,
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
        )
    return answer


def sqs_record(message: dict[str, Any], queue_arn: str) -> dict[str, Any]:
    """An SQS message as the Lambda event source mapping presents it."""
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": message.get("MessageAttributes", {}),
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": "us-east-1",
    }

"""What AWS does around the functions, played locally: the EventBridge schedule that ticks
the poller, and the SQS event source mappings that feed the notifier (and the poll workers)
batches and delete what was handled. Both invoke through ``local.lambdas``, one event per environment
(``run_notifier_once`` in-process by default, as the tests call it)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3

from local.lambdas import in_process
from local.resources import poller_timeout

Invoke = Callable[..., Any]

EVENTS = Path(__file__).resolve().parent.parent / "events"


def drive_poller(
    stopping: threading.Event, interval_seconds: float, invoke: Invoke, timeout_seconds: float | None = None
) -> None:
    """One tick per interval on the clock until ``stopping``, each invoked without waiting for
    the last to end (EventBridge invokes asynchronously: an invocation that loops for most of
    the minute is followed by the next on time), with the template's timeout unless told
    otherwise. A failed tick is covered by the next."""
    timeout_seconds = poller_timeout() if timeout_seconds is None else timeout_seconds
    tick = json.loads((EVENTS / "poller_schedule_tick.json").read_text())
    next_tick = time.monotonic() + interval_seconds
    while not stopping.wait(max(0.0, next_tick - time.monotonic())):
        next_tick += interval_seconds
        threading.Thread(
            target=_tick, args=(stopping, invoke, tick, timeout_seconds), name="poller-tick", daemon=True
        ).start()


def _tick(stopping: threading.Event, invoke: Invoke, tick: dict[str, Any], timeout_seconds: float) -> None:
    try:
        invoke("poller", tick, timeout_seconds=timeout_seconds)
    except Exception as exc:  # noqa: BLE001 - the schedule must outlive one bad tick
        if not stopping.is_set():  # at stop, moto going away fails the tick in flight
            print(f"poller tick failed: {exc!r}", flush=True)


def drive_notifier(
    stopping: threading.Event,
    queue_url: str,
    invoke: Invoke,
    function: str = "notifier",
    max_messages: int = 10,
    timeout_seconds: float = 30,
) -> None:
    """Read the notify queue (or the poll workers' queue, with ``function="poll_worker"``)
    until ``stopping``, a batch at a time."""
    sqs = boto3.client("sqs")
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    while not stopping.is_set():
        try:
            run_notifier_once(
                sqs,
                queue_url,
                queue_arn,
                wait_seconds=1,
                invoke=invoke,
                function=function,
                max_messages=max_messages,
                timeout_seconds=timeout_seconds,
            )
        except Exception as exc:  # noqa: BLE001 - the reader must outlive one bad batch
            if not stopping.is_set():
                print(f"{function} batch failed: {exc!r}", flush=True)
            stopping.wait(1)


def run_notifier_once(
    sqs: Any,
    queue_url: str,
    queue_arn: str,
    *,
    wait_seconds: int = 0,
    invoke: Invoke = in_process.invoke,
    function: str = "notifier",
    max_messages: int = 10,
    timeout_seconds: float = 30,
) -> dict[str, Any] | None:
    """What the SQS event source mapping does once: receive a batch, invoke the function,
    delete what succeeded and leave the reported failures to their visibility timeout."""
    messages = sqs.receive_message(
        QueueUrl=queue_url,
        MaxNumberOfMessages=max_messages,
        WaitTimeSeconds=wait_seconds,
        AttributeNames=["All"],
    ).get("Messages", [])
    if not messages:
        return None
    event = {"Records": [sqs_record(message, queue_arn) for message in messages]}
    answer = invoke(function, event, timeout_seconds=timeout_seconds) or {}
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

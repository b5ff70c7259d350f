"""The notifier's batch processor: FIFO order within a job's group, groups delivered on the
invoking thread while they are quick, and on threads of their own once one is slow."""

from __future__ import annotations

import threading
from typing import Any

from aws_lambda_powertools.utilities.batch import process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from videohook.notification_batch import NotificationBatchProcessor


def sqs_event(*records: tuple[str, str]) -> dict[str, Any]:
    """(message id, group) pairs as the SQS event source hands them over."""
    return {
        "Records": [
            {
                "messageId": message_id,
                "receiptHandle": f"rh-{message_id}",
                "body": message_id,
                "attributes": {"MessageGroupId": group, "ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:notify.fifo",
                "awsRegion": "us-east-1",
            }
            for message_id, group in records
        ]
    }


class Recorder:
    def __init__(self) -> None:
        self.released: list[list[str]] = []
        self.processor = NotificationBatchProcessor(release=self.released.append)
        self.threads: dict[str, str] = {}
        self.order: list[str] = []
        self._lock = threading.Lock()

    def handled(self, record: SQSRecord) -> None:
        with self._lock:
            self.threads[record.message_id] = threading.current_thread().name
            self.order.append(record.message_id)

    def run(self, event: dict[str, Any], handler: Any = None) -> dict[str, Any]:
        return process_partial_response(
            event=event, record_handler=handler or self.handled, processor=self.processor
        )


def test_quick_groups_are_delivered_in_order_on_the_invoking_thread():
    recorder = Recorder()
    event = sqs_event(*[(f"m{n}", f"job-{n}") for n in range(10)])

    answer = recorder.run(event)

    assert answer == {"batchItemFailures": []}
    assert recorder.order == [f"m{n}" for n in range(10)]
    assert set(recorder.threads.values()) == {threading.current_thread().name}


def test_a_slow_group_hands_the_waiting_groups_to_threads_of_their_own():
    recorder = Recorder()
    others_delivered = threading.Event()
    others = {f"m{n}" for n in range(1, 10)}
    saw_the_others: list[bool] = []

    def handler(record: SQSRecord) -> None:
        recorder.handled(record)
        if record.message_id == "m0":
            # The slow receiver answers only once the rest of the batch has been delivered
            # (or gives up after 10 s): held up behind it, the others never would be.
            saw_the_others.append(others_delivered.wait(timeout=10))
        elif others <= set(recorder.order):
            others_delivered.set()

    answer = recorder.run(sqs_event(*[(f"m{n}", f"job-{n}") for n in range(10)]), handler)

    assert answer == {"batchItemFailures": []}
    assert saw_the_others == [True]
    assert recorder.threads["m0"] == threading.current_thread().name
    assert all(recorder.threads[m].startswith("notify") for m in others)


def test_a_failure_skips_the_rest_of_its_group_only_and_hands_the_skipped_back():
    recorder = Recorder()

    def handler(record: SQSRecord) -> None:
        recorder.handled(record)
        if record.message_id == "a1":
            raise RuntimeError("the receiver said 503")

    event = sqs_event(("a1", "job-a"), ("b1", "job-b"), ("a2", "job-a"), ("b2", "job-b"))
    answer = recorder.run(event, handler)

    assert answer == {"batchItemFailures": [{"itemIdentifier": "a1"}, {"itemIdentifier": "a2"}]}
    assert recorder.order == ["a1", "b1", "b2"]
    assert recorder.released == [["rh-a2"]]

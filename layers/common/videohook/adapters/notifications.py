"""The SQS adapter for the notify queue. Retries are SQS's job, not a sleeping Lambda's:
a failed delivery hides its message for the next delay of the schedule."""

from __future__ import annotations

from typing import Any

from videohook.adapters.aws_errors import aws_errors
from videohook.errors import StorageError
from videohook.models.messages import NotificationMessage
from videohook.settings import MAX_SQS_VISIBILITY_SECONDS


class SqsNotificationQueue:
    def __init__(self, *, client: Any, queue_url: str, dead_letter_queue_url: str | None = None) -> None:
        self._client = client
        self._queue_url = queue_url
        self._dead_letter_queue_url = dead_letter_queue_url

    def send(self, message: NotificationMessage, *, deduplication_id: str) -> None:
        """FIFO: one group per job keeps its events in order; a second send with the same
        deduplication id within five minutes is dropped by SQS."""
        with aws_errors("queue the notification"):
            self._client.send_message(
                QueueUrl=self._queue_url,
                MessageBody=message.to_json(),
                MessageGroupId=message.job_id,
                MessageDeduplicationId=deduplication_id,
            )

    def bury(self, message: NotificationMessage, message_id: str) -> None:
        """Move a callback whose schedule is spent to the dead-letter queue (the caller then
        reports it processed, which deletes it here)."""
        if self._dead_letter_queue_url is None:
            raise StorageError("No dead-letter queue is configured")
        with aws_errors("move the notification to the dead-letter queue"):
            self._client.send_message(
                QueueUrl=self._dead_letter_queue_url,
                MessageBody=message.to_json(),
                MessageGroupId=message.job_id,
                MessageDeduplicationId=f"dead-{message_id}",
            )

    def replay_dead_letters(self, dead_letter_queue_url: str, *, limit: int = 10_000) -> int:
        """Move messages from the dead-letter queue back to this queue, each with a fresh
        retry schedule. Each move sends first and deletes second, with a deduplication id
        of the dead letter's own id, so a replay that dies midway can simply be run again."""
        moved = 0
        while moved < limit:
            batch = self._client.receive_message(
                QueueUrl=dead_letter_queue_url,
                MaxNumberOfMessages=min(10, limit - moved),
                AttributeNames=["MessageGroupId"],
                WaitTimeSeconds=0,
            ).get("Messages", [])
            if not batch:
                return moved
            for dead in batch:
                # Resent: a client's redelivery may have delivered the event meanwhile.
                message = NotificationMessage.from_json(dead["Body"])
                message = message.replace(resent=True)
                self._client.send_message(
                    QueueUrl=self._queue_url,
                    MessageBody=message.to_json(),
                    MessageGroupId=message.job_id,
                    MessageDeduplicationId=f"replay-{dead['MessageId']}",
                )
                self._client.delete_message(
                    QueueUrl=dead_letter_queue_url, ReceiptHandle=dead["ReceiptHandle"]
                )
                moved += 1
        return moved

    def release(self, receipt_handles: list[str]) -> None:
        """Make received messages visible again now (ones this invocation did not attempt)."""
        for start in range(0, len(receipt_handles), 10):
            with aws_errors("release notifications"):
                self._client.change_message_visibility_batch(
                    QueueUrl=self._queue_url,
                    Entries=[
                        {"Id": str(index), "ReceiptHandle": handle, "VisibilityTimeout": 0}
                        for index, handle in enumerate(receipt_handles[start : start + 10])
                    ],
                )

    def retry_later(self, receipt_handle: str, delay_seconds: int) -> None:
        with aws_errors("schedule the callback's retry"):
            self._client.change_message_visibility(
                QueueUrl=self._queue_url,
                ReceiptHandle=receipt_handle,
                VisibilityTimeout=max(0, min(delay_seconds, MAX_SQS_VISIBILITY_SECONDS)),
            )

"""The SQS adapter for the poll workers' queue (the poller's fan-out).

A standard queue: order does not matter and a message delivered twice only repeats checks
that the jobs' conditional writes already make safe. Ten messages per request.
"""

from __future__ import annotations

from typing import Any

from videohook.adapters.aws_errors import aws_errors
from videohook.models.messages import PollWorkMessage

SQS_BATCH_ENTRIES = 10


class SqsPollWorkQueue:
    def __init__(self, *, client: Any, queue_url: str, jobs_per_message: int) -> None:
        self._client = client
        self._queue_url = queue_url
        self._jobs_per_message = jobs_per_message

    def dispatch(self, job_ids: list[str]) -> None:
        size = self._jobs_per_message
        bodies = [
            PollWorkMessage(job_ids=job_ids[start : start + size]).to_json()
            for start in range(0, len(job_ids), size)
        ]
        with aws_errors("hand jobs to the poll workers"):
            for start in range(0, len(bodies), SQS_BATCH_ENTRIES):
                entries = [
                    {"Id": str(index), "MessageBody": body}
                    for index, body in enumerate(bodies[start : start + SQS_BATCH_ENTRIES])
                ]
                # An entry SQS refuses is not resent: its jobs stay due for the next invocation.
                self._client.send_message_batch(QueueUrl=self._queue_url, Entries=entries)

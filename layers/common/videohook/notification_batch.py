"""The notifier's batch processing: Powertools' FIFO partial processor, plus the
bookkeeping SQS FIFO needs so that a failing callback holds back only its own job."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor


class NotificationBatchProcessor(SqsFifoPartialProcessor):
    """One message group per job: once a record fails, the later records of its group are
    skipped (reported failed) so its events stay in order, and other jobs go on.

    A skipped record would stay in flight for the queue's visibility timeout and, FIFO,
    block its group meanwhile, even the failed message ahead of it: so skipped records are
    handed back at once through ``release``. A batch whose every record failed is a normal
    answer: each failure already set its own retry delay, which an exception for the whole
    batch would undo.
    """

    def __init__(self, release: Callable[[list[str]], None]) -> None:
        super().__init__(skip_group_on_error=True)
        self.raise_on_entire_batch_failure = False
        self._release = release
        self._skipped: list[str] = []

    def _process_record(self, record: dict[str, Any]) -> Any:
        group = record.get("attributes", {}).get("MessageGroupId")
        if group is not None and group in self._failed_group_ids:
            self._skipped.append(record["receiptHandle"])
        return super()._process_record(record)

    def _clean(self) -> None:
        skipped, self._skipped = self._skipped, []
        if skipped:
            self._release(skipped)
        super()._clean()

"""The notifier's batch processing: Powertools' FIFO partial processor, with each message
group (one per job) delivered on its own thread, plus the bookkeeping SQS FIFO needs so that
a failing callback holds back only its own job."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, SqsFifoPartialProcessor

# SQS hands a Lambda at most 10 records of a FIFO queue at once.
MAX_BATCH_SIZE = 10
# How long one group's delivery may hold up the others of its batch (a loopback or nearby
# receiver answers well within it; one across the internet may not).
HANDOFF_AFTER_SECONDS = 0.05


class NotificationBatchProcessor(SqsFifoPartialProcessor):
    """One message group per job. The records of a group are delivered in order, and once
    one fails the later ones are skipped (reported failed) so its events stay in order.

    Groups are delivered one after another on the invoking thread while each takes less than
    ``HANDOFF_AFTER_SECONDS``: a thread per group costs more CPU than a fast receiver's whole
    answer. Once one group has taken that long, every group still waiting gets a thread of
    its own, so a slow receiver holds up the rest of its batch by that much at most.

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
        self._lock = threading.Lock()
        # Made once per execution environment; idle threads cost nothing between batches.
        self._pool = ThreadPoolExecutor(max_workers=MAX_BATCH_SIZE, thread_name_prefix="notify")

    def process(self) -> list[tuple[Any, ...]]:
        groups: dict[str, list[int]] = {}
        for index, record in enumerate(self.records):
            # A record without a group (never on a FIFO queue) is a group of its own.
            group = record.get("attributes", {}).get("MessageGroupId") or f"record-{index}"
            groups.setdefault(group, []).append(index)
        results: list[tuple[Any, ...]] = [()] * len(self.records)

        def deliver_group(indexes: list[int]) -> None:
            failed = False
            for index in indexes:
                record = self.records[index]
                if failed:
                    results[index] = self._skip(record)
                    continue
                # The plain processor's step: the FIFO one keeps per-batch state that
                # threads would share; the group's order is kept here instead.
                results[index] = BatchProcessor._process_record(self, record)
                failed = results[index][0] == "fail"

        waiting = deque(groups.values())
        waiting_lock = threading.Lock()
        finished_groups = [0]

        def drain() -> None:
            while True:
                with waiting_lock:
                    if not waiting:
                        return
                    indexes = waiting.popleft()
                deliver_group(indexes)
                finished_groups[0] += 1

        if len(waiting) == 1:
            drain()
            return results
        done = threading.Event()
        helpers: list[Future[None]] = []

        def hand_off_when_stuck() -> None:
            # Woken every HANDOFF_AFTER_SECONDS; a group that long in delivery gets company.
            seen = finished_groups[0]
            while not done.wait(HANDOFF_AFTER_SECONDS):
                if finished_groups[0] == seen:
                    with waiting_lock:
                        count = len(waiting)
                    helpers.extend(self._pool.submit(drain) for _ in range(count))
                    return
                seen = finished_groups[0]

        watcher = self._pool.submit(hand_off_when_stuck)
        drain()
        done.set()
        watcher.result()
        for helper in helpers:
            helper.result()
        return results

    def _skip(self, record: dict[str, Any]) -> tuple[Any, ...]:
        with self._lock:
            self._skipped.append(record["receiptHandle"])
            return BatchProcessor.failure_handler(
                self,
                record=self._to_batch_type(record, event_type=self.event_type, model=self.model),
                exception=self.group_circuit_breaker_exc,
            )

    def failure_handler(self, record: Any, exception: Any) -> Any:
        with self._lock:
            return BatchProcessor.failure_handler(self, record, exception)

    def success_handler(self, record: Any, result: Any) -> Any:
        with self._lock:
            return BatchProcessor.success_handler(self, record, result)

    def _clean(self) -> None:
        skipped, self._skipped = self._skipped, []
        if skipped:
            self._release(skipped)
        super()._clean()

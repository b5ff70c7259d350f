"""One poller invocation: rounds of due jobs until its loop time is used up.

A round reads the due jobs (oldest due first, in a window ``fair_window_factor`` times what
it takes), takes them round-robin by client (``logic/fairness.py``), checks up to
``batch_size`` of them on this invocation's threads and, when more are due than that and a
work queue is configured, hands the rest to the poll workers in batches (fan-out on SQS and
Lambda, never on threads that outlive the invocation). Between rounds with nothing due it
waits a moment, so a job is checked within about a second of its ``next_check_at`` for as
long as the invocation loops; the schedule starts the next invocation as this one stops
taking work.

A job read twice in one invocation with the same ``next_check_at`` was already handled
(or handed out, or found leased) in this invocation, and is left for the next one.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aws_lambda_powertools.metrics import MetricUnit

from videohook.errors import JobItemTooLarge
from videohook.logic.fairness import take_fairly
from videohook.models.jobs import Job
from videohook.models.outcomes import SweepOutcome
from videohook.observability import logger, metrics
from videohook.ports import JobStore, PollWorkQueue

if TYPE_CHECKING:
    from videohook.logic.poll import Poller


@dataclass(frozen=True)
class PollSettings:
    batch_size: int
    concurrency: int
    lease_seconds: int
    deadline_margin_seconds: float
    retention_days: int
    # How long one invocation keeps taking due jobs (0: one round, as a test asks for).
    loop_seconds: float = 0.0
    # The pause between rounds when nothing is due: the detection delay it adds at most.
    idle_wait_seconds: float = 1.0
    # Due jobs beyond ``batch_size`` handed to the poll workers per round (with a work queue).
    fanout_max_jobs: int = 0
    # Due jobs read per round, as a multiple of what it takes: the window shared fairly
    # between clients (a wider one costs more reads each round).
    fair_window_factor: int = 4


# The job as read, unchanged: once handled in an invocation, it is not taken again there.
_Seen = tuple[str, int | None, str | None]


class SweepRun:
    def __init__(
        self,
        poller: Poller,
        jobs: JobStore,
        settings: PollSettings,
        work: PollWorkQueue | None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        seconds: Callable[[], float] = time.monotonic,
    ) -> None:
        self._poller = poller
        self._jobs = jobs
        self._settings = settings
        self._work = work
        self._sleep = sleep
        self._seconds = seconds
        self._owner = f"poller-{uuid.uuid4().hex[:12]}"
        self._tally: Counter[SweepOutcome] = Counter()
        self._due = 0
        self._oldest = 0.0

    def run(self, remaining_seconds: Callable[[], float]) -> dict[str, int]:
        s = self._settings
        started = self._seconds()
        seen: set[_Seen] = set()
        read_limit = s.batch_size + (s.fanout_max_jobs if self._work is not None else 0)
        with ThreadPoolExecutor(max_workers=s.concurrency) as pool:
            while True:
                now = self._poller.epoch()
                window = self._jobs.due_jobs(now, read_limit * s.fair_window_factor)
                due = take_fairly([job for job in window if _key(job) not in seen], read_limit)
                seen.update(_key(job) for job in due)
                self._note_due(due, now)
                mine, overflow = due[: s.batch_size], due[s.batch_size :]
                if overflow and self._work is not None:
                    self._work.dispatch([job.job_id for job in overflow])
                    self._tally[SweepOutcome.DISPATCHED] += len(overflow)
                self._check(pool, mine, remaining_seconds)
                left = s.loop_seconds - (self._seconds() - started)
                if left <= 0 or remaining_seconds() < s.deadline_margin_seconds:
                    break
                if not mine:
                    self._sleep(min(s.idle_wait_seconds, left))
        return self._report()

    def run_ids(self, job_ids: list[str], remaining_seconds: Callable[[], float]) -> dict[str, int]:
        """A worker's batch: each job re-read (it may have moved since it was handed out)
        and checked only if it is still due."""
        now = self._poller.epoch()
        jobs = (self._jobs.get(job_id) for job_id in job_ids)
        due = [
            job
            for job in jobs
            if job is not None and job.next_check_at is not None and job.next_check_at <= now
        ]
        self._note_due(due, now)
        with ThreadPoolExecutor(max_workers=self._settings.concurrency) as pool:
            self._check(pool, due, remaining_seconds)
        return self._report()

    def _note_due(self, due: Iterable[Job], now: int) -> None:
        for job in due:
            self._due += 1
            self._oldest = max(self._oldest, now - job.created_epoch())

    def _check(
        self, pool: ThreadPoolExecutor, jobs: list[Job], remaining_seconds: Callable[[], float]
    ) -> None:
        for result in pool.map(lambda job: self._check_in_time(job, remaining_seconds), jobs):
            self._tally[result] += 1

    def _check_in_time(self, job: Job, remaining_seconds: Callable[[], float]) -> SweepOutcome:
        if remaining_seconds() < self._settings.deadline_margin_seconds:
            return SweepOutcome.DEFERRED
        try:
            return self._process(job)
        except Exception:  # noqa: BLE001
            # One job's trouble must not end the sweep; the lease lapses and it is retried.
            logger.exception("Processing a job failed", extra={"job_id": job.job_id})
            self._jobs.release(job.job_id, self._owner)
            return SweepOutcome.ERRORED

    def _process(self, job: Job) -> SweepOutcome:
        try:
            return self._poller.process(job, self._owner)
        except JobItemTooLarge as refused:
            # Retrying would fail the same way and keep the job at the head of the index.
            logger.warning("Job item too large to update; ending it", extra={"job_id": job.job_id})
            return self._poller.end_oversized(job, self._owner, refused)

    def _report(self) -> dict[str, int]:
        report = {"due": self._due, **{outcome.value: count for outcome, count in self._tally.items()}}
        logger.info("Poller sweep finished", extra={"report": report})
        for outcome, count in self._tally.items():
            metrics.add_metric(name=outcome.metric_name, unit=MetricUnit.Count, value=count)
        metrics.add_metric(name="PendingJobs", unit=MetricUnit.Count, value=self._due)
        metrics.add_metric(name="OldestPendingAgeSeconds", unit=MetricUnit.Seconds, value=self._oldest)
        return report


def _key(job: Job) -> _Seen:
    return (job.job_id, job.next_check_at, job.outbox_event)

"""Capacity: 10,000 jobs in flight, each to be checked at least every 30 s, the provider
answering in 100 ms (the simulator, its own process): at least 333 checks/s sustained.

One poller invocation loops as in AWS (rounds of due jobs) and hands what it cannot check
in time to poll workers through a queue, as the template's SQS queue and PollWorkerFunction
do; here the queue is in memory and each worker (a thread standing for one Lambda
environment, with its own poller and connection pool) takes up to four messages at a time.
DynamoDB is the in-memory double. Every second the run records the checks done and the age
of the oldest job that is due but not yet checked.

    .venv/bin/python -m benchmarks.fanout_simulation [--jobs 10000] [--seconds 90] [--workers 6]
"""

from __future__ import annotations

import argparse
import itertools
import queue
import statistics
import threading
import time

from benchmarks import harness
from videohook.observability import metrics

INTERVAL = 30.0
LATENCY = 0.1
JOBS_PER_MESSAGE = 25
MESSAGES_PER_BATCH = 4  # the template's BatchSize for PollWorkerFunction
# next_check_at is in whole seconds and a round takes a moment: this much behind is on time.
KEPT_UP_SECONDS = 3.0


class InMemoryWorkQueue:
    """The poll workers' SQS queue: messages of job ids."""

    def __init__(self) -> None:
        self.messages: queue.Queue[list[str]] = queue.Queue()

    def dispatch(self, job_ids: list[str]) -> None:
        for start in range(0, len(job_ids), JOBS_PER_MESSAGE):
            self.messages.put(job_ids[start : start + JOBS_PER_MESSAGE])

    def receive(self) -> list[str]:
        batch: list[str] = []
        try:
            batch.extend(self.messages.get(timeout=0.2))
            while len(batch) < JOBS_PER_MESSAGE * MESSAGES_PER_BATCH:
                batch.extend(self.messages.get_nowait())
        except queue.Empty:
            pass
        return batch


def oldest_due_age(jobs: harness.CountingJobStore, now: float) -> float:
    due = [job.next_check_at for job in list(jobs.jobs.values()) if job.next_check_at is not None]
    oldest = min(due, default=now)
    return max(0.0, now - oldest)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=90.0)
    parser.add_argument("--workers", type=int, default=6)
    parser.add_argument("--worker-threads", type=int, default=16)
    args = parser.parse_args()
    goal = args.jobs / INTERVAL

    with harness.simulator_process(seconds_to_complete=10**9, retrieve_latency_seconds=LATENCY) as base_url:
        upstream_ids = harness.create_generations(base_url, args.jobs)
        jobs = harness.CountingJobStore()
        start = harness.now()
        for index, upstream_id in enumerate(upstream_ids):
            # Due spread over one interval, as a steady state is; past the growing intervals
            due = int(start.timestamp() + INTERVAL * index / args.jobs)
            job = harness.in_flight_job(index, upstream_id, due, start).replace(poll_count=5)
            jobs.insert(job)
        work = InMemoryWorkQueue()
        settings = harness.poll_settings(100, 16, loop_seconds=args.seconds, fanout_max_jobs=5000)
        poller = harness.poller(jobs, base_url, settings, max_interval_seconds=INTERVAL, work=work)
        stopping = threading.Event()

        def worker() -> None:
            own = harness.poller(
                jobs, base_url, harness.poll_settings(100, args.worker_threads), max_interval_seconds=INTERVAL
            )
            while not stopping.is_set():
                batch = work.receive()
                if batch:
                    own.check(batch, remaining_seconds=lambda: 60.0)
                    # An invocation's metrics are flushed as it ends; here they are dropped.
                    metrics.clear_metrics()

        workers = [threading.Thread(target=worker, daemon=True) for _ in range(args.workers)]
        for thread in workers:
            thread.start()
        samples: list[tuple[float, int, float]] = []

        def sample() -> None:
            began = time.time()
            while not stopping.wait(1.0):
                now = time.time()
                samples.append((now - began, jobs.writes, oldest_due_age(jobs, now)))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        began = time.monotonic()
        report = poller.sweep(remaining_seconds=lambda: args.seconds + 60 - (time.monotonic() - began))
        stopping.set()
        for thread in [*workers, sampler]:
            thread.join(timeout=70)

    steady = [s for s in samples if s[0] >= INTERVAL]
    rate = (steady[-1][1] - steady[0][1]) / (steady[-1][0] - steady[0][0])
    ages = [age for _, _, age in steady]
    print(f"Capacity ({harness.machine()}; {args.jobs} jobs, simulator {LATENCY * 1000:.0f} ms)")
    print(f"poller report: {report}")
    print(f"workers: {args.workers} x {args.worker_threads} threads; poller: {settings.concurrency} threads")
    kept_up = max(ages) <= KEPT_UP_SECONDS
    print(
        f"checks/s from {INTERVAL:.0f} s on: {rate:.0f} "
        f"of the {goal:.0f} the jobs' pacing asks ({rate / goal:.2f})"
    )
    print(
        "oldest due-but-unchecked job, seconds (median / max): "
        f"{statistics.median(ages):.1f} / {max(ages):.1f}: "
        f"{'kept up' if kept_up else 'fell behind'} (goal: never more than {KEPT_UP_SECONDS:g} s behind, "
        f"so every job is checked at least every {INTERVAL:.0f} s give or take that)"
    )
    chart(samples, args)


def chart(samples: list[tuple[float, int, float]], args: argparse.Namespace) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (checks, ages) = plt.subplots(2, 1, figsize=(7, 5.5), sharex=True)
    times = [t for t, _, _ in samples]
    rates = [0.0] + [(b[1] - a[1]) / (b[0] - a[0]) for a, b in itertools.pairwise(samples)]
    checks.plot(times, rates, label="checks/s achieved")
    checks.axhline(
        args.jobs / INTERVAL, color="red", linestyle="--", label=f"needed: {args.jobs / INTERVAL:.0f}/s"
    )
    checks.set_ylabel("checks per second")
    checks.legend()
    checks.grid(alpha=0.3)
    ages.plot(times, [age for _, _, age in samples], color="darkorange")
    ages.set_ylabel("oldest due job's age (s)")
    ages.set_xlabel("seconds into the run")
    ages.grid(alpha=0.3)
    checks.set_title(
        f"{args.jobs} jobs in flight, each due every {INTERVAL:.0f} s, provider at {LATENCY * 1000:.0f} ms"
    )
    print(
        "chart:", harness.save_chart(figure, "fanout-10000-jobs", "make bench (benchmarks.fanout_simulation)")
    )


if __name__ == "__main__":
    main()

"""Lag: how long after the provider reports a generation complete its callback is queued,
on the production schedule (a tick a minute, each invocation looping for 58 s, pacing at
scale 1 capped at POLL_MAX_CHECK_INTERVAL_SECONDS = 6 s), for jobs of many lengths.

Jobs of ``gen3a_turbo`` (first check 30 s after submit, in the catalog) are submitted at
random moments over the first minutes, each finishing a random 30-150 s after its submit.
The simulator runs in this process at 100 ms per status answer; it has no per-generation
duration, so each generation's start is set in its state to give it its own. The poller is
the production one (its rounds, the provider client over HTTP), invoked by a schedule thread
that starts an invocation every minute without waiting for the last, as EventBridge does;
the store, S3 and SQS are in memory. The lag is measured to the moment the notification is
queued: the notifier's delivery comes on top (measured by its own benchmark).

    .venv/bin/python -m benchmarks.lag [--jobs 60] [--spread 120] [--tick 60]
"""

from __future__ import annotations

import argparse
import random
import statistics
import threading
import time

from benchmarks import harness
from local.upstream_simulator import UpstreamSimulator
from tests.fakes import InMemoryQueue
from videohook.models.messages import NotificationMessage

SHORTEST, LONGEST = 30.0, 150.0
LATENCY = 0.1
GOALS = {"median": 5.0, "max": 15.0}


class TimedQueue(InMemoryQueue):
    def __init__(self) -> None:
        super().__init__()
        self.queued_at: dict[str, float] = {}

    def send(self, message: NotificationMessage, *, deduplication_id: str) -> None:
        self.queued_at.setdefault(message.job_id, time.monotonic())
        super().send(message, deduplication_id=deduplication_id)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=60)
    parser.add_argument("--spread", type=float, default=120.0, help="seconds over which jobs are submitted")
    parser.add_argument("--tick", type=float, default=60.0, help="the schedule's interval")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    loop_seconds = args.tick * 58 / 60  # as the template: POLL_LOOP_SECONDS 58 of a minute

    jobs = harness.CountingJobStore()
    queue = TimedQueue()
    finishes: dict[str, float] = {}
    with UpstreamSimulator(
        api_key=harness.API_KEY, seconds_to_complete=0, retrieve_latency_seconds=LATENCY
    ) as sim:
        poller = harness.poller(
            jobs, sim.base_url, harness.poll_settings(100, 8, loop_seconds=loop_seconds), queue=queue
        )
        pacing_first = harness.CATALOG.get(harness.MODEL).timing.first_check_delay_seconds  # type: ignore[union-attr]
        stopping = threading.Event()

        def schedule() -> None:
            while not stopping.is_set():
                started = time.monotonic()
                threading.Thread(
                    target=poller.sweep, args=(lambda s=started: 120 - (time.monotonic() - s),), daemon=True
                ).start()
                stopping.wait(args.tick)

        threading.Thread(target=schedule, daemon=True).start()
        began = time.monotonic()
        for index, offset in enumerate(sorted(rng.uniform(0, args.spread) for _ in range(args.jobs))):
            time.sleep(max(0.0, began + offset - time.monotonic()))
            duration = rng.uniform(SHORTEST, LONGEST)
            submitted, created = time.monotonic(), harness.now()
            upstream_id = harness.create_generations(sim.base_url, 1)[0]
            # The simulator finishes a generation seconds_to_complete (0) after its start.
            sim._state.generations[upstream_id].created_at = submitted + duration
            finishes[f"gen_{index:06d}"] = submitted + duration
            due = int(created.timestamp()) + pacing_first
            jobs.insert(harness.in_flight_job(index, upstream_id, due, created))
        deadline = time.monotonic() + LONGEST + 3 * args.tick
        while len(queue.queued_at) < args.jobs and time.monotonic() < deadline:
            time.sleep(1)
        stopping.set()

    lags = sorted(
        queue.queued_at[job_id] - finished
        for job_id, finished in finishes.items()
        if job_id in queue.queued_at
    )
    print(f"Lag ({harness.machine()}; {len(lags)}/{args.jobs} jobs of 30-150 s, tick {args.tick:g} s)")
    median, worst = statistics.median(lags), max(lags)
    p90 = lags[int(0.9 * (len(lags) - 1))]
    print(
        f"seconds from provider completion to queued callback: min {min(lags):.1f}, median {median:.1f}, "
        f"p90 {p90:.1f}, max {worst:.1f}"
    )
    print(
        f"median {harness.verdict(median / GOALS['median'], 1.0, at_most=True)} "
        f"of the {GOALS['median']:g} s goal"
    )
    print(f"max {harness.verdict(worst / GOALS['max'], 1.0, at_most=True)} of the {GOALS['max']:g} s goal")
    chart(lags, args)


def chart(lags: list[float], args: argparse.Namespace) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 4))
    axes.hist(lags, bins=[i * 0.5 for i in range(0, 41)], color="steelblue", edgecolor="white")
    for name, goal in GOALS.items():
        axes.axvline(goal, color="red", linestyle="--")
        axes.text(goal, axes.get_ylim()[1] * 0.9, f" goal: {name} ≤ {goal:g} s", color="red", fontsize=8)
    axes.axvline(statistics.median(lags), color="black", label=f"median {statistics.median(lags):.1f} s")
    axes.set_xlabel("seconds from provider completion to the callback being queued")
    axes.set_ylabel("jobs")
    axes.set_title(f"Lag on the production schedule ({len(lags)} jobs of 30-150 s, tick {args.tick:g} s)")
    axes.legend()
    print("chart:", harness.save_chart(figure, "lag-distribution", "make bench (benchmarks.lag)"))


if __name__ == "__main__":
    main()

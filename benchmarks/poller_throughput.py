"""Per-check overhead: the poller's sweep against a bare threaded ``requests`` client doing
only the provider GETs, at the same concurrency, against the same simulator (100 ms per
status answer, its own process), side by side in one run. DynamoDB is the in-memory double,
so the ratio is the poller's own overhead; the same run counts the store writes per check.

    .venv/bin/python -m benchmarks.poller_throughput [--rounds 3] [--seconds 8]
"""

from __future__ import annotations

import argparse
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

from benchmarks import harness
from videohook.adapters.http import new_session

CONCURRENCY = (8, 16, 64)
GOAL = 0.8
LATENCY = 0.1


def bare_rate(base_url: str, upstream_ids: list[str], concurrency: int) -> float:
    """Checks/s of plain GETs of each generation's status, ``concurrency`` at a time."""
    spec = harness.CATALOG.get(harness.MODEL)
    assert spec is not None
    url = f"{base_url}{spec.retrieve_path}"
    session = new_session(pool_size=concurrency)
    headers = {"Authorization": f"Bearer {harness.API_KEY}"}

    def get(upstream_id: str) -> None:
        answer = session.get(url, params={"generation_id": upstream_id}, headers=headers, timeout=15)
        answer.raise_for_status()
        answer.json()

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(get, upstream_ids))
    return len(upstream_ids) / (time.perf_counter() - started)


def videohook_rate(base_url: str, upstream_ids: list[str], concurrency: int) -> tuple[float, float]:
    """Checks/s of one sweep over every job (all due, all still generating), and the store
    writes per check."""
    jobs = harness.CountingJobStore()
    now = harness.now()
    for index, upstream_id in enumerate(upstream_ids):
        jobs.insert(harness.in_flight_job(index, upstream_id, int(now.timestamp()) - 1, now))
    poller = harness.poller(jobs, base_url, harness.poll_settings(len(upstream_ids), concurrency))
    started = time.perf_counter()
    report = poller.sweep(remaining_seconds=lambda: 900.0)
    elapsed = time.perf_counter() - started
    if report.get("in_flight") != len(upstream_ids):
        raise RuntimeError(f"the sweep did not check every job: {report}")
    return len(upstream_ids) / elapsed, jobs.writes / len(upstream_ids)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=8.0, help="about how long each measured sweep runs")
    args = parser.parse_args()

    results: dict[int, tuple[list[float], list[float], list[float]]] = {}
    with harness.simulator_process(seconds_to_complete=10**9, retrieve_latency_seconds=LATENCY) as base_url:
        for concurrency in CONCURRENCY:
            count = int(concurrency / LATENCY * args.seconds)
            upstream_ids = harness.create_generations(base_url, count)
            bare, ours, writes = [], [], []
            bare_rate(base_url, upstream_ids[: concurrency * 4], concurrency)  # warm-up
            for _ in range(args.rounds):
                bare.append(bare_rate(base_url, upstream_ids, concurrency))
                rate, per_check = videohook_rate(base_url, upstream_ids, concurrency)
                ours.append(rate)
                writes.append(per_check)
            results[concurrency] = (bare, ours, writes)

    print(f"Per-check overhead ({harness.machine()}; simulator {LATENCY * 1000:.0f} ms)")
    print(f"checks/s as min / median / max of {args.rounds} runs")
    header = f"{'threads':>7} {'bare checks/s':>16} {'videohook checks/s':>19} {'ratio of medians':>30}"
    print(f"{header} {'writes/check':>13}")
    for concurrency, (bare, ours, writes) in results.items():
        ratio = statistics.median(ours) / statistics.median(bare)
        print(
            f"{concurrency:>7} {harness.spread(bare):>16} {harness.spread(ours):>19} "
            f"{harness.verdict(ratio, GOAL):>30} {statistics.median(writes):>13.2f}"
        )
    print(f"store writes per in-flight check: {max(max(w) for _, _, w in results.values()):.2f} (goal 1)")
    chart(results, args.rounds)


def chart(results: dict[int, tuple[list[float], list[float], list[float]]], rounds: int) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 4))
    threads = list(results)
    for label, column, style in (("bare requests GETs", 0, "o--"), ("videohook sweep", 1, "s-")):
        medians = [statistics.median(results[t][column]) for t in threads]
        low = [medians[i] - min(results[t][column]) for i, t in enumerate(threads)]
        high = [max(results[t][column]) - medians[i] for i, t in enumerate(threads)]
        axes.errorbar(threads, medians, yerr=[low, high], fmt=style, capsize=3, label=label)
    axes.set_xscale("log", base=2)
    axes.set_xticks(threads, [str(t) for t in threads])
    axes.set_xlabel("threads (POLL_CONCURRENCY)")
    axes.set_ylabel("checks per second")
    axes.set_title(
        f"Checks/s against concurrency (simulator {LATENCY * 1000:.0f} ms, median, min-max of {rounds})"
    )
    axes.legend()
    axes.grid(alpha=0.3)
    print(
        "chart:", harness.save_chart(figure, "checks-per-second", "make bench (benchmarks.poller_throughput)")
    )


if __name__ == "__main__":
    main()

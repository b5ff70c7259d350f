"""Lag on ``make run``: how long after the provider completes a generation its signed
callback reaches the client's receiver, on the production schedule, end to end through the
real local stack (issue 11's "Lag" goal: median ≤ 5 s, worst ≤ 15 s).

The stack is started as ``make run`` starts it (``python -m local`` in a process of its
own, this checkout's code) with ``POLL_INTERVAL_SECONDS=60``: a schedule tick a minute,
not waiting for the last, each poller invocation looping for 58 s, pacing at scale 1 capped
at 6 s; moto for DynamoDB, S3 and SQS; the notifier fed by the SQS event source reader;
every function in execution environments of their own. After the first tick has started
(a deployed stack's schedule is always running), jobs are submitted through the HTTP API
at random moments over ``--spread`` seconds, a mix of models whose catalog first checks
differ, each with a callback URL on a loopback receiver in this process. Right after each
submit, the simulator's loopback admin route gives that generation a duration drawn from
30-150 s (never shorter than its model's first check: a generation quicker than the
catalog says the model ever is waits for that first check, by design).

Per job: the provider's completion (the simulator's ``completes_at``: its create plus its
duration), the simulator's first answer saying so (``reported_at``: when the poller
noticed), and the arrival of the signed callback at the receiver (verified with
``standardwebhooks``; duplicates counted). Baselines, measured in the same run: the
simulator's own status answer and a bare signed POST to the same receiver.

    PYTHONPATH=layers/common:. .venv/bin/python -m benchmarks.lag_local_stack [--jobs 60] [--spread 120]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests
from standardwebhooks import Webhook

from benchmarks import harness
from local.receiver import ReceivedCallback, WebhookReceiver
from local.simulator.contract import GENERATION_PATH

ROOT = Path(__file__).resolve().parent.parent
SHORTEST, LONGEST = 30.0, 150.0
GOALS = {"median": 5.0, "max": 15.0}
API_KEY = "lag-bench-key"
SECRET = "whsec_bGFnLWJlbmNoLXNpZ25pbmctc2VjcmV0LTAx"
UPSTREAM_KEY = "lag-bench-upstream-key"
READY_LINE = "local stack is up"
# A model of each first-check delay the catalog gives: 15 s, 30 s, 60 s.
MODELS: dict[str, dict[str, Any]] = {
    "kling-video/v1.6/standard/text-to-video": {"prompt": "A paper boat on a rainy street"},
    "gen3a_turbo": {"prompt": "A lighthouse at dusk", "image_url": "https://images.example.com/a.png"},
    "video-01": {"prompt": "A jellyfish drifting through a sunlit ocean"},
}


class TimedReceiver(WebhookReceiver):
    """The tests' receiver, noting when (``time.time()``) each callback was answered."""

    def __init__(self) -> None:
        super().__init__()
        self.arrivals: list[tuple[float, ReceivedCallback]] = []

    def _record(self, callback: ReceivedCallback) -> None:
        self.arrivals.append((time.time(), callback))
        super()._record(callback)


@dataclass
class Submitted:
    job_id: str
    model: str
    upstream_id: str
    seconds: float  # the duration given to its generation


def start_stack(log: Path, port: int, simulator_port: int) -> subprocess.Popen[bytes]:
    """``make run``'s command with the production schedule; this checkout's code first on
    the path (``local`` puts its own layer first too, for the execution environments)."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "layers" / "common"), str(ROOT)]),
        "POLL_INTERVAL_SECONDS": "60",
        "VIDEOHOOK_PORT": str(port),
        "VIDEOHOOK_SIMULATOR_PORT": str(simulator_port),
        "VIDEOHOOK_API_KEY": API_KEY,
        "WEBHOOK_SECRET": SECRET,
        "AIMLAPI_API_KEY": UPSTREAM_KEY,
    }
    for inherited in ("AIMLAPI_BASE_URL", "AWS_ENDPOINT_URL", "AWS_PROFILE", "POLL_PACING_SCALE"):
        env.pop(inherited, None)
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "local"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    deadline = time.monotonic() + 90
    while READY_LINE not in log.read_text():
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the stack did not start:\n{log.read_text()}")
        time.sleep(0.1)
    return process


def stop_stack(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def baselines(simulator: str, receiver: TimedReceiver, runs: int = 200) -> dict[str, float]:
    """Medians in ms: the simulator's status answer for a finished generation (one of its
    own, made here), and a bare signed POST (``standardwebhooks``) of a callback-sized body
    to the receiver."""
    with requests.Session() as http:
        created = http.post(
            simulator + GENERATION_PATH,
            json={"model": "gen3a_turbo", **MODELS["gen3a_turbo"]},
            headers={"Authorization": f"Bearer {UPSTREAM_KEY}"},
            timeout=10,
        )
        created.raise_for_status()
        upstream_id = created.json()["id"]
        http.put(
            f"{simulator}/_simulator/generations/{quote(upstream_id, safe='')}",
            json={"seconds_to_complete": 0},
            timeout=10,
        ).raise_for_status()
        status = []
        for _ in range(runs):
            began = time.perf_counter()
            http.get(
                simulator + GENERATION_PATH,
                params={"generation_id": upstream_id},
                headers={"Authorization": f"Bearer {UPSTREAM_KEY}"},
                timeout=10,
            ).raise_for_status()
            status.append((time.perf_counter() - began) * 1000)
        signer, body, posts = Webhook(SECRET), json.dumps({"data": "x" * 2000}), []
        for index in range(runs):
            began = time.perf_counter()
            stamp = harness.now()
            headers = {
                "webhook-id": f"msg_bench_{index}",
                "webhook-timestamp": str(int(stamp.timestamp())),
                "webhook-signature": signer.sign(f"msg_bench_{index}", stamp, body),
                "content-type": "application/json",
            }
            http.post(
                receiver.base_url + "/baseline", data=body, headers=headers, timeout=10
            ).raise_for_status()
            posts.append((time.perf_counter() - began) * 1000)
    return {"status answer": statistics.median(status), "signed POST": statistics.median(posts)}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[int(share * (len(ordered) - 1))]


def submit_jobs(
    args: argparse.Namespace, api: str, admin: str, receiver_url: str, rng: random.Random
) -> list[Submitted]:
    """The jobs, through the API at random moments over ``--spread`` s, models in turn; each
    generation given its duration right after its create."""
    submitted: list[Submitted] = []
    with requests.Session() as http:
        start = time.monotonic()
        offsets = sorted(rng.uniform(0, args.spread) for _ in range(args.jobs))
        for index, offset in enumerate(offsets):
            time.sleep(max(0.0, start + offset - time.monotonic()))
            model = args.models[index % len(args.models)]
            first = harness.CATALOG.get(model).timing.first_check_delay_seconds  # type: ignore[union-attr]
            seconds = rng.uniform(max(args.shortest, first), args.longest)
            answer = http.post(
                f"{api}/v1/generations",
                json={"model": model, **MODELS[model], "callback_url": receiver_url},
                headers={"x-api-key": API_KEY},
                timeout=30,
            )
            answer.raise_for_status()
            job = answer.json()
            upstream_id = job["upstream"]["id"]
            http.put(
                f"{admin}/{quote(upstream_id, safe='')}", json={"seconds_to_complete": seconds}, timeout=10
            ).raise_for_status()
            submitted.append(Submitted(job["id"], model, upstream_id, seconds))
        print(f"{len(submitted)} jobs submitted in {time.monotonic() - start:.0f} s", flush=True)
    return submitted


def wait_for_callbacks(receiver: TimedReceiver, submitted: list[Submitted], seconds: float) -> None:
    wanted = {job.job_id for job in submitted}
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        arrived = {c.json()["data"]["id"] for _, c in list(receiver.arrivals) if c.path != "/baseline"}
        if arrived >= wanted:
            break
        time.sleep(1)
    time.sleep(5)  # a duplicate would come within seconds


def verified_arrivals(receiver: TimedReceiver) -> tuple[dict[str, list[float]], int]:
    """Job id -> when each of its verified callbacks arrived; the count of bad signatures."""
    verifier = Webhook(SECRET)
    arrivals: dict[str, list[float]] = {}
    bad_signatures = 0
    for at, callback in receiver.arrivals:
        if callback.path == "/baseline":
            continue
        try:
            verifier.verify(callback.body, {k.lower(): v for k, v in callback.headers.items()})
        except Exception:  # noqa: BLE001 - counted, and the callback is not used
            bad_signatures += 1
            continue
        arrivals.setdefault(callback.json()["data"]["id"], []).append(at)
    return arrivals, bad_signatures


Row = tuple[Submitted, float, float, float]  # job, lag, completion -> seen, seen -> callback


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=60)
    parser.add_argument("--spread", type=float, default=120.0, help="seconds over which jobs are submitted")
    parser.add_argument(
        "--models", default=",".join(MODELS), help=f"comma-separated, of: {', '.join(MODELS)}"
    )
    parser.add_argument("--shortest", type=float, default=SHORTEST, help="a generation's shortest duration")
    parser.add_argument("--longest", type=float, default=LONGEST, help="a generation's longest duration")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--no-chart", action="store_true", help="leave docs/performance/ as it is")
    args = parser.parse_args()
    args.models = [m.strip() for m in args.models.split(",") if m.strip()]
    rng = random.Random(args.seed)
    port, simulator_port = harness.free_port(), harness.free_port()
    api, simulator = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{simulator_port}"
    admin = f"{simulator}/_simulator/generations"

    with tempfile.TemporaryDirectory() as scratch, TimedReceiver() as receiver:
        log = Path(scratch) / "stack.log"
        began = time.monotonic()
        stack = start_stack(log, port, simulator_port)
        try:
            print(
                f"stack up in {time.monotonic() - began:.1f} s; waiting for the schedule's first tick",
                flush=True,
            )
            # The first tick comes a minute after the stack starts; in AWS the schedule has
            # always been running. Jobs are submitted once an invocation is looping.
            time.sleep(max(0.0, began + 60 + 5 - time.monotonic()))
            submitted = submit_jobs(args, api, admin, receiver.url, rng)
            wait_for_callbacks(receiver, submitted, args.longest + 180)
            timings = {t["id"]: t for t in requests.get(admin, timeout=10).json()["generations"]}
            floor = baselines(simulator, receiver)
        finally:
            stop_stack(stack)
            stack_log = log.read_text()

    arrivals, bad_signatures = verified_arrivals(receiver)
    duplicates = sum(len(times) - 1 for times in arrivals.values())
    rows: list[Row] = []
    for job in submitted:
        timing = timings[job.upstream_id]
        if job.job_id in arrivals and timing["reported_at"] is not None:
            received = min(arrivals[job.job_id])
            completed, seen = timing["completes_at"], timing["reported_at"]
            rows.append((job, received - completed, seen - completed, received - seen))
    report(args, rows, floor, duplicates, bad_signatures, len(submitted))
    problems = [line for line in stack_log.splitlines() if "Traceback" in line or "failed" in line]
    if problems:
        print(f"stack log: {len(problems)} error lines, the first: {problems[0]}")
    if rows and not args.no_chart:
        chart(rows, args)


def report(
    args: argparse.Namespace,
    rows: list[Row],
    floor: dict[str, float],
    duplicates: int,
    bad_signatures: int,
    submitted: int,
) -> None:
    lags = [r[1] for r in rows]
    print(
        f"Lag on make run ({harness.machine()}; POLL_INTERVAL_SECONDS=60; {len(lags)}/{submitted} jobs "
        f"of {args.shortest:g}-{args.longest:g} s; {', '.join(args.models)})"
    )
    print(f"callbacks: {len(lags)} verified, {duplicates} duplicates, {bad_signatures} bad signatures")

    def line(name: str, values: list[float]) -> None:
        print(
            f"  {name:<50} min {min(values):5.1f}  median {statistics.median(values):5.1f}  "
            f"p90 {percentile(values, 0.9):5.1f}  max {max(values):5.1f}"
        )

    print("seconds:")
    line("provider completion -> callback received", lags)
    line("  of which: completion -> first 'completed' answer", [r[2] for r in rows])
    line("  and: first 'completed' answer -> callback", [r[3] for r in rows])
    for model in args.models:
        mine = [r[1] for r in rows if r[0].model == model]
        if mine:
            line(f"  {model}", mine)
    print(
        f"baselines (median ms): the simulator's status answer {floor['status answer']:.1f}, "
        f"a bare signed POST to the receiver {floor['signed POST']:.1f}"
    )
    if lags:
        for name, value in (("median", statistics.median(lags)), ("max", max(lags))):
            goal = GOALS[name]
            print(f"{name} {harness.verdict(value / goal, 1.0, at_most=True)} of the {goal:g} s goal")


def chart(rows: list[Row], args: argparse.Namespace) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lags = [r[1] for r in rows]
    figure, axes = plt.subplots(figsize=(7, 4))
    bins = [i * 0.5 for i in range(0, int(max(20.0, max(lags) + 1) * 2) + 1)]
    axes.hist(lags, bins=bins, color="steelblue", edgecolor="white", label="completion -> callback received")
    axes.hist(
        [r[2] for r in rows],
        bins=bins,
        histtype="step",
        color="darkorange",
        linewidth=1.5,
        label="of which: until the poller's check saw it",
    )
    for name, goal in GOALS.items():
        axes.axvline(goal, color="red", linestyle="--")
        axes.text(goal, axes.get_ylim()[1] * 0.9, f" goal: {name} ≤ {goal:g} s", color="red", fontsize=8)
    median = statistics.median(lags)
    axes.axvline(median, color="black", label=f"median {median:.1f} s")
    axes.set_xlabel("seconds from provider completion to the signed callback at the receiver")
    axes.set_ylabel("jobs")
    axes.set_title(
        f"Lag on make run, POLL_INTERVAL_SECONDS=60 "
        f"({len(lags)} jobs of {args.shortest:g}-{args.longest:g} s)\n{harness.machine()}",
        fontsize=10,
    )
    axes.legend(fontsize=8)
    command = f"python -m benchmarks.lag_local_stack --jobs {args.jobs} --spread {args.spread:g} (make bench)"
    print("chart:", harness.save_chart(figure, "lag-local-stack", command))


if __name__ == "__main__":
    main()

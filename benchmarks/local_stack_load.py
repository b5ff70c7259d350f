"""How much the local stack (``make run``) takes: submits per second through the API front,
and how long N jobs take from the first submit to the last callback. A bare ``http.server``
on loopback answering the same number of POSTs, measured in the same run, says how much of
that is this machine and Python's HTTP rather than the stack.

One stack serves every round (moto keeps its state per process); a warm-up job first loads
one execution environment per function, so the rounds measure a warm stack.

    .venv/bin/python -m benchmarks.local_stack_load [--jobs N] [--clients C] [--rounds R] [--write-docs]
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from local.loopback import LoopbackHandler, LoopbackServer
from local.receiver import WebhookReceiver
from local.stack import DEFAULT_API_KEY, LocalStack, StackConfig

DOCS = Path(__file__).resolve().parent.parent / "docs" / "local-stack.md"
BEGIN, END = "<!-- local-stack-load:begin -->", "<!-- local-stack-load:end -->"


class _Echo(LoopbackHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(202)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def post_all(url: str, bodies: list[dict], clients: int, headers: dict[str, str]) -> float:
    """Seconds to POST every body, ``clients`` at a time over keep-alive connections."""
    with requests.Session() as http:
        http.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=clients))

        def post(body: dict) -> None:
            answer = http.post(url, json=body, headers=headers, timeout=120)
            if answer.status_code != 202:
                raise RuntimeError(f"{answer.status_code}: {answer.text[:200]}")

        started = time.perf_counter()
        with ThreadPoolExecutor(clients) as pool:
            list(pool.map(post, bodies))
        return time.perf_counter() - started


def job_bodies(receiver: WebhookReceiver, count: int, round_no: int) -> list[dict]:
    return [
        {
            "model": "gen3a_turbo",
            "prompt": f"round {round_no} job {n}",
            "image_url": "https://images.example.com/bench.png",
            "callback_url": f"{receiver.base_url}/hooks/{round_no}/{n}",
        }
        for n in range(count)
    ]


def spread(values: list[float], fmt: Callable[[float], str]) -> str:
    return f"{fmt(min(values))} / {fmt(statistics.median(values))} / {fmt(max(values))}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--jobs", type=int, default=100)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--write-docs", action="store_true", help=f"write the figures into {DOCS.name}")
    args = parser.parse_args()

    baseline_rates, submit_rates, end_to_end = [], [], []
    with LoopbackServer(_Echo) as echo:
        for _ in range(args.rounds):
            bodies = [{"n": n, "pad": "x" * 200} for n in range(args.jobs)]
            baseline_rates.append(args.jobs / post_all(echo.base_url + "/", bodies, args.clients, {}))

    config = StackConfig.from_environment({"VIDEOHOOK_PORT": "0", "POWERTOOLS_LOG_LEVEL": "ERROR"})
    stack = LocalStack(config).start()
    try:
        assert stack.front is not None
        url, key = stack.front.base_url + "/v1/generations", {"x-api-key": DEFAULT_API_KEY}
        with WebhookReceiver() as receiver:
            post_all(url, job_bodies(receiver, 1, 0), 1, key)  # warm-up
            receiver.wait_for(1, timeout=120)
            for round_no in range(1, args.rounds + 1):
                expected = len(receiver.received) + args.jobs
                started = time.perf_counter()
                submit_seconds = post_all(url, job_bodies(receiver, args.jobs, round_no), args.clients, key)
                receiver.wait_for(expected, timeout=600)
                end_to_end.append(time.perf_counter() - started)
                submit_rates.append(args.jobs / submit_seconds)
    finally:
        stack.stop()
        stack.lambdas.close()

    machine = (
        f"{os.cpu_count()} CPUs, {platform.system()} {platform.release()}, Python {platform.python_version()}"
    )
    lines = [
        f"Measured by `python -m benchmarks.local_stack_load --jobs {args.jobs} --clients {args.clients}` "
        f"on {machine}; {args.rounds} rounds, min / median / max.",
        "",
        "| what | figure |",
        "| --- | --- |",
        f"| bare `http.server` echo, POSTs/s ({args.clients} clients) "
        f"| {spread(baseline_rates, lambda v: f'{v:.0f}')} |",
        f"| local stack, submits/s accepted (202) | {spread(submit_rates, lambda v: f'{v:.1f}')} |",
        f"| local stack, {args.jobs} jobs from first submit to last callback, s "
        f"| {spread(end_to_end, lambda v: f'{v:.1f}')} |",
        f"| settings | `VIDEOHOOK_LAMBDA_POOL={stack.lambdas.pool('submit').size}`, "
        f"`POLL_INTERVAL_SECONDS={config.poll_interval_seconds:g}`, "
        f"`VIDEOHOOK_SIMULATOR_SECONDS={config.simulator_seconds_to_complete:g}` |",
    ]
    report = "\n".join(lines)
    print(report)
    if args.write_docs:
        text = DOCS.read_text()
        DOCS.write_text(re.sub(f"{BEGIN}.*?{END}", f"{BEGIN}\n{report}\n{END}", text, flags=re.DOTALL))


if __name__ == "__main__":
    main()

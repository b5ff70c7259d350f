"""Cold start: each function's init (its handler module's imports, the settings, and the
parts of the container its first event builds: clients, catalog, use case) against a bare
Powertools + boto3 + requests stack doing the same (the same Powertools utilities, the same
boto3 clients, one requests session), each in a fresh process, in shuffled order.

    .venv/bin/python -m benchmarks.cold_start [--rounds 10]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
from pathlib import Path

from benchmarks import harness

ROOT = Path(__file__).resolve().parent.parent
GOAL = 1.1

# function -> (the container attribute its first event builds, the clients that builds,
# the Powertools utilities its handler imports)
FUNCTIONS = {
    "submit": ("submissions", ("dynamodb", "s3", "sqs", "secretsmanager"), "rest"),
    "poller": ("poller", ("dynamodb", "s3", "sqs", "secretsmanager"), "plain"),
    "poll_worker": ("poller", ("dynamodb", "s3", "sqs", "secretsmanager"), "plain"),
    "notifier": ("notifier", ("dynamodb", "s3", "sqs", "secretsmanager"), "batch"),
}

ENVIRONMENT = {
    "JOBS_TABLE_NAME": "jobs-table",
    "IDEMPOTENCY_TABLE_NAME": "idempotency-table",
    "VIDEOS_BUCKET_NAME": "videos-bucket",
    "NOTIFY_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/notify.fifo",
    "NOTIFY_DEAD_LETTER_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/dlq.fifo",
    "AIMLAPI_API_KEY_SECRET_ID": "upstream-key",
    "CLIENTS_TABLE_NAME": "clients-table",
    "EVENT_BUS_NAME": "videohook-events",
    "POWERTOOLS_SERVICE_NAME": "videohook",
    "POWERTOOLS_METRICS_NAMESPACE": "videohook",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
}

VIDEOHOOK = """
import time, json, importlib.util, sys
started = time.perf_counter()
spec = importlib.util.spec_from_file_location("app", "functions/{function}/app.py")
module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)
from videohook.wiring import get_container
getattr(get_container(), "{use_case}")
print(json.dumps((time.perf_counter() - started) * 1000))
"""

BARE = """
import time, json
started = time.perf_counter()
import boto3, requests
from botocore.config import Config
from aws_lambda_powertools import Logger, Metrics, Tracer
{extra}
logger, metrics, tracer = Logger(), Metrics(), Tracer()
session = boto3.Session()
clients = [session.client(name, config=Config(max_pool_connections=10)) for name in {clients!r}]
http = requests.Session()
print(json.dumps((time.perf_counter() - started) * 1000))
"""

POWERTOOLS = "from aws_lambda_powertools"
EXTRA = {
    "rest": f"{POWERTOOLS}.event_handler import APIGatewayRestResolver\napp = APIGatewayRestResolver()",
    "plain": "",
    "batch": f"{POWERTOOLS}.utilities.batch import BatchProcessor, EventType, process_partial_response\n"
    "processor = BatchProcessor(event_type=EventType.SQS)",
}


def run(code: str) -> float:
    path = os.pathsep.join([str(ROOT), str(ROOT / "layers" / "common")])
    env = {**os.environ, **ENVIRONMENT, "PYTHONPATH": path}
    answer = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return float(answer.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    runs = []
    for function, (use_case, clients, kind) in FUNCTIONS.items():
        runs.append((function, "videohook", VIDEOHOOK.format(function=function, use_case=use_case)))
        runs.append((function, "bare", BARE.format(extra=EXTRA[kind], clients=clients)))
    order = runs * args.rounds
    random.shuffle(order)
    times: dict[tuple[str, str], list[float]] = {}
    for function, variant, code in order:
        times.setdefault((function, variant), []).append(run(code))

    print(
        f"Cold start, init in a fresh process, ms ({harness.machine()}; min / median / max of {args.rounds})"
    )
    print(f"{'function':>12} {'bare stack':>18} {'videohook':>18} {'ratio of medians':>32}")
    for function in FUNCTIONS:
        bare, ours = times[(function, "bare")], times[(function, "videohook")]
        ratio = statistics.median(ours) / statistics.median(bare)
        print(
            f"{function:>12} {harness.spread(bare):>18} {harness.spread(ours):>18} "
            f"{harness.verdict(ratio, GOAL, at_most=True):>32}"
        )
    print(json.dumps({f"{f}/{v}": statistics.median(t) for (f, v), t in times.items()}))


if __name__ == "__main__":
    main()

"""Cold start: each function's init (its handler module's imports, the settings, and the
parts of the container its first event builds: clients, catalog, use case) against a bare
Powertools + boto3 + requests stack doing the same (the same Powertools utilities, the same
boto3 clients with the same configuration, one requests session), each in a fresh process,
in shuffled order.

The run also checks that no function's init imports a validation library (pydantic,
jsonschema): the stored and queued types are standard-library dataclasses, and pydantic's
import alone was 1.04-1.18x the bare stack (docs/performance.md, "Cold start").

Both sides load bytecode: the libraries' was compiled when pip installed them, and the layer's
and the handlers' is compiled here before the first run (a layer without it compiles its
modules at every cold start).

    .venv/bin/python -m benchmarks.cold_start [--rounds 10]
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import random
import statistics
import subprocess
import sys
from pathlib import Path

from benchmarks import harness

ROOT = Path(__file__).resolve().parent.parent
LAYER = ROOT / "layers" / "common"
GOAL = 1.1

# function -> (the container attributes its first event builds, the boto3 clients that
# builds, the Powertools utilities its handler and that first event use). The run checks that
# the container built exactly these clients, so the bare stack creates the same ones.
FUNCTIONS = {
    "submit": (("submissions",), ("dynamodb", "s3", "sqs"), "rest with idempotency"),
    "poller": (("poller",), ("dynamodb", "s3", "sqs", "events"), "plain"),
    "poll_worker": (("poller",), ("dynamodb", "s3", "sqs", "events"), "plain"),
    "notifier": (("notifier", "notification_batch"), ("dynamodb", "s3", "sqs"), "batch"),
    "consumer": (("video_probe",), ("s3",), "events"),
}
# The container's client attributes, by boto3 service name.
CLIENT_PARTS = {
    "dynamodb": "dynamodb",
    "s3": "s3",
    "sqs": "sqs",
    "events": "events",
    "secretsmanager": "secrets",
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
container = get_container()
for part in {parts!r}:
    getattr(container, part)
elapsed = (time.perf_counter() - started) * 1000
built = sorted(service for service, part in {client_parts!r}.items() if part in vars(container))
heavy = sorted(name for name in {heavy!r} if name in sys.modules)
layer = sys.modules["videohook"].__file__
print(json.dumps({{"ms": elapsed, "clients": built, "layer": layer, "heavy": heavy}}))
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
retries = {{"max_attempts": 5, "mode": "standard"}}
config = Config(connect_timeout=5, read_timeout=10, retries=retries, max_pool_connections=10)
clients = [session.client(name, config=config) for name in {clients!r}]
{extra_built}
http = requests.Session()
print(json.dumps({{"ms": (time.perf_counter() - started) * 1000}}))
"""

# Libraries no function's init may import: each costs tens of milliseconds of cold start.
HEAVY = ("pydantic", "jsonschema")

POWERTOOLS = "from aws_lambda_powertools"
REST = f"{POWERTOOLS}.event_handler import APIGatewayRestResolver\napp = APIGatewayRestResolver()"
EXTRA = {
    # submit's first event builds Powertools Idempotency's DynamoDB store (every request
    # registers the Lambda context with it).
    "rest with idempotency": f"{REST}\n{POWERTOOLS}.utilities.idempotency import DynamoDBPersistenceLayer",
    "plain": "",
    "batch": f"{POWERTOOLS}.utilities.batch import BatchProcessor, EventType, process_partial_response\n"
    "processor = BatchProcessor(event_type=EventType.SQS)",
    "events": f"{POWERTOOLS}.utilities.data_classes import EventBridgeEvent, event_source",
}
# What the bare stack builds once its clients exist (clients[0] is DynamoDB).
EXTRA_BUILT = {
    "rest with idempotency": "store = DynamoDBPersistenceLayer("
    'table_name="idempotency-table", boto3_client=clients[0])'
}
VARIANTS = ("bare", "videohook")


def compile_bytecode() -> None:
    """The layer's and the handlers' bytecode, as pip wrote the libraries' at install."""
    for folder in (LAYER / "videohook", ROOT / "functions"):
        if not compileall.compile_dir(folder, quiet=1):
            raise SystemExit(f"could not compile {folder}")


def run(code: str) -> dict[str, object]:
    # This checkout's layer first: the venv's .pth may name another checkout's.
    path = os.pathsep.join([str(LAYER), str(ROOT)])
    env = {**os.environ, **ENVIRONMENT, "PYTHONPATH": path}
    answer = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    result: dict[str, object] = json.loads(answer.stdout.strip().splitlines()[-1])
    return result


def check(function: str, clients: tuple[str, ...], result: dict[str, object]) -> None:
    if not str(result["layer"]).startswith(str(LAYER)):
        raise SystemExit(f"{function} imported the layer at {result['layer']}, not this checkout's")
    if result["clients"] != sorted(clients):
        raise SystemExit(f"{function} built the clients {result['clients']}; the bare stack builds {clients}")
    if result["heavy"]:
        raise SystemExit(f"{function}'s init imported {result['heavy']}")


def init_code(function: str) -> str:
    """The program that times ``function``'s init in a fresh process."""
    parts = FUNCTIONS[function][0]
    return VIDEOHOOK.format(function=function, parts=parts, client_parts=CLIENT_PARTS, heavy=HEAVY)


def bare_code(function: str) -> str:
    """The program that times the bare stack doing what ``function``'s init does."""
    _, clients, kind = FUNCTIONS[function]
    return BARE.format(extra=EXTRA[kind], clients=clients, extra_built=EXTRA_BUILT.get(kind, ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    compile_bytecode()
    runs = []
    for function in FUNCTIONS:
        runs += [(function, "videohook", init_code(function)), (function, "bare", bare_code(function))]
    order = runs * args.rounds
    random.shuffle(order)
    times: dict[tuple[str, str], list[float]] = {}
    for function, variant, code in order:
        result = run(code)
        if variant == "videohook":
            check(function, FUNCTIONS[function][1], result)
        times.setdefault((function, variant), []).append(float(str(result["ms"])))

    print(
        f"Cold start, init in a fresh process, ms ({harness.machine()}; min / median / max of {args.rounds})"
    )
    print(f"{'function':>12} {'bare stack':>18} {'videohook':>18} {'ratio of medians':>32}")
    for function in FUNCTIONS:
        bare, ours = (times[(function, variant)] for variant in VARIANTS)
        ratio = statistics.median(ours) / statistics.median(bare)
        print(
            f"{function:>12} {harness.spread(bare):>18} {harness.spread(ours):>18} "
            f"{harness.verdict(ratio, GOAL, at_most=True):>32}"
        )
    print(json.dumps({f"{f}/{v}": round(statistics.median(t), 1) for (f, v), t in sorted(times.items())}))


if __name__ == "__main__":
    main()

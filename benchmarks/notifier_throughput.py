"""Callbacks per second from one notifier process to a loopback receiver, against a bare
baseline measured in the same run. Goal (issue 11): >= 1,000 callbacks/s through the handler
with DynamoDB in memory.

    .venv/bin/python -m benchmarks.notifier_throughput [--callbacks 2000] [--runs 3]

- ``bare, one at a time``: a ``requests`` session POSTing signed callbacks back to back.
- ``deliver``: ``Notifier.deliver`` per record (guard, payload, signing, POST, record).
- ``bare, batches of 10``: the same signed POSTs, ten at a time on ten threads.
- ``handler``: the notifier's ``lambda_handler`` on SQS events of ten records (one job
  each), with its container's real transport, guard and batch processor; jobs, client
  secrets, queue and videos in memory. Logs and metrics are written (to /dev/null). Its
  ratio is given against both bare modes: on loopback the batch's groups are delivered on
  the invoking thread (each answers within the processor's 50 ms), one at a time.
- ``own CPU``: the handler again with a receiver that answers 200 at once, no socket: the
  notifier's own microseconds per callback, with delivered attempts logged (DEBUG) or not.

Each figure is min / median / max over the runs; each ratio is videohook's median over its
baseline's median. The receiver is ``local.receiver.WebhookReceiver`` (TCP_NODELAY) in a
process of its own, sharing the machine's cores with the sender in every mode alike.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from local.lambdas import LambdaContext, load_handler_module
from tests.fakes import InMemoryClientSecretStore, InMemoryJobStore, InMemoryQueue, InMemoryVideoStorage
from videohook import wiring
from videohook.adapters.http import new_session
from videohook.adapters.webhooks import PinnedWebhookTransport
from videohook.callback_guard import CallbackUrlGuard
from videohook.models.clients import ClientSecrets
from videohook.models.clock import iso, utc_now
from videohook.models.jobs import Job, StoredVideo
from videohook.models.lifecycle import CallbackStatus, EventType, JobStatus
from videohook.observability import logger
from videohook.ports import DeliveryAppend, DeliveryResult, WebhookTransport
from videohook.settings import Settings
from videohook.signing import WebhookSigner, new_signing_secret
from videohook.views import event_payload, notification_for

BATCH = 10
OWNER = "client-bench"
GOAL_PER_SECOND = 1000


class CountingJobStore(InMemoryJobStore):
    """The in-memory store, counting the calls the notifier makes (each a DynamoDB call)."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def get(self, job_id: str) -> Job | None:
        self.calls += 1
        return super().get(job_id)

    def append_delivery(self, *args: Any, **kwargs: Any) -> DeliveryAppend:
        self.calls += 1
        return super().append_delivery(*args, **kwargs)

    def record_delivery(self, *args: Any, **kwargs: Any) -> bool:
        self.calls += 1
        return super().record_delivery(*args, **kwargs)


def completed_job(callback_url: str) -> Job:
    now = iso(utc_now())
    job_id = f"gen_{uuid.uuid4().hex}"
    return Job(
        job_id=job_id,
        owner_id=OWNER,
        status=JobStatus.COMPLETED,
        model="gen3a_turbo",
        upstream_model="gen3a_turbo",
        upstream_id="up_" + job_id,
        upstream_status="completed",
        input={"prompt": "A lighthouse at dusk", "image_url": "https://images.example.com/a.png"},
        callback_url=callback_url,
        metadata={"order_id": "ord_1234"},
        created_at=now,
        updated_at=now,
        finished_at=now,
        video=StoredVideo(bucket="videos", key=f"videos/{job_id}.mp4", size=1_000_000, sha256="0" * 64),
        callback_status=CallbackStatus.PENDING,
    )


def settings() -> Settings:
    return Settings(
        jobs_table_name="bench-jobs",
        videos_bucket_name="bench-videos",
        notify_queue_url="https://sqs.local/notify.fifo",
        notify_dead_letter_queue_url="https://sqs.local/notify-dlq.fifo",
        idempotency_table_name="bench-idempotency",
        aimlapi_api_key_secret_id="bench/aimlapi",
        clients_table_name="bench-clients",
        event_bus_name="bench-events",
        local_mode=True,
    )


class AnsweringTransport:
    """A receiver that answers 200 at once, without a socket: what is left of a callback's
    time is the notifier's own CPU."""

    def post(self, url: str, address: str, body: bytes, headers: dict[str, str]) -> DeliveryResult:  # noqa: ARG002
        return DeliveryResult(status_code=200, duration_ms=0)


def build_container(
    secret: str, transport: WebhookTransport | None = None
) -> tuple[wiring.Container, CountingJobStore]:
    jobs = CountingJobStore()
    clients = InMemoryClientSecretStore()
    clients.create(ClientSecrets(owner_id=OWNER, current=secret))
    container = wiring.Container(
        settings(),
        jobs=jobs,
        client_secrets=clients,
        queue=InMemoryQueue(),
        videos=InMemoryVideoStorage(),
        guard=CallbackUrlGuard(local_mode=True),
        webhook_transport=transport or PinnedWebhookTransport(timeout_seconds=10, pool_size=BATCH),
    )
    return container, jobs


def sqs_record(job: Job) -> dict[str, Any]:
    # As the poller queues it: the callback's snapshot on board.
    message = notification_for(job, EventType.COMPLETED)
    message_id = str(uuid.uuid4())
    return {
        "messageId": message_id,
        "receiptHandle": "rh-" + message_id,
        "body": message.to_json(),
        "attributes": {"MessageGroupId": job.job_id, "ApproximateReceiveCount": "1"},
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:notify.fifo",
        "awsRegion": "us-east-1",
    }


@contextlib.contextmanager
def quiet_stdout() -> Iterator[None]:
    """Powertools writes logs and metrics to stdout, as in Lambda; here they go to /dev/null
    (at the descriptor: its logger holds on to the ``sys.stdout`` it started with)."""
    sys.stdout.flush()
    saved = os.dup(1)
    with open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), 1)
        try:
            yield
        finally:
            sys.stdout.flush()
            os.dup2(saved, 1)
            os.close(saved)


@contextlib.contextmanager
def receiver_process() -> Iterator[str]:
    """The loopback receiver in a process of its own, so it does not share this one's GIL."""
    script = (
        "import sys; from local.receiver import WebhookReceiver; r = WebhookReceiver().start(); "
        "print(r.base_url, flush=True); sys.stdin.read(); r.stop()"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        yield process.stdout.readline().strip() + "/hooks/bench"
    finally:
        assert process.stdin is not None
        process.stdin.close()
        process.wait(timeout=10)


def bare_posts(url: str, secret: str, count: int, *, threads: int) -> float:
    """Signed POSTs of a callback body, ``threads`` at a time; seconds taken."""
    session = new_session(pool_size=BATCH)
    signer = WebhookSigner((secret,))
    job = completed_job(url)
    body = json.dumps(event_payload(job, EventType.COMPLETED, video_url="https://v"), separators=(",", ":"))

    def post(index: int) -> None:
        headers = signer.headers(f"msg_{index}", int(time.time()), body.encode())
        answer = session.post(
            url, data=body, headers={"Content-Type": "application/json", **headers}, timeout=10
        )
        answer.raise_for_status()

    started = time.perf_counter()
    if threads == 1:
        for index in range(count):
            post(index)
    else:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            list(pool.map(post, range(count)))
    return time.perf_counter() - started


def through_deliver(url: str, secret: str, count: int) -> tuple[float, float]:
    container, jobs = build_container(secret)
    queued = [completed_job(url) for _ in range(count)]
    for job in queued:
        jobs.insert(job)
    messages = [notification_for(job, EventType.COMPLETED) for job in queued]
    jobs.calls = 0
    notifier = container.notifier
    with quiet_stdout():
        started = time.perf_counter()
        for message in messages:
            notifier.deliver(message, message_id=str(uuid.uuid4()), receipt_handle="rh")
        elapsed = time.perf_counter() - started
    return elapsed, jobs.calls / count


def through_handler(
    url: str, secret: str, count: int, transport: WebhookTransport | None = None
) -> tuple[float, float]:
    container, jobs = build_container(secret, transport)
    wiring.install(container)
    module = load_handler_module("notifier", serial=int(time.time() * 1000))
    queued = [completed_job(url) for _ in range(count)]
    for job in queued:
        jobs.insert(job)
    events = [{"Records": [sqs_record(job) for job in queued[i : i + BATCH]]} for i in range(0, count, BATCH)]
    jobs.calls = 0
    with quiet_stdout():
        started = time.perf_counter()
        for event in events:
            answer = module.lambda_handler(
                event, LambdaContext(function_name="videohook-notifier", timeout_seconds=30)
            )
            assert answer == {"batchItemFailures": []}, answer
        elapsed = time.perf_counter() - started
    return elapsed, jobs.calls / count


def own_cost(secret: str, count: int, *, log_level: str) -> float:
    """Microseconds of the notifier's own CPU per callback, through the handler, with the
    receiver answering at once; ``log_level`` DEBUG also writes a line per delivered attempt."""
    logger.setLevel(log_level)
    try:
        elapsed, _ = through_handler("http://127.0.0.1:9/hooks/bench", secret, count, AnsweringTransport())
    finally:
        logger.setLevel("INFO")
    return elapsed / count * 1e6


def spread(values: list[float]) -> str:
    return f"{min(values):7.0f} / {statistics.median(values):7.0f} / {max(values):7.0f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--callbacks", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    os.environ.update(
        {
            "POWERTOOLS_SERVICE_NAME": "videohook",
            "POWERTOOLS_METRICS_NAMESPACE": "videohook/bench",
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_LOG_LEVEL": "INFO",
        }
    )
    secret = new_signing_secret()
    rates: dict[str, list[float]] = {"bare1": [], "deliver": [], "bare10": [], "handler": []}
    costs: dict[str, list[float]] = {"INFO": [], "DEBUG": []}
    calls: dict[str, list[float]] = {"deliver": [], "handler": []}
    modes: dict[str, Callable[[str], Any]] = {
        "bare1": lambda url: bare_posts(url, secret, args.callbacks, threads=1),
        "deliver": lambda url: through_deliver(url, secret, args.callbacks),
        "bare10": lambda url: bare_posts(url, secret, args.callbacks, threads=BATCH),
        "handler": lambda url: through_handler(url, secret, args.callbacks),
    }
    with receiver_process() as url:
        for mode in modes.values():  # warm up: imports, first connections
            mode(url)
        for _ in range(args.runs):
            for name, mode in modes.items():
                measured = mode(url)
                elapsed, per_callback = measured if isinstance(measured, tuple) else (measured, None)
                rates[name].append(args.callbacks / elapsed)
                if per_callback is not None:
                    calls[name].append(per_callback)
            for level, measured_costs in costs.items():
                measured_costs.append(own_cost(secret, args.callbacks, log_level=level))

    print(f"notifier throughput: {args.callbacks} callbacks x {args.runs} runs, loopback receiver")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"{'what':<34} {'callbacks/s min / median / max':>32} {'ratio':>7} {'JobStore calls/callback':>24}")
    rows = [
        ("bare signed POST, one at a time", "bare1", None),
        ("Notifier.deliver, in-memory jobs", "deliver", "bare1"),
        ("bare signed POST, 10 at a time", "bare10", None),
        ("handler, batches of 10, in-memory", "handler", "bare10"),
        ("  the same, against one at a time", "handler", "bare1"),
    ]
    for label, name, baseline in rows:
        ratio = (
            f"{statistics.median(rates[name]) / statistics.median(rates[baseline]):.2f}" if baseline else ""
        )
        per = f"{statistics.median(calls[name]):.2f}" if name in calls else ""
        print(f"{label:<34} {spread(rates[name]):>32} {ratio:>7} {per:>24}")
    print("the notifier's own CPU per callback, through the handler, the receiver answering at once (µs):")
    for level, label in (
        ("INFO", "delivered attempts not logged (INFO)"),
        ("DEBUG", "a log line each (DEBUG)"),
    ):
        print(f"  {label:<40} {spread(costs[level]):>26}")
    handler = statistics.median(rates["handler"])
    verdict = "met" if handler >= GOAL_PER_SECOND else "NOT met"
    print(f"goal: handler >= {GOAL_PER_SECOND} callbacks/s per process: {handler:.0f} ({verdict})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

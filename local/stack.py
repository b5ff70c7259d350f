"""The whole service on one machine, no Docker, no AWS account (``make run``).

moto's server plays DynamoDB, S3, SQS, EventBridge and Secrets Manager (boto3 honours
``AWS_ENDPOINT_URL``); the upstream simulator plays the provider unless
``AIMLAPI_BASE_URL`` is set; ``ApiFront`` plays API Gateway for the submit handler; a timer
plays the EventBridge schedule for the poller; a queue reader plays the SQS event source
mapping for the notifier. The handlers are the very ones ``sam deploy`` ships.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

from local.api_front import ApiFront
from local.lambdas import invoke
from local.resources import LocalResources, provision
from local.upstream_simulator import UpstreamSimulator

EVENTS = Path(__file__).resolve().parent.parent / "events"
DEFAULT_API_KEY = "local-dev-key"
# A fixed development secret so receivers (and `make demo`) can verify without setup.
DEFAULT_WEBHOOK_SECRET = "whsec_bG9jYWwtdmlkZW9ob29rLXNpZ25pbmctc2VjcmV0"
DEFAULT_UPSTREAM_KEY = "local-upstream-key"


@dataclass(frozen=True)
class StackConfig:
    port: int
    api_keys: list[str]
    webhook_secret: str
    aimlapi_base_url: str | None
    aimlapi_api_key: str
    poll_interval_seconds: float
    callback_retry_delays: str
    moto_port: int
    simulator_port: int
    simulator_seconds_to_complete: float

    @classmethod
    def from_environment(cls, environ: dict[str, str] | None = None) -> StackConfig:
        env = dict(os.environ if environ is None else environ)
        return cls(
            port=int(env.get("VIDEOHOOK_PORT", "3000")),
            api_keys=[
                k.strip() for k in env.get("VIDEOHOOK_API_KEY", DEFAULT_API_KEY).split(",") if k.strip()
            ],
            webhook_secret=env.get("WEBHOOK_SECRET", DEFAULT_WEBHOOK_SECRET),
            aimlapi_base_url=env.get("AIMLAPI_BASE_URL") or None,
            aimlapi_api_key=env.get("AIMLAPI_API_KEY", DEFAULT_UPSTREAM_KEY),
            poll_interval_seconds=float(env.get("POLL_INTERVAL_SECONDS", "2")),
            callback_retry_delays=env.get("CALLBACK_RETRY_DELAYS", "2,5,10"),
            moto_port=int(env.get("VIDEOHOOK_MOTO_PORT", "0")),
            simulator_port=int(env.get("VIDEOHOOK_SIMULATOR_PORT", "0")),
            simulator_seconds_to_complete=float(env.get("VIDEOHOOK_SIMULATOR_SECONDS", "3")),
        )


def _masked(secret: str) -> str:
    return f"{secret[:6]}...({len(secret)} chars)" if secret else "(empty)"


class LocalStack:
    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self.moto: ThreadedMotoServer | None = None
        self.simulator: UpstreamSimulator | None = None
        self.front: ApiFront | None = None
        self.resources: LocalResources | None = None

    def start(self) -> LocalStack:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's per-request lines
        # An idle poller tick records no metric; Powertools warns about that on every tick.
        warnings.filterwarnings("ignore", message="No application metrics to publish")
        self.moto = ThreadedMotoServer(ip_address="127.0.0.1", port=self.config.moto_port, verbose=False)
        self.moto.start()
        host, port = self.moto.get_host_and_port()
        os.environ.update(
            {
                "AWS_ENDPOINT_URL": f"http://{host}:{port}",
                "AWS_ACCESS_KEY_ID": "local",
                "AWS_SECRET_ACCESS_KEY": "local",
                "AWS_DEFAULT_REGION": "us-east-1",
            }
        )
        self.resources = provision(
            boto3.Session(),
            upstream_api_key=self.config.aimlapi_api_key,
            webhook_secret=self.config.webhook_secret,
        )
        base_url = self.config.aimlapi_base_url
        if base_url is None:
            self.simulator = UpstreamSimulator(
                port=self.config.simulator_port,
                api_key=self.config.aimlapi_api_key,
                seconds_to_complete=self.config.simulator_seconds_to_complete,
            ).start()
            base_url = self.simulator.base_url
        interval = max(1, int(self.config.poll_interval_seconds))
        os.environ.update(
            {
                **self.resources.environment(),
                "AIMLAPI_BASE_URL": base_url,
                "LOCAL_MODE": "true",
                "CALLBACK_RETRY_DELAYS": self.config.callback_retry_delays,
                "POLL_MIN_INTERVAL_SECONDS": "1",
                "POLL_MAX_INTERVAL_SECONDS": str(interval * 4),
                "POLL_DEADLINE_MARGIN_SECONDS": "5",
                "POWERTOOLS_SERVICE_NAME": "videohook",
                "POWERTOOLS_METRICS_NAMESPACE": "videohook",
                "POWERTOOLS_TRACE_DISABLED": "true",
                "POWERTOOLS_METRICS_DISABLED": "true",
                "POWERTOOLS_LOG_LEVEL": os.environ.get("POWERTOOLS_LOG_LEVEL", "WARNING"),
            }
        )
        self.front = ApiFront(
            lambda event: invoke("submit", event, timeout_seconds=29),
            api_keys=self.config.api_keys,
            port=self.config.port,
        ).start()
        self._spawn("poller-schedule", self._drive_poller)
        self._spawn("notify-queue-reader", self._drive_notifier)
        return self

    def stop(self) -> None:
        self._stopping.set()
        for thread in self._threads:
            thread.join(timeout=10)
        if self.front:
            self.front.stop()
        if self.simulator:
            self.simulator.stop()
        if self.moto:
            self.moto.stop()

    def banner(self) -> str:
        assert self.front is not None
        assert self.resources is not None
        assert self.moto is not None
        host, port = self.moto.get_host_and_port()
        upstream = (
            self.simulator.base_url + " (simulator)" if self.simulator else self.config.aimlapi_base_url
        )
        lines = [
            f"videohook local stack is up: {self.front.base_url}",
            f"  VIDEOHOOK_PORT={self.config.port}",
            f"  VIDEOHOOK_API_KEY={', '.join(self.config.api_keys)}  (send as x-api-key)",
            f"  WEBHOOK_SECRET={_masked(self.config.webhook_secret)}"
            + (
                "  (the default development secret, see README)"
                if self.config.webhook_secret == DEFAULT_WEBHOOK_SECRET
                else ""
            ),
            f"  AIMLAPI_BASE_URL={upstream}",
            f"  AIMLAPI_API_KEY={_masked(self.config.aimlapi_api_key)}",
            f"  POLL_INTERVAL_SECONDS={self.config.poll_interval_seconds:g}",
            f"  CALLBACK_RETRY_DELAYS={self.config.callback_retry_delays}",
            f"  AWS (moto) at http://{host}:{port}: table {self.resources.jobs_table}, "
            f"bucket {self.resources.bucket}",
            f"  replay dead callbacks: AWS_ENDPOINT_URL=http://{host}:{port} make replay-dlq "
            f'ARGS="--queue-url {self.resources.notify_queue_url} --dlq-url {self.resources.notify_dlq_url}"',
            "Press Ctrl-C to stop.",
        ]
        return "\n".join(lines)

    # --- drivers: what EventBridge and the SQS event source mapping do in AWS ---------------

    def _spawn(self, name: str, target: Any) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _drive_poller(self) -> None:
        tick = json.loads((EVENTS / "poller_schedule_tick.json").read_text())
        while not self._stopping.wait(self.config.poll_interval_seconds):
            try:
                invoke("poller", tick, timeout_seconds=60)
            except Exception as exc:  # noqa: BLE001 - a failed tick is retried by the next, as in AWS
                print(f"poller tick failed: {exc!r}", flush=True)

    def _drive_notifier(self) -> None:
        assert self.resources
        sqs = boto3.client("sqs")
        queue_url = self.resources.notify_queue_url
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        while not self._stopping.is_set():
            try:
                run_notifier_once(sqs, queue_url, queue_arn, wait_seconds=1)
            except Exception as exc:  # noqa: BLE001 - the reader must outlive one bad batch
                print(f"notifier batch failed: {exc!r}", flush=True)
                self._stopping.wait(1)


def run_notifier_once(
    sqs: Any, queue_url: str, queue_arn: str, *, wait_seconds: int = 0
) -> dict[str, Any] | None:
    """What the SQS event source mapping does once: receive a batch, invoke the notifier,
    delete what succeeded and leave the reported failures to their visibility timeout."""
    messages = sqs.receive_message(
        QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=wait_seconds, AttributeNames=["All"]
    ).get("Messages", [])
    if not messages:
        return None
    event = {"Records": [sqs_record(message, queue_arn) for message in messages]}
    answer = invoke("notifier", event, timeout_seconds=30) or {}
    failed = {item["itemIdentifier"] for item in answer.get("batchItemFailures", [])}
    done = [m for m in messages if m["MessageId"] not in failed]
    if done:
        sqs.delete_message_batch(
            QueueUrl=queue_url,
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
        )
    return answer


def sqs_record(message: dict[str, Any], queue_arn: str) -> dict[str, Any]:
    """An SQS message as the Lambda event source mapping presents it."""
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": message.get("MessageAttributes", {}),
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": "us-east-1",
    }


def main() -> None:
    stack = LocalStack(StackConfig.from_environment()).start()
    print(stack.banner(), flush=True)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    try:
        while not stopped.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        stack.stop()
        print("videohook local stack stopped.", flush=True)


if __name__ == "__main__":
    main()

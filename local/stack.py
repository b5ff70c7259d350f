"""The whole service on one machine, no Docker, no AWS account (``make run``).

moto's server plays DynamoDB, S3, SQS, EventBridge and Secrets Manager (boto3 honours
``AWS_ENDPOINT_URL``); the upstream simulator plays the provider unless
``AIMLAPI_BASE_URL`` is set; ``ApiFront`` plays API Gateway; a timer plays the EventBridge
schedule for the poller; a queue reader plays the SQS event source mapping for the
notifier. The handlers are the very ones ``sam deploy`` ships, each run one event at a time
per execution environment (``local.lambdas``).
"""

from __future__ import annotations

import logging
import os
import shlex
import signal
import sys
import threading
import time
import warnings
from pathlib import Path
from typing import Any

import boto3

from local.api_front import ApiFront, api_key_id
from local.drivers import drive_notifier, drive_poller, run_notifier_once
from local.lambdas import Lambdas, pool_size
from local.loopback import LoopbackServer, PortInUseError
from local.moto_server import MotoServer
from local.receiver import CallbackLog
from local.resources import LocalResources, poll_loop_share, poll_worker_batch, provision
from local.simulator import UpstreamSimulator
from local.stack_config import (
    DEFAULT_API_KEY,
    DEFAULT_WEBHOOK_SECRET,
    LOCAL_AWS,
    PortTaken,
    StackConfig,
    masked,
)
from local.state import publish, sam_env_file, withdraw

__all__ = [
    "DEFAULT_API_KEY",
    "DEFAULT_WEBHOOK_SECRET",
    "LocalStack",
    "StackConfig",
    "main",
    "run_notifier_once",
]

ROOT = Path(__file__).resolve().parent.parent
STOP_SECONDS = 5  # how long stop() waits for the drivers' invocations in flight


def _start(server: Any, variable: str, port: int) -> Any:
    try:
        return server.start()
    except PortInUseError:
        raise PortTaken(variable, port) from None


class LocalStack:
    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self.moto: MotoServer | None = None
        self.simulator: UpstreamSimulator | None = None
        self.callbacks: CallbackLog | None = None
        self.front: ApiFront | None = None
        self.resources: LocalResources | None = None
        self.lambdas = Lambdas("process")
        self.function_environment: dict[str, str] = {}
        self.published_port: int | None = None

    def start(self) -> LocalStack:
        """Start every piece; on failure (a taken port above all) stop what did start."""
        try:
            return self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> LocalStack:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's per-request lines
        # An idle poller tick records no metric; Powertools warns about that on every tick.
        warnings.filterwarnings("ignore", message="No application metrics to publish")
        self.moto = _start(
            MotoServer(host=self.config.bind_host, port=self.config.moto_port),
            "VIDEOHOOK_MOTO_PORT",
            self.config.moto_port,
        )
        os.environ.update({"AWS_ENDPOINT_URL": self.moto.base_url, **LOCAL_AWS})
        self.resources = provision(
            boto3.Session(),
            upstream_api_key=self.config.aimlapi_api_key,
            # WEBHOOK_SECRET is the first key's; the others get theirs at first use.
            client_secrets={api_key_id(self.config.api_keys[0]): self.config.webhook_secret},
        )
        base_url = self.config.aimlapi_base_url
        if base_url is None:
            self.simulator = _start(
                UpstreamSimulator(
                    host=self.config.bind_host,
                    port=self.config.simulator_port,
                    api_key=self.config.aimlapi_api_key,
                    seconds_to_complete=self.config.simulator_seconds_to_complete,
                ),
                "VIDEOHOOK_SIMULATOR_PORT",
                self.config.simulator_port,
            )
            base_url = self.simulator.base_url
        # The catalog's pacing is made for a tick a minute; a faster local schedule scales it
        # down alike, and POLL_INTERVAL_SECONDS=60 paces jobs exactly as AWS does.
        pacing_scale = (
            os.environ.get("POLL_PACING_SCALE") or f"{min(1.0, self.config.poll_interval_seconds / 60):.4f}"
        )
        self.function_environment = {
            "AWS_ENDPOINT_URL": self.moto.base_url,
            **LOCAL_AWS,
            **self.resources.environment(),
            "AIMLAPI_BASE_URL": base_url,
            "LOCAL_MODE": "true",
            "CALLBACK_RETRY_DELAYS": self.config.callback_retry_delays,
            "POLL_PACING_SCALE": pacing_scale,
            "POLL_DEADLINE_MARGIN_SECONDS": "5",
            # As in the template: each tick keeps checking for the same share of its
            # interval (58 s of 60), so the next tick takes over without a gap.
            "POLL_LOOP_SECONDS": f"{self.config.poll_interval_seconds * poll_loop_share():.3f}",
            "POWERTOOLS_SERVICE_NAME": "videohook",
            "POWERTOOLS_METRICS_NAMESPACE": "videohook",
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_METRICS_DISABLED": "true",
            "POWERTOOLS_LOG_LEVEL": os.environ.get("POWERTOOLS_LOG_LEVEL", "WARNING"),
        }
        os.environ.update(self.function_environment)
        self.callbacks = CallbackLog().start()
        self.front = _start(
            ApiFront(
                lambda function, event, timeout: self.lambdas.invoke(
                    function, event, timeout_seconds=timeout
                ),
                api_keys=self.config.api_keys,
                port=self.config.port,
            ),
            "VIDEOHOOK_PORT",
            self.config.port,
        )
        # For `make invoke` and `sam local invoke --env-vars`, until the stack stops.
        self.published_port = int(self.front.base_url.rsplit(":", 1)[1])
        publish(self.published_port, self.function_environment)
        self._spawn(
            "poller-schedule",
            drive_poller,
            self._stopping,
            self.config.poll_interval_seconds,
            self.lambdas.invoke,
        )
        self._spawn(
            "notify-queue-reader",
            drive_notifier,
            self._stopping,
            self.resources.notify_queue_url,
            self.lambdas.invoke,
        )
        self._spawn(
            "poll-work-queue-reader",
            drive_notifier,
            self._stopping,
            self.resources.poll_work_queue_url,
            self.lambdas.invoke,
            "poll_worker",
            *poll_worker_batch(),
        )
        return self

    def stop(self) -> None:
        """Stop within about ``STOP_SECONDS``: the drivers finish the invocation in flight or
        are left behind (daemon threads), then the servers close and the execution
        environments' processes end."""
        self._stopping.set()
        if self.published_port is not None:
            withdraw(self.published_port)
        deadline = time.monotonic() + STOP_SECONDS
        for thread in self._threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        servers: list[LoopbackServer | MotoServer | None] = [
            self.front,
            self.callbacks,
            self.simulator,
            self.moto,
        ]
        for server in servers:
            if server is not None:
                server.stop()
        self.lambdas.close()

    def commands(self) -> list[str]:
        """Shell commands to try the stack with, each complete: they work as printed in a
        fresh shell with no AWS configuration, from any directory."""
        front, resources, moto, callbacks = self._started()
        request = (
            '{"model":"gen3a_turbo","prompt":"A jellyfish drifting","image_url":'
            f'"https://images.example.com/jellyfish.png","callback_url":"{callbacks.url}"}}'
        )
        submit = (
            f"curl -sS --fail-with-body -X POST {front.base_url}/v1/generations "
            f"-H {shlex.quote('x-api-key: ' + self.config.api_keys[0])} "
            f"-H 'content-type: application/json' -d {shlex.quote(request)}"
        )
        aws = " ".join(
            f"{name}={value}" for name, value in {"AWS_ENDPOINT_URL": moto.base_url, **LOCAL_AWS}.items()
        )
        replay_args = f"--queue-url {resources.notify_queue_url} --dlq-url {resources.notify_dlq_url}"
        replay = f"cd {shlex.quote(str(ROOT))} && {aws} make replay-dlq ARGS={shlex.quote(replay_args)}"
        return [submit, replay]

    def banner(self) -> str:
        front, resources, moto, callbacks = self._started()
        upstream = (
            self.simulator.base_url + " (simulator)" if self.simulator else self.config.aimlapi_base_url
        )
        default_secret = self.config.webhook_secret == DEFAULT_WEBHOOK_SECRET
        submit, replay = self.commands()
        lines = [
            f"videohook local stack is up: {front.base_url}",
            f"  VIDEOHOOK_PORT={front.base_url.rsplit(':', 1)[1]}",
            f"  VIDEOHOOK_API_KEY={', '.join(self.config.api_keys)}  (send as x-api-key)",
            f"  WEBHOOK_SECRET={masked(self.config.webhook_secret)}  (first key's; GET /v1/webhook-secret)"
            + ("  (the default development secret, see README)" if default_secret else ""),
            f"  AIMLAPI_BASE_URL={upstream}",
            f"  AIMLAPI_API_KEY={masked(self.config.aimlapi_api_key)}",
            f"  POLL_INTERVAL_SECONDS={self.config.poll_interval_seconds:g}",
            f"  CALLBACK_RETRY_DELAYS={self.config.callback_retry_delays}",
            f"  VIDEOHOOK_LAMBDA_POOL={pool_size()}  (execution environments per function)",
            f"  AWS (moto) at {moto.base_url}: table {resources.jobs_table}, bucket {resources.bucket}",
            f"  domain events on bus {resources.event_bus} (add your own rule and target there)",
            "  make invoke FUNCTION=<SubmitFunction|PollerFunction|...> EVENT=<file> runs one event here;",
            f"  sam local invoke --env-vars {sam_env_file(self.published_port or 0)} (see README)",
            f"  callbacks sent to {callbacks.url} are printed here",
            "Submit a generation (its callback is printed here):",
            f"  $ {submit}",
            "Replay dead callbacks:",
            f"  $ {replay}",
            "Press Ctrl-C (or send SIGTERM) to stop.",
        ]
        return "\n".join(lines)

    def _started(self) -> tuple[ApiFront, LocalResources, MotoServer, CallbackLog]:
        if self.front is None or self.resources is None or self.moto is None or self.callbacks is None:
            raise RuntimeError("start() the stack first")
        return self.front, self.resources, self.moto, self.callbacks

    def _spawn(self, name: str, target: Any, *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)


def _interrupt(*_: Any) -> None:
    raise KeyboardInterrupt


def main() -> None:
    # SIGTERM (`kill`, a supervisor, make forwarding it) stops the stack like Ctrl-C does.
    signal.signal(signal.SIGTERM, _interrupt)
    stack = LocalStack(StackConfig.from_environment())
    try:
        stack.start()
        print(stack.banner(), flush=True)
        while True:
            time.sleep(3600)
    except PortTaken as exc:
        print(f"videohook: {exc}", file=sys.stderr, flush=True)
        os._exit(2)
    except KeyboardInterrupt:
        for stop_signal in (signal.SIGINT, signal.SIGTERM):  # a second one must not cut stop() short
            signal.signal(stop_signal, signal.SIG_IGN)
        stack.stop()
        print("videohook local stack stopped.", flush=True)
    # Worker threads of an invocation cut short (a poller tick's pool retrying a moto that is
    # gone) would hold the interpreter's exit until their retries give up; Lambda ends an
    # environment the same way, without waiting for them.
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()

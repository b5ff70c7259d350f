"""Starting ``make run``'s stack (``python -m local``) in its own process, as a user would."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
API_KEY = "e2e-client-key"
OTHER_API_KEY = "e2e-other-client-key"
SECRET = "whsec_ZTJlLXZpZGVvaG9vay1zaWduaW5nLXNlY3JldC0wMQ=="
UPSTREAM_KEY = "e2e-upstream-key"
READY_LINE = "local stack is up"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class RunningStack:
    api: str
    simulator: str
    output: Path
    process: subprocess.Popen[bytes]

    def banner_commands(self) -> list[str]:
        """The shell commands the banner prints (its ``  $ `` lines)."""
        return [line[4:] for line in self.output.read_text().splitlines() if line.startswith("  $ ")]


def stack_environment(port: int, simulator_port: int, **overrides: str) -> dict[str, str]:
    env = {
        **os.environ,
        "VIDEOHOOK_PORT": str(port),
        "VIDEOHOOK_SIMULATOR_PORT": str(simulator_port),
        "VIDEOHOOK_SIMULATOR_SECONDS": "1",
        "VIDEOHOOK_API_KEY": f"{API_KEY},{OTHER_API_KEY}",
        "WEBHOOK_SECRET": SECRET,
        "AIMLAPI_API_KEY": UPSTREAM_KEY,
        "POLL_INTERVAL_SECONDS": "1",
        "CALLBACK_RETRY_DELAYS": "1,1,1",
        "POWERTOOLS_LOG_LEVEL": "INFO",
        **overrides,
    }
    for inherited in ("AIMLAPI_BASE_URL", "AWS_ENDPOINT_URL", "AWS_PROFILE"):
        if inherited not in overrides:
            env.pop(inherited, None)
    return env


def wait_for_line(process: subprocess.Popen[bytes], output: Path, line: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while line not in output.read_text():
        assert process.poll() is None, output.read_text()
        assert time.monotonic() < deadline, output.read_text()
        time.sleep(0.1)


@contextmanager
def launch_stack(
    directory: Path, command: list[str] | None = None, **overrides: str
) -> Iterator[RunningStack]:
    """The stack in a subprocess, ready; terminated (SIGTERM) at the end of the block."""
    port, simulator_port = free_port(), free_port()
    output = directory / "stack.log"
    with output.open("w") as log:
        process = subprocess.Popen(
            command or [sys.executable, "-m", "local"],
            cwd=ROOT,
            env=stack_environment(port, simulator_port, **overrides),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for_line(process, output, READY_LINE, timeout=60)
        yield RunningStack(f"http://127.0.0.1:{port}", f"http://127.0.0.1:{simulator_port}", output, process)
    finally:
        if process.poll() is None:
            process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

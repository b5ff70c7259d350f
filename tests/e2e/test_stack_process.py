"""The local stack as a process a user runs: what its banner prints works as printed in a
fresh shell, it stops promptly on SIGTERM and Ctrl-C leaving no process behind, and a busy
port is one clear line."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e.running import ROOT, free_port, launch_stack, stack_environment, wait_for_line

pytestmark = pytest.mark.e2e

STOP_SECONDS = 10


def bare_path() -> str:
    """Just the directories of the tools the banner's commands use; no venv, no AWS tools."""
    return os.pathsep.join(
        sorted({str(Path(shutil.which(tool) or "/usr/bin/x").parent) for tool in ("curl", "make", "sh")})
    )


def children_of(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                status = (entry / "status").read_text()
            except OSError:
                continue
            if f"\nPPid:\t{pid}\n" in status:
                found.add(int(entry.name))
    return found


def running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_every_command_the_banner_prints_works_in_a_fresh_shell(tmp_path: Path):
    with launch_stack(tmp_path) as stack:
        commands = stack.banner_commands()
        assert len(commands) >= 2, stack.output.read_text()

        for command in commands:
            home = tmp_path / f"home-{commands.index(command)}"
            home.mkdir()
            done = subprocess.run(  # noqa: PLW1510 - the return code is the assertion  # noqa: PLW1510 - the return code is the assertion
                ["env", "-i", f"PATH={bare_path()}", f"HOME={home}", "sh", "-c", command],
                cwd=home,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert done.returncode == 0, (command, done.stdout, done.stderr)

        # The submit it prints leads to a callback the stack prints.
        wait_for_line(stack.process, stack.output, "callback received", timeout=60)
        assert "generation.completed" in stack.output.read_text()


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_the_stack_stops_promptly_and_leaves_no_process(tmp_path: Path, stop_signal: signal.Signals):
    with launch_stack(tmp_path) as stack:
        # Warm the execution environments: they are processes of their own.
        [submit] = [c for c in stack.banner_commands() if c.startswith("curl")]
        subprocess.run(["sh", "-c", submit], check=True, capture_output=True, timeout=120)
        wait_for_line(stack.process, stack.output, "callback received", timeout=60)
        children = children_of(stack.process.pid)
        assert children, "the execution environments run as child processes"

        started = time.monotonic()
        stack.process.send_signal(stop_signal)
        returncode = stack.process.wait(timeout=STOP_SECONDS)

        assert time.monotonic() - started < STOP_SECONDS
        assert returncode == 0
        assert "local stack stopped" in stack.output.read_text()
        assert "Traceback" not in stack.output.read_text()
        deadline = time.monotonic() + 3
        while any(running(pid) for pid in children) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [pid for pid in children if running(pid)]


def test_make_run_stops_on_sigterm_too(tmp_path: Path):
    with launch_stack(tmp_path, command=["make", "--no-print-directory", "run"]) as stack:
        started = time.monotonic()
        stack.process.send_signal(signal.SIGTERM)
        stack.process.wait(timeout=STOP_SECONDS)

        assert time.monotonic() - started < STOP_SECONDS
        assert "local stack stopped" in stack.output.read_text()


def test_a_busy_port_is_one_clear_line_naming_the_setting():
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]

        done = subprocess.run(  # noqa: PLW1510 - the return code is the assertion
            [sys.executable, "-m", "local"],
            cwd=ROOT,
            env=stack_environment(port, free_port()),
            capture_output=True,
            text=True,
            timeout=60,
        )

    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    [line] = done.stderr.strip().splitlines()
    assert "VIDEOHOOK_PORT" in line
    assert str(port) in line

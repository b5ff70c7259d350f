"""What a running ``make run`` publishes for tools that act on it (``make invoke``,
``sam local invoke``), in ``.videohook/`` keyed by its port, removed when it stops.

- ``stack-<port>.json``: the functions' environment (moto endpoint, resource names,
  credentials moto accepts) for ``make invoke``.
- ``sam-env-<port>.json``: the same for ``sam local invoke --env-vars``, with every
  endpoint rewritten to a host a container can reach (``host.docker.internal``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from local.resources import template

STATE_DIRECTORY = Path(__file__).resolve().parent.parent / ".videohook"
CONTAINER_HOST = "host.docker.internal"
# The variables that carry an endpoint on this machine's loopback.
ENDPOINT_VARIABLES = ("AWS_ENDPOINT_URL", "AIMLAPI_BASE_URL")


class StackNotRunning(RuntimeError):
    def __init__(self, port: int) -> None:
        super().__init__(
            f"no local stack is running on port {port}: start it with `make run` (same VIDEOHOOK_PORT)"
        )


def stack_file(port: int) -> Path:
    return STATE_DIRECTORY / f"stack-{port}.json"


def sam_env_file(port: int) -> Path:
    return STATE_DIRECTORY / f"sam-env-{port}.json"


def for_container(environment: dict[str, str], host: str = CONTAINER_HOST) -> dict[str, str]:
    """``environment`` as seen from a container: loopback endpoints go through ``host``."""
    rewritten = dict(environment)
    for name in ENDPOINT_VARIABLES:
        if name in rewritten:
            parts = urlsplit(rewritten[name])
            rewritten[name] = urlunsplit(parts._replace(netloc=f"{host}:{parts.port}"))
    return rewritten


def publish(port: int, environment: dict[str, str]) -> None:
    STATE_DIRECTORY.mkdir(exist_ok=True)
    stack_file(port).write_text(
        json.dumps({"port": port, "pid": os.getpid(), "environment": environment}, indent=2)
    )
    # `--env-vars` may only set what the template declares for the functions.
    declared_names = template()["Globals"]["Function"]["Environment"]["Variables"]
    declared = {name: value for name, value in for_container(environment).items() if name in declared_names}
    sam_env_file(port).write_text(json.dumps({"Parameters": declared}, indent=2))


def read(port: int) -> dict[str, Any]:
    try:
        return dict(json.loads(stack_file(port).read_text()))
    except FileNotFoundError:
        raise StackNotRunning(port) from None


def withdraw(port: int) -> None:
    """Remove this process's files; a stack that reused the port since keeps its own."""
    try:
        if json.loads(stack_file(port).read_text()).get("pid") != os.getpid():
            return
    except FileNotFoundError:
        pass
    for path in (stack_file(port), sam_env_file(port)):
        path.unlink(missing_ok=True)

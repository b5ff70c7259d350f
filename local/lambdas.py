"""Runs the functions' handlers in this process the way Lambda runs them.

An *execution environment* is one freshly loaded copy of ``functions/<name>/app.py`` (its
own module object, so its own Powertools resolver ``app``, batch processor and every other
module-level name) and a busy flag: it handles one event at a time, as Lambda's does, and
an event handed to a busy environment is a bug that raises instead of interleaving. Each
function has a pool of environments, at most ``VIDEOHOOK_LAMBDA_POOL`` (default 4): an event
takes the most recently freed one (a warm start), loads a new one while the pool has room
(a cold start), and otherwise waits for one to come free, as a throttled Lambda waits for
concurrency. Every caller goes through here: the API front, the poller's schedule, the
notifier's queue reader, ``python -m local.invoke`` and the tests.

What environments share, and why that is safe enough: the ``videohook`` package is imported
once per process, so ``videohook.wiring.get_container()`` is one container for all of them.
It holds boto3 clients, ``requests`` sessions and adapters, which are safe to use from many
threads; giving each environment its own would mean a second copy of every imported
package. The Powertools Logger, Metrics and Tracer in ``videohook.observability`` are
shared the same way, so a log line of one event may carry keys (the correlation id) that
another event in flight appended: logs only, never an answer.
"""

from __future__ import annotations

import importlib.util
import os
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

FUNCTIONS = Path(__file__).resolve().parent.parent / "functions"
POOL_SIZE_VARIABLE = "VIDEOHOOK_LAMBDA_POOL"
DEFAULT_POOL_SIZE = 4


@dataclass
class LambdaContext:
    function_name: str = "videohook-local"
    timeout_seconds: float = 60.0
    memory_limit_in_mb: int = 256
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    _started: float = field(default_factory=time.monotonic)

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:us-east-1:123456789012:function:{self.function_name}"

    @property
    def function_version(self) -> str:
        return "$LATEST"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.timeout_seconds - (time.monotonic() - self._started)) * 1000))


def load_handler_module(name: str, serial: int) -> ModuleType:
    """A new module object for ``functions/<name>/app.py``, shared with no other environment."""
    path = FUNCTIONS / name / "app.py"
    spec = importlib.util.spec_from_file_location(f"videohook_function_{name}_{serial}", path)
    if spec is None or spec.loader is None or not path.is_file():
        raise ImportError(f"No function named {name!r}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class ExecutionEnvironment:
    def __init__(self, function: str, serial: int) -> None:
        self.function = function
        self.serial = serial
        self.module = load_handler_module(function, serial)
        self.invocations = 0
        self._busy = threading.Lock()

    def invoke(self, event: dict[str, Any], context: LambdaContext) -> Any:
        if not self._busy.acquire(blocking=False):
            raise RuntimeError(f"environment {self.function}#{self.serial} is already handling an event")
        try:
            self.invocations += 1
            return self.module.lambda_handler(event, context)
        finally:
            self._busy.release()


class FunctionPool:
    """The execution environments of one function."""

    def __init__(self, function: str, size: int) -> None:
        if size < 1:
            raise ValueError(f"{POOL_SIZE_VARIABLE} must be at least 1, got {size}")
        self.function = function
        self.size = size
        self._free: list[ExecutionEnvironment] = []
        self._loaded = 0
        self._changed = threading.Condition()

    @property
    def loaded(self) -> int:
        with self._changed:
            return self._loaded

    @contextmanager
    def environment(self) -> Iterator[ExecutionEnvironment]:
        """An environment for one event, this caller's alone until the block ends."""
        with self._changed:
            while not self._free and self._loaded >= self.size:
                self._changed.wait()
            warm = self._free.pop() if self._free else None
            if warm is None:
                self._loaded += 1
                serial = self._loaded
        if warm is None:
            try:
                warm = ExecutionEnvironment(self.function, serial)  # a cold start, outside the lock
            except BaseException:
                with self._changed:
                    self._loaded -= 1
                    self._changed.notify()
                raise
        try:
            yield warm
        finally:
            with self._changed:
                self._free.append(warm)
                self._changed.notify()


_pools: dict[str, FunctionPool] = {}
_pools_lock = threading.Lock()


def pool_size(environ: dict[str, str] | None = None) -> int:
    raw = (os.environ if environ is None else environ).get(POOL_SIZE_VARIABLE, "")
    try:
        return int(raw) if raw.strip() else DEFAULT_POOL_SIZE
    except ValueError:
        raise ValueError(f"{POOL_SIZE_VARIABLE} must be a whole number, got {raw!r}") from None


def function_pool(name: str) -> FunctionPool:
    """The pool of ``name``, sized from ``VIDEOHOOK_LAMBDA_POOL`` when first used."""
    with _pools_lock:
        if name not in _pools:
            _pools[name] = FunctionPool(name, pool_size())
        return _pools[name]


def invoke(name: str, event: dict[str, Any], *, timeout_seconds: float = 60.0) -> Any:
    """Invoke function ``name`` with ``event`` in one of its environments, waiting for one
    to come free when all are busy."""
    with function_pool(name).environment() as environment:
        context = LambdaContext(function_name=f"videohook-{name}", timeout_seconds=timeout_seconds)
        return environment.invoke(event, context)

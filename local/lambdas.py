"""Runs the functions' handlers the way Lambda runs them: one event at a time per execution
environment, and a pool of environments per function for events that arrive together.

Each function has a pool of at most ``VIDEOHOOK_LAMBDA_POOL`` environments (default 4): an
event takes the most recently freed one (a warm start), loads a new one while the pool has
room (a cold start), and otherwise waits for one to come free, as a throttled Lambda waits
for concurrency. Two kinds of environment:

- ``process`` (the local stack, ``make run``): each environment is a process of its own
  (``local.lambda_process``), so nothing module-level is shared between two events in
  flight: not the handler module, not ``videohook.wiring``'s container, and not the
  libraries' globals. That last part is why a process and not a module copy: Powertools'
  REST resolver keeps the request it handles on its ``BaseRouter`` *class*
  (``BaseRouter.current_event``), so two copies of the handler module in one interpreter
  still read each other's request.
- ``in_process`` (the tests, through ``invoke``): each environment is a freshly loaded copy
  of ``functions/<name>/app.py`` with a busy flag, sharing this interpreter's ``videohook``
  package, so a test can swap a collaborator in ``videohook.wiring.get_container()`` and
  the handler uses it. Safe for events one at a time, and for concurrent events of
  functions that keep no per-event state in library globals (the poller); not a model of
  concurrent API requests, which is what the ``process`` kind is for.
"""

from __future__ import annotations

import importlib.util
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

from local.lambda_process import ProcessEnvironment

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


class InProcessEnvironment:
    def __init__(self, function: str, serial: int) -> None:
        self.function = function
        self.serial = serial
        self.module = load_handler_module(function, serial)
        self.invocations = 0
        self.alive = True
        self._busy = threading.Lock()

    def invoke(self, event: dict[str, Any], timeout_seconds: float) -> Any:
        if not self._busy.acquire(blocking=False):
            raise RuntimeError(f"environment {self.function}#{self.serial} is already handling an event")
        try:
            self.invocations += 1
            context = LambdaContext(
                function_name=f"videohook-{self.function}", timeout_seconds=timeout_seconds
            )
            return self.module.lambda_handler(event, context)
        finally:
            self._busy.release()

    def close(self) -> None:
        self.alive = False


class Environment(Protocol):
    serial: int
    invocations: int

    @property
    def alive(self) -> bool: ...

    def invoke(self, event: dict[str, Any], timeout_seconds: float) -> Any: ...

    def close(self) -> None: ...


class FunctionPool:
    """The execution environments of one function."""

    def __init__(self, function: str, size: int, load: Callable[[str, int], Environment]) -> None:
        if size < 1:
            raise ValueError(f"{POOL_SIZE_VARIABLE} must be at least 1, got {size}")
        self.function = function
        self.size = size
        self._load = load
        self._free: list[Environment] = []
        self._all: list[Environment] = []
        self._count = 0  # loaded or loading
        self._changed = threading.Condition()

    @property
    def loaded(self) -> int:
        with self._changed:
            return self._count

    @contextmanager
    def environment(self) -> Iterator[Environment]:
        """An environment for one event, this caller's alone until the block ends."""
        with self._changed:
            while not self._free and self._count >= self.size:
                self._changed.wait()
            warm = self._free.pop() if self._free else None
            if warm is None:
                self._count += 1
                serial = self._count
        if warm is None:
            try:
                warm = self._load(self.function, serial)  # a cold start, outside the lock
            except BaseException:
                with self._changed:
                    self._count -= 1
                    self._changed.notify()
                raise
            with self._changed:
                self._all.append(warm)
        try:
            yield warm
        finally:
            with self._changed:
                if warm.alive:
                    self._free.append(warm)
                else:  # it timed out or crashed: the next event gets a fresh one
                    self._all.remove(warm)
                    self._count -= 1
                self._changed.notify()

    def close(self) -> None:
        with self._changed:
            environments, self._all, self._free = list(self._all), [], []
        for environment in environments:
            environment.close()


def pool_size(environ: Mapping[str, str] | None = None) -> int:
    raw = (os.environ if environ is None else environ).get(POOL_SIZE_VARIABLE, "")
    try:
        return int(raw) if raw.strip() else DEFAULT_POOL_SIZE
    except ValueError:
        raise ValueError(f"{POOL_SIZE_VARIABLE} must be a whole number, got {raw!r}") from None


class Lambdas:
    """The pools of every function, all of one kind (``process`` or ``in_process``)."""

    def __init__(self, kind: str, size: int | None = None) -> None:
        if kind not in ("process", "in_process"):
            raise ValueError(f"kind must be 'process' or 'in_process', got {kind!r}")
        self.kind = kind
        self._size = size
        self._pools: dict[str, FunctionPool] = {}
        self._lock = threading.Lock()

    def pool(self, name: str) -> FunctionPool:
        """The pool of ``name``, sized from ``VIDEOHOOK_LAMBDA_POOL`` when first used."""
        with self._lock:
            if name not in self._pools:
                load = ProcessEnvironment if self.kind == "process" else InProcessEnvironment
                self._pools[name] = FunctionPool(name, self._size or pool_size(), load)
            return self._pools[name]

    def invoke(self, name: str, event: dict[str, Any], *, timeout_seconds: float = 60.0) -> Any:
        """Invoke function ``name`` with ``event`` in one of its environments, waiting for
        one to come free when all are busy."""
        with self.pool(name).environment() as environment:
            return environment.invoke(event, timeout_seconds)

    def close(self) -> None:
        with self._lock:
            pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            pool.close()


in_process = Lambdas("in_process")


def invoke(name: str, event: dict[str, Any], *, timeout_seconds: float = 60.0) -> Any:
    """Invoke ``name`` in an in-process environment (see the module's docstring)."""
    return in_process.invoke(name, event, timeout_seconds=timeout_seconds)

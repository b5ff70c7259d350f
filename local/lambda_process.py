"""An execution environment in a process of its own, as Lambda's are: the handler module,
the ``videohook`` package, Powertools and every client are loaded in it and shared with no
other environment. The parent sends one event at a time over a pipe and waits for the
answer; an event that outlives the function's timeout ends the process, as Lambda ends a
timed-out environment."""

from __future__ import annotations

import multiprocessing
import signal
import sys
import traceback
import warnings
from multiprocessing.connection import Connection
from typing import Any

# A fresh interpreter, not a fork of a parent full of threads and open sockets.
_spawn = multiprocessing.get_context("spawn")
COLD_START_SECONDS = 60  # how long loading the handler may take


class FunctionError(RuntimeError):
    """The handler raised; carries the error's type name, as Lambda's ``errorType`` does."""

    def __init__(self, function: str, error_type: str) -> None:
        super().__init__(f"{function} failed with {error_type}")
        self.error_type = error_type


def _serve(function: str, connection: Connection) -> None:
    from local.lambdas import LambdaContext, load_handler_module

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group; the stack stops us
    # An idle poller tick records no metric; Powertools warns about that on every tick.
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    try:
        module = load_handler_module(function, 0)
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which raises it
        connection.send(("error", type(exc).__name__, None))
        return
    connection.send(("ready", None, None))
    while True:
        try:
            event, timeout_seconds = connection.recv()
        except EOFError:  # the stack closed the pipe (or died): this environment ends
            return
        context = LambdaContext(function_name=f"videohook-{function}", timeout_seconds=timeout_seconds)
        try:
            connection.send(("ok", None, module.lambda_handler(event, context)))
        except Exception as exc:  # noqa: BLE001 - the invocation failed, the environment lives on
            # Lambda writes an unhandled error's stack trace to the function's log; so do we.
            traceback.print_exc(file=sys.stderr)
            connection.send(("error", type(exc).__name__, None))


class ProcessEnvironment:
    def __init__(self, function: str, serial: int) -> None:
        self.function = function
        self.serial = serial
        self.invocations = 0
        self._connection, child = _spawn.Pipe()
        self._process = _spawn.Process(
            target=_serve, args=(function, child), name=f"lambda-{function}-{serial}", daemon=True
        )
        self._process.start()
        child.close()
        self._receive(COLD_START_SECONDS)

    def invoke(self, event: dict[str, Any], timeout_seconds: float) -> Any:
        self.invocations += 1
        self._connection.send((event, timeout_seconds))
        return self._receive(timeout_seconds + 1)

    def _receive(self, timeout_seconds: float) -> Any:
        if not self._connection.poll(timeout_seconds):
            self.close()
            raise TimeoutError(f"{self.function} timed out after {timeout_seconds:g} s")
        try:
            outcome, error_type, answer = self._connection.recv()
        except EOFError:
            self.close()
            raise FunctionError(self.function, "the environment exited") from None
        if outcome == "error":
            raise FunctionError(self.function, str(error_type))
        return answer

    @property
    def alive(self) -> bool:
        return self._process.is_alive()

    def close(self) -> None:
        self._connection.close()
        if self._process.is_alive():
            self._process.terminate()
        self._process.join(timeout=2)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()

"""A webhook receiver on loopback: records every callback it gets and answers with a
scripted status (200 by default). Used by ``make demo`` and by the tests."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, cast

from local.loopback import LoopbackHandler, LoopbackServer


@dataclass(frozen=True)
class ReceivedCallback:
    path: str
    headers: dict[str, str]
    body: bytes
    answered: int
    # How much of the answer's body the receiver managed to send before the sender hung up.
    sent_bytes: int = 0

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class ScriptedAnswer:
    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b'{"ok":true}'
    delay_seconds: float = 0.0
    # Instead of ``body``: stream this many bytes (a receiver that answers far too much).
    body_size: int = 0
    # Instead of a well-formed answer: these exact bytes (a broken chunk, a cut body).
    raw: bytes | None = None
    # Send the answer one byte at a time, this long apart (a receiver that trickles).
    trickle_seconds: float = 0.0


# How long ``WebhookReceiver.stop`` waits for answers already under way.
STOP_ANSWERS_SECONDS = 5.0


class WebhookReceiver(LoopbackServer):
    name = "webhook-receiver"

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(_CallbackHandler, host=host, port=port)
        self.received: list[ReceivedCallback] = []
        self._script: deque[ScriptedAnswer] = deque()
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._answering = 0
        self._answered = threading.Condition(self._lock)

    @property
    def url(self) -> str:
        return f"{self.base_url}/hooks/videohook"

    def stop(self) -> None:
        """Stop, once the callbacks already recorded have had their answers (a test that saw
        its callback and stops the receiver must not cut the sender's 200 off)."""
        self.stopping.set()  # wakes the answers that wait on purpose
        deadline = time.monotonic() + STOP_ANSWERS_SECONDS
        with self._answered:
            while self._answering and (left := deadline - time.monotonic()) > 0:
                self._answered.wait(left)
        super().stop()

    def answer_next(self, *answers: ScriptedAnswer) -> None:
        """Queue answers for the next callbacks; once they are used up, 200 again."""
        with self._lock:
            self._script.extend(answers)

    def wait_for(self, count: int, timeout: float) -> list[ReceivedCallback]:
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self.received) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{len(self.received)} of {count} callbacks arrived in {timeout} s")
                self._arrived.wait(left)
            return list(self.received)

    def _next_answer(self) -> ScriptedAnswer:
        with self._lock:
            return self._script.popleft() if self._script else ScriptedAnswer()

    def _record(self, callback: ReceivedCallback) -> None:
        with self._arrived:
            self.received.append(callback)
            self._arrived.notify_all()

    @contextlib.contextmanager
    def _recorded_then_answered(self, callback: ReceivedCallback) -> Iterator[None]:
        """Record ``callback`` before its answer goes out, so a sender holding its 200 always
        finds it in ``received``; ``stop`` waits for the answer to be sent."""
        with self._answered:
            self._answering += 1
        self._record(callback)
        try:
            yield
        finally:
            with self._answered:
                self._answering -= 1
                self._answered.notify_all()


class _CallbackHandler(LoopbackHandler):
    def do_POST(self) -> None:
        receiver = cast(WebhookReceiver, self.server.owner)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        answer = receiver._next_answer()
        if answer.delay_seconds:
            receiver.stopping.wait(answer.delay_seconds)
        if answer.raw is None and not answer.trickle_seconds and not answer.body_size:
            callback = ReceivedCallback(
                self.path, dict(self.headers.items()), body, answer.status, len(answer.body)
            )
            with receiver._recorded_then_answered(callback):
                self._send_answer(answer)
            return
        # A broken, trickled or oversized answer: what matters is how much of it was taken.
        if answer.raw is not None or answer.trickle_seconds:
            sent = self._send_bytewise(answer, receiver)
        else:
            sent = self._send_answer(answer)
        receiver._record(ReceivedCallback(self.path, dict(self.headers.items()), body, answer.status, sent))

    def _send_answer(self, answer: ScriptedAnswer) -> int:
        sent = 0
        try:
            self.send_response(answer.status)
            for name, value in answer.headers:
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(answer.body_size or len(answer.body)))
            self.end_headers()
            if answer.body_size:
                chunk = b"x" * 65536
                while sent < answer.body_size:
                    self.wfile.write(chunk)
                    sent += len(chunk)
            else:
                self.wfile.write(answer.body)
                sent = len(answer.body)
        except OSError:
            self.close_connection = True  # the sender hung up (timeout, or read enough)
        return sent

    def _send_bytewise(self, answer: ScriptedAnswer, receiver: WebhookReceiver) -> int:
        """Writes ``raw`` (or the status line, headers and body) a byte per
        ``trickle_seconds``; the count of bytes the sender took before hanging up."""
        head = f"HTTP/1.1 {answer.status} Scripted\r\nContent-Length: {len(answer.body)}\r\n\r\n"
        data = answer.raw if answer.raw is not None else head.encode() + answer.body
        self.close_connection = True
        sent = 0
        try:
            for index in range(len(data)):
                self.wfile.write(data[index : index + 1])
                self.wfile.flush()
                sent += 1
                if answer.trickle_seconds and receiver.stopping.wait(answer.trickle_seconds):
                    break
        except OSError:
            pass  # the sender hung up: its deadline passed
        return sent


class CallbackLog(LoopbackServer):
    """The local stack's own receiver, for trying the API by hand: prints one line per
    callback (its event type and job) and answers 200. It keeps nothing, so a long-running
    stack does not grow."""

    name = "callback-log"

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(_CallbackLogHandler, host=host, port=port)

    @property
    def url(self) -> str:
        return f"{self.base_url}/callbacks"


class _CallbackLogHandler(LoopbackHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            payload = json.loads(body)
            summary = f"{payload['type']} for job {payload['data']['id']}"
        except (ValueError, KeyError, TypeError):
            summary = f"{len(body)} bytes that are not a videohook callback"
        print(f"callback received ({self.headers.get('webhook-id')}): {summary}", flush=True)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

"""The simulator's wire: reads a request (plain or chunked body), hands it to the simulator
and writes the ``Answer`` back, streaming video bodies and, when scripted, cutting them
short the way a dropped connection would."""

from __future__ import annotations

import contextlib
import ipaddress
import json
import logging
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from local.loopback import LoopbackHandler
from local.simulator.contract import error_body
from local.simulator.state import RequestHeaders

if TYPE_CHECKING:
    from local.simulator.simulator import UpstreamSimulator

_log = logging.getLogger(__name__)

MAX_REQUEST_BODY = 64 * 1024 * 1024
# The simulator's own admin routes (``UpstreamSimulator.admin``), for loopback peers only.
ADMIN_PREFIX = "/_simulator/"


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass
class Answer:
    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    stream: tuple[int, Iterable[bytes]] | None = None  # (Content-Length, chunks)
    truncate_at: int | None = None
    delay: float | None = None

    @classmethod
    def json(cls, status: int, body: Any) -> Answer:
        return cls(status=status, body=json.dumps(body).encode())

    @classmethod
    def error(cls, status: int, path: str, message: str | None = None) -> Answer:
        return cls.json(status, error_body(status, path, message))


class SimulatorHandler(LoopbackHandler):
    server_version = "aimlapi-sim/1.0"
    timeout = 120  # idle keep-alive connections are dropped after this

    def version_string(self) -> str:
        return self.server_version

    def _dispatch(self) -> None:
        method = self.command
        sim = cast("UpstreamSimulator", self.server.owner)
        try:
            body = self._read_body()
            if body is None:
                answer = Answer.error(413, self.path, "Request body too large")
                self.close_connection = True
            elif self.path.startswith(ADMIN_PREFIX):
                answer = (
                    sim.admin(method, self.path, body)
                    if _is_loopback(self.client_address[0])
                    else Answer.error(404, self.path, f"Cannot {method} {self.path.split('?')[0]}")
                )
            else:
                answer = sim.answer(method, self.path, RequestHeaders(self.headers.items()), body)
            if answer.delay:
                sim.stopping.wait(answer.delay)
                if sim.stopping.is_set():
                    self.close_connection = True
                    return
            self._write(answer, head=method == "HEAD")
        except OSError:
            self.close_connection = True
        except Exception:  # noqa: BLE001 - a simulator bug must still answer
            _log.exception("upstream simulator: error answering %s", method)
            self.close_connection = True
            with contextlib.suppress(OSError):
                self._write(Answer.error(500, self.path, "Simulator error"), head=False)

    def _read_body(self) -> bytes | None:
        """The request body, or None when it is over ``MAX_REQUEST_BODY``."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            parts: list[bytes] = []
            total = 0
            while True:
                size = int(self.rfile.readline(65537).split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                total += size
                if total > MAX_REQUEST_BODY:
                    return None
                parts.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(parts)
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_REQUEST_BODY:
            return None
        return self.rfile.read(length) if length > 0 else b""

    def _write(self, answer: Answer, *, head: bool) -> None:
        if answer.stream is not None:
            length, chunks = answer.stream
        else:
            length, chunks = len(answer.body), (answer.body,)
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(length))
        for name, value in answer.headers.items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if head:
            close_iterable(chunks)
            return
        limit = length
        if answer.truncate_at is not None:
            limit = min(length, max(0, int(answer.truncate_at)))
        sent = 0
        try:
            for chunk in chunks:
                if sent >= limit:
                    break
                piece = chunk[: limit - sent]
                self.wfile.write(piece)
                sent += len(piece)
        finally:
            close_iterable(chunks)
        if sent < length:
            # Truncated on purpose (or a short factory body): the framing is broken, so
            # really close the socket for the client to see an incomplete read.
            self.close_connection = True
            self.wfile.flush()
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _dispatch


def close_iterable(chunks: Iterable[bytes]) -> None:
    close = getattr(chunks, "close", None)
    if callable(close):
        close()

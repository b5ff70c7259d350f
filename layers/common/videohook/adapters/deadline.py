"""One wall-clock deadline for a whole HTTP exchange, whatever the peer does.

urllib3's read timeout applies to each ``recv``: a receiver that trickles its answer a byte
at a time, each gap under the timeout, keeps a request open without end. Here every socket
read and write of a connection first shrinks the socket's timeout to what is left of the
deadline of the request the calling thread is making, so the exchange (headers and body,
sent and received) ends by then. The connect and the TLS handshake are bounded by the
connect timeout, itself never longer than what is left.
"""

from __future__ import annotations

import io
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool


class Deadlines(threading.local):
    """The deadline (``time.monotonic()`` seconds) of the request this thread is making."""

    at: float | None = None

    @contextmanager
    def until(self, deadline: float) -> Iterator[None]:
        self.at = deadline
        try:
            yield
        finally:
            self.at = None

    def remaining(self) -> float | None:
        if self.at is None:
            return None
        left = self.at - time.monotonic()
        if left <= 0:
            raise TimeoutError("the attempt's deadline has passed")
        return left


class DeadlineSocket:
    """A connected socket whose reads and writes never outlast the caller's deadline."""

    def __init__(self, sock: socket.socket, deadlines: Deadlines) -> None:
        self._sock = sock
        self._deadlines = deadlines

    def _arm(self) -> None:
        left = self._deadlines.remaining()
        if left is not None:
            self._sock.settimeout(left)

    def recv_into(self, buffer: Any, nbytes: int = 0, flags: int = 0) -> int:
        self._arm()
        return self._sock.recv_into(buffer, nbytes, flags)

    def recv(self, bufsize: int, flags: int = 0) -> bytes:
        self._arm()
        return self._sock.recv(bufsize, flags)

    def sendall(self, data: Any, flags: int = 0) -> None:
        self._arm()
        self._sock.sendall(data, flags)

    def send(self, data: Any, flags: int = 0) -> int:
        self._arm()
        return self._sock.send(data, flags)

    def makefile(self, mode: str = "rb", *_: Any, **__: Any) -> io.BufferedReader:
        # http.client reads the status line and headers through this file: its reads come
        # back to ``recv_into`` above, so trickled headers meet the deadline too.
        if mode != "rb":
            raise ValueError("only 'rb' files are made from a deadline socket")
        # As ``socket.makefile`` does: the file holds a reference, so a connection closed
        # while its answer is still being read (HTTP/1.0, ``Connection: close``: the body
        # ends when the peer closes) keeps its descriptor until the file is done with it.
        self._sock._io_refs += 1  # type: ignore[attr-defined]
        return io.BufferedReader(socket.SocketIO(self, "rb"))  # type: ignore[arg-type]

    def _decref_socketios(self) -> None:
        """The file made above is closed: release its hold, as ``socket`` does."""
        self._sock._decref_socketios()  # type: ignore[attr-defined]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


class _ConnectsWithDeadline:
    deadlines: Deadlines
    sock: Any

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]  # the urllib3 connection this is mixed into
        self.sock = DeadlineSocket(self.sock, self.deadlines)


def pools_with_deadline(deadlines: Deadlines) -> dict[str, type[HTTPConnectionPool]]:
    """Connection pool classes (for ``PoolManager.pool_classes_by_scheme``) whose
    connections keep ``deadlines``."""
    keep = {"deadlines": deadlines}
    plain = type("DeadlineConnection", (_ConnectsWithDeadline, HTTPConnection), keep)
    secure = type("DeadlineHTTPSConnection", (_ConnectsWithDeadline, HTTPSConnection), keep)
    return {
        "http": type("DeadlinePool", (HTTPConnectionPool,), {"ConnectionCls": plain}),
        "https": type("DeadlineHTTPSPool", (HTTPSConnectionPool,), {"ConnectionCls": secure}),
    }

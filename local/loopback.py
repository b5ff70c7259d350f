"""The one HTTP server every piece of the local stack serves with: the API front, the
upstream simulator and the webhook receiver.

It binds loopback only, answers each connection in its own thread, and sets TCP_NODELAY on
every accepted socket: ``http.server`` writes an answer's head and body in separate sends,
and with Nagle on, the body waits for the client's delayed ACK, about 40 ms per keep-alive
answer on Linux.
"""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import logging
import socket
import socketserver
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

_log = logging.getLogger(__name__)


class PortInUseError(RuntimeError):
    """The port asked for is taken (by another stack, or anything else)."""

    def __init__(self, host: str, port: int) -> None:
        super().__init__(f"{host}:{port} is already in use")
        self.host = host
        self.port = port


def loopback_host(host: str) -> str:
    """``host`` if it is an IPv4 loopback address (``localhost`` reads as 127.0.0.1)."""
    if host == "localhost":
        return "127.0.0.1"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is None or address.version != 4 or not address.is_loopback:
        raise ValueError(f"local servers bind to loopback IPv4 only, got host {host!r}")
    return host


@contextlib.contextmanager
def _port_errors(host: str, port: int) -> Iterator[None]:
    try:
        yield
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise PortInUseError(host, port) from None
        raise


def bind_listener(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (loopback only)."""
    host = loopback_host(host)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        with _port_errors(host, port):
            listener.bind((host, port))
        listener.listen(128)
    except BaseException:
        listener.close()
        raise
    return listener


def no_delay(connection: socket.socket) -> socket.socket:
    connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return connection


class _ThreadingServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # never wait on idle keep-alive connections at stop
    request_queue_size = 128  # socketserver's 5 resets connections when many clients arrive at once
    owner: LoopbackServer

    def get_request(self) -> tuple[socket.socket, Any]:
        connection, address = super().get_request()
        return no_delay(connection), address

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        self.owner._track(request, add=True)
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.owner._track(request, add=False)

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, OSError):  # the client went away, or stop() shut the socket
            return
        _log.error("%s: unhandled %s", self.owner.name, type(exc).__name__, exc_info=exc)


def serve_in_thread(server: socketserver.BaseServer, name: str) -> threading.Thread:
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=name, daemon=True
    )
    thread.start()
    return thread


def stop_serving(server: socketserver.BaseServer, thread: threading.Thread | None) -> None:
    """Stop accepting, release the port and wait (briefly) for the serving thread."""
    server.shutdown()
    server.server_close()
    if thread is not None:
        thread.join(timeout=5)


class LoopbackHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 keep-alive, and no request lines on stderr (they could carry a header)."""

    protocol_version = "HTTP/1.1"
    server: _ThreadingServer

    def log_message(self, format: str, *args: Any) -> None:
        return


class LoopbackServer:
    """Serves ``handler`` on ``host:port`` (port 0: any free one) in a daemon thread.

    A handler reaches the object that owns the server as ``self.server.owner``.
    """

    name = "loopback-server"

    def __init__(self, handler: type[LoopbackHandler], *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = loopback_host(host)
        self.port = port
        self._handler = handler
        self._server: _ThreadingServer | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        self.stopping = threading.Event()  # set at stop: wakes handlers that sleep on purpose
        self._base_url = ""

    @property
    def base_url(self) -> str:
        """``http://host:port`` once started (and after stop, naming the port it had)."""
        return self._base_url

    def start(self) -> Self:
        """Bind and serve; ``base_url`` is valid afterwards. A taken port is ``PortInUseError``."""
        if self._server is not None:
            raise RuntimeError(f"{self.name} is already running")
        with _port_errors(self.host, self.port):
            server = _ThreadingServer((self.host, self.port), self._handler)
        server.owner = self
        self.stopping.clear()
        self._server = server
        self._base_url = f"http://{self.host}:{server.server_address[1]}"
        self._thread = serve_in_thread(server, self.name)
        return self

    def stop(self) -> None:
        """Stop serving, drop open keep-alive connections and release the port."""
        server, self._server = self._server, None
        if server is None:
            return
        self.stopping.set()
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        stop_serving(server, self._thread)
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _track(self, connection: socket.socket, *, add: bool) -> None:
        with self._connections_lock:
            if add:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

"""moto's server on loopback, standing in for DynamoDB, S3, SQS, EventBridge and Secrets
Manager. moto's own ``ThreadedMotoServer`` binds inside its thread, so a taken port hangs
its ``start()`` forever (werkzeug exits the thread); here the socket is bound first, in the
caller, and a taken port is a ``PortInUseError``. Accepted sockets get TCP_NODELAY for the
reason ``local.loopback`` gives."""

from __future__ import annotations

import threading
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import ThreadedWSGIServer

from local.loopback import bind_listener, no_delay, serve_in_thread, stop_serving


class _NoDelayWSGIServer(ThreadedWSGIServer):
    def get_request(self) -> tuple[Any, Any]:
        connection, address = super().get_request()
        return no_delay(connection), address


class MotoServer:
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self._server: _NoDelayWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() first"
        return f"http://{self.host}:{self._server.server_address[1]}"

    def start(self) -> MotoServer:
        listener = bind_listener(self.host, self.port)
        try:
            app = DomainDispatcherApplication(create_backend_app)
            # werkzeug serves a duplicate of the listening socket's descriptor.
            self._server = _NoDelayWSGIServer(
                self.host, self.port, app, handler=MotoRequestHandler, fd=listener.fileno()
            )
        finally:
            listener.close()
        self._thread = serve_in_thread(self._server, "moto-server")
        return self

    def stop(self) -> None:
        if self._server is not None:
            stop_serving(self._server, self._thread)
        self._server = self._thread = None

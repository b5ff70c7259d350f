"""HTTPS through the pinned-address adapter: the connection goes to the checked address, yet
TLS still names and verifies the URL's host (SNI and certificate), as a receiver expects."""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import trustme

from videohook.adapters.webhooks import PinnedWebhookTransport

HOST = "hooks.example.com"


class TlsReceiver:
    """An HTTPS server on loopback whose certificate names ``certificate_host``."""

    def __init__(self, ca: trustme.CA, certificate_host: str) -> None:
        self.requests: list[dict[str, Any]] = []
        self.server_names: list[str | None] = []
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert(certificate_host).configure_cert(context)
        context.sni_callback = lambda _sock, name, _ctx: self.server_names.append(name)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.requests.append({"host": self.headers["Host"], "body": body})
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def ca(tmp_path, monkeypatch: pytest.MonkeyPatch) -> trustme.CA:
    authority = trustme.CA()
    bundle = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))  # trust it, as receivers' CAs are
    return authority


@pytest.fixture
def receiver_for(ca: trustme.CA) -> Iterator[Any]:
    started: list[TlsReceiver] = []

    def start(certificate_host: str) -> TlsReceiver:
        started.append(TlsReceiver(ca, certificate_host))
        return started[-1]

    yield start
    for receiver in started:
        receiver.stop()


def test_https_goes_to_the_pinned_address_and_verifies_the_urls_host(receiver_for):
    receiver = receiver_for(HOST)
    sender = PinnedWebhookTransport(timeout_seconds=5)

    result = sender.post(f"https://{HOST}:{receiver.port}/hooks", "127.0.0.1", b'{"a":1}', {})

    assert result.status_code == 204, result.error
    assert receiver.server_names == [HOST]  # SNI names the host, not the address
    assert receiver.requests[0]["host"] == f"{HOST}:{receiver.port}"
    assert json.loads(receiver.requests[0]["body"]) == {"a": 1}


def test_a_certificate_for_another_host_fails_the_attempt(receiver_for):
    receiver = receiver_for("someone-else.example.com")
    sender = PinnedWebhookTransport(timeout_seconds=5)

    result = sender.post(f"https://{HOST}:{receiver.port}/hooks", "127.0.0.1", b"{}", {})

    assert result.status_code is None
    assert result.error == "connection failed (SSLError)"
    assert receiver.requests == []


def test_two_hosts_on_one_address_each_get_their_own_verified_connection(receiver_for):
    first, second = receiver_for(HOST), receiver_for("other.example.com")
    sender = PinnedWebhookTransport(timeout_seconds=5)

    one = sender.post(f"https://{HOST}:{first.port}/hooks", "127.0.0.1", b"{}", {})
    two = sender.post(f"https://other.example.com:{second.port}/hooks", "127.0.0.1", b"{}", {})

    assert (one.status_code, two.status_code) == (204, 204)
    assert first.server_names == [HOST]
    assert second.server_names == ["other.example.com"]

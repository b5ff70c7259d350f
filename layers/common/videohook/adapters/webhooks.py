"""The webhook HTTP adapter: POSTs one signed callback and reports what happened.

It connects to the address the SSRF guard checked, never resolving the host again, so a DNS
answer that changes between check and connect (rebinding) cannot redirect the request
inside. This is the approach of ``requests-hardened`` (Host header and TLS name kept, the
pool pointed at an IP), which we don't use as is: its adapter resolves again at connect
time and checks only the first answer, where the guard checks every address.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import requests
import urllib3
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict

from videohook.adapters.deadline import Deadlines, pools_with_deadline
from videohook.adapters.http import new_session, retry_after_seconds
from videohook.ports import DeliveryResult

USER_AGENT = "videohook-webhooks/1.0 (+https://github.com/videohook)"
# Receivers' answers are kept for the delivery log, never more than this.
MAX_RESPONSE_BYTES = 4096


class PinnedAddressAdapter(HTTPAdapter):
    """Sends each request to the address given with ``connect_to``, keeping the URL's host
    for the Host header, TLS SNI and certificate checks. Without a pinned address it refuses
    to connect at all: nothing leaves unchecked. Its connections keep ``deadlines``."""

    def __init__(self, deadlines: Deadlines, pool_size: int = 10) -> None:
        self._deadlines = deadlines
        super().__init__(max_retries=0, pool_connections=pool_size, pool_maxsize=pool_size)
        self._pin = threading.local()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = pools_with_deadline(self._deadlines)

    @contextmanager
    def connect_to(self, address: str) -> Iterator[None]:
        self._pin.address = address
        try:
            yield
        finally:
            self._pin.address = None

    def build_connection_pool_key_attributes(
        self, request: requests.PreparedRequest, verify: bool | str, cert: Any = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, verify, cert)
        address = getattr(self._pin, "address", None)
        if address is None:
            raise requests.exceptions.InvalidURL("refused: no checked address to connect to")
        hostname = host_params["host"]
        host_header = f"[{hostname}]" if ":" in hostname else hostname
        if host_params["port"] is not None:
            host_header += f":{host_params['port']}"
        # A copy: the caller's header mapping may be shared between requests.
        request.headers = CaseInsensitiveDict(request.headers or {})
        request.headers["Host"] = host_header
        if host_params["scheme"] == "https":
            pool_kwargs["assert_hostname"] = hostname
            pool_kwargs["server_hostname"] = hostname
        host_params["host"] = f"[{address}]" if ":" in address else address
        return host_params, pool_kwargs


class PinnedWebhookTransport:
    """``timeout_seconds`` is the whole attempt's: connect, sending, headers and body."""

    def __init__(self, *, timeout_seconds: float, pool_size: int = 10) -> None:
        self._timeout = timeout_seconds
        self._deadlines = Deadlines()
        self._adapter = PinnedAddressAdapter(self._deadlines, pool_size)
        self._session = new_session(user_agent=USER_AGENT, adapter=self._adapter)
        # requests reads its environment once here (a CA bundle a deployer set), not on every
        # POST (where it also scans for proxies: a proxy would resolve the host again, which
        # pinning forbids, and the scan costs a tenth of a callback's time).
        self._session.verify = self._session.merge_environment_settings(
            "https://receiver.invalid/", {}, None, None, None
        )["verify"]
        self._session.trust_env = False

    def post(self, url: str, address: str, body: bytes, headers: dict[str, str]) -> DeliveryResult:
        """POST to ``url``, connecting to ``address`` (one the guard checked for this host).
        Every way the exchange can fail is an answer, never an exception: the attempt is
        recorded and retried on the schedule."""
        started = time.monotonic()
        try:
            with (
                self._deadlines.until(started + self._timeout),
                self._adapter.connect_to(address),
                self._session.post(
                    url,
                    data=body,
                    headers={"Content-Type": "application/json", **headers},
                    timeout=(min(self._timeout, 5.0), self._timeout),
                    allow_redirects=False,
                    stream=True,
                ) as response,
            ):
                response.raw.read(MAX_RESPONSE_BYTES, decode_content=False)
                return DeliveryResult(
                    status_code=response.status_code,
                    duration_ms=_elapsed_ms(started),
                    retry_after_seconds=retry_after_seconds(response.headers.get("Retry-After")),
                )
        except (requests.Timeout, urllib3.exceptions.TimeoutError, TimeoutError):
            error = f"timed out after {self._timeout:g} s"
        # urllib3 raises its own errors (ProtocolError on a bad chunk...) while the body is
        # read, past requests' translation; the rest of OSError covers a socket cut mid-read.
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            error = f"connection failed ({type(exc).__name__})"
        return DeliveryResult(status_code=None, duration_ms=_elapsed_ms(started), error=error)


def _elapsed_ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)

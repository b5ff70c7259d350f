"""The webhook HTTP adapter: POSTs one signed callback and reports what happened.

The session comes from ``requests-hardened``: it resolves the host once, refuses private
and link-local addresses, connects to the address it checked (so DNS rebinding between
check and connect fails) and never follows redirects.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import requests
from requests_hardened import Config, Manager
from requests_hardened.ip_filter import InvalidIPAddress

USER_AGENT = "videohook-webhooks/1.0 (+https://github.com/videohook)"
# Receivers' answers are kept for the delivery log, never more than this.
MAX_RESPONSE_BYTES = 4096


def hardened_session(*, allow_loopback: bool, timeout_seconds: float) -> requests.Session:
    config = Config(
        ip_filter_enable=True,
        ip_filter_allow_loopback_ips=allow_loopback,
        never_redirect=True,
        default_timeout=(min(timeout_seconds, 5.0), timeout_seconds),
        user_agent_override=USER_AGENT,
    )
    return Manager(config).get_session()


@dataclass(frozen=True)
class DeliveryResult:
    status_code: int | None
    duration_ms: int
    error: str | None = None
    retry_after_seconds: float | None = None
    # The host resolved to a forbidden address at connect time: retrying cannot help.
    refused: bool = False

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class WebhookSender:
    def __init__(self, *, session: requests.Session, timeout_seconds: float) -> None:
        self._session = session
        self._timeout = timeout_seconds

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> DeliveryResult:
        started = time.monotonic()
        try:
            with self._session.post(
                url,
                data=body,
                headers={"Content-Type": "application/json", **headers},
                timeout=self._timeout,
                allow_redirects=False,
                stream=True,
            ) as response:
                response.raw.read(MAX_RESPONSE_BYTES, decode_content=False)
                return DeliveryResult(
                    status_code=response.status_code,
                    duration_ms=_elapsed_ms(started),
                    retry_after_seconds=_retry_after(response.headers.get("Retry-After")),
                )
        except InvalidIPAddress:
            return DeliveryResult(
                status_code=None,
                duration_ms=_elapsed_ms(started),
                error="refused: the callback host resolves to a private, loopback or link-local address",
                refused=True,
            )
        except requests.Timeout:
            error = f"timed out after {self._timeout:g} s"
        except requests.RequestException as exc:
            error = f"connection failed ({type(exc).__name__})"
        return DeliveryResult(status_code=None, duration_ms=_elapsed_ms(started), error=error)


def _elapsed_ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None

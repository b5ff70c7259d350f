"""The AI/ML API adapter: the only module that speaks the provider's HTTP contract.

Where each model is created and retrieved comes from the catalog (``videohook.catalog``);
how the provider's answers read is ``provider_answers``; this module adds the transport:
authentication, retries with backoff, and the errors each status means.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote, quote_plus

import requests
from urllib3.exceptions import NameResolutionError, NewConnectionError

from videohook.adapters.http import retry_after_seconds
from videohook.adapters.provider_answers import (
    UnreadableAnswer,
    error_message_of,
    parse_create,
    parse_retrieve,
)
from videohook.catalog import Catalog, ModelSpec
from videohook.errors import (
    UpstreamAuthFailed,
    UpstreamError,
    UpstreamNotFound,
    UpstreamOutcomeUnknown,
    UpstreamOutOfCredits,
    UpstreamRejected,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from videohook.models.jobs import is_success
from videohook.observability import logger
from videohook.ports import UpstreamGeneration

# Never wait longer than this between two tries inside one request, whatever Retry-After says.
MAX_RETRY_WAIT_SECONDS = 10.0
MAX_ERROR_BODY_CHARS = 300


def _error_message(text: str, reason: str) -> str:
    """The provider's error text (``{"message", ...}`` or a loosely shaped ``error``)."""
    try:
        body = json.loads(text)
    except ValueError:
        return text or reason or ""
    if isinstance(body, dict):
        message = body.get("message") or error_message_of(body.get("error"))
        if message:
            return str(message)
    return str(body)


def _never_connected(exc: Exception) -> bool:
    """True when the request cannot have reached the provider (so a create is safe to repeat)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, NewConnectionError | NameResolutionError)


class UpstreamClient:
    """Creates and retrieves generations. 429 and most 5xx are retried with exponential
    backoff and full jitter (honouring ``Retry-After``) a bounded number of times. A 429 is
    the provider asking the whole account to slow down: every thread sharing this client
    holds its next request until the wait it asked for has passed."""

    def __init__(
        self,
        *,
        catalog: Catalog,
        base_url: str,
        api_key: Callable[[], str],
        session: requests.Session,
        timeout_seconds: float,
        max_attempts: int,
        backoff_base_seconds: float,
        budget_seconds: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._catalog = catalog
        self._base_url = base_url.rstrip("/")
        self._api_key = api_key
        self._session = session
        self._timeout = timeout_seconds
        self._max_attempts = max_attempts
        self._backoff_base = backoff_base_seconds
        self._sleep = sleep
        # A retry is only started if it can finish (wait + a full timeout) within the budget:
        # the submit function must answer before API Gateway gives up on it.
        self._budget = budget_seconds
        self._clock = clock
        self._paused_until = 0.0
        self._pause_lock = threading.Lock()

    def upstream_model(self, model: str) -> str:
        return self._spec(model).id

    def create(self, model: str, parameters: Mapping[str, Any]) -> UpstreamGeneration:
        spec = self._spec(model)
        # A create that may have reached the provider is never sent again: each one is
        # charged. Only answers that say "not processed" (429, 500/502/503) and failures
        # to connect are retried; a read timeout or a 504 leaves the outcome unknown.
        response = self._send(
            "POST",
            spec.create_path,
            json=spec.request_body(parameters),
            retry_ambiguous=False,
            operation="create",
        )
        try:
            return parse_create(self._json(response))
        except UnreadableAnswer as exc:
            raise UpstreamOutcomeUnknown(
                f"The provider accepted the generation but {exc}", status=response.status_code
            ) from None

    def retrieve(self, model: str, generation_id: str) -> UpstreamGeneration:
        spec = self._spec(model)
        response = self._send(
            "GET",
            spec.retrieve_path,
            params={"generation_id": generation_id},
            retry_ambiguous=True,
            operation="retrieve",
        )
        try:
            return parse_retrieve(self._json(response, redact=True), generation_id)
        except UnreadableAnswer as exc:
            raise UpstreamUnavailable(f"The provider's status answer was unreadable: {exc}") from None

    def _spec(self, model: str) -> ModelSpec:
        spec = self._catalog.get(model)
        if spec is None:
            raise UpstreamRejected(f"Model {model!r} is not in the catalog")
        return spec

    def _send(
        self, method: str, path: str, *, retry_ambiguous: bool, operation: str, **kwargs: Any
    ) -> requests.Response:
        url = f"{self._base_url}{path}"
        headers = {"Authorization": f"Bearer {self._api_key()}", "Accept": "application/json"}
        started = self._clock()
        self._hold_off(operation)
        for attempt in range(1, self._max_attempts + 1):
            last_try = attempt == self._max_attempts
            try:
                response = self._session.request(
                    method, url, headers=headers, timeout=self._timeout, allow_redirects=False, **kwargs
                )
            except (requests.Timeout, requests.ConnectionError) as exc:
                reached = not _never_connected(exc)
                if (
                    (retry_ambiguous or not reached)
                    and not last_try
                    and self._backoff(attempt, None, operation, type(exc).__name__, started)
                ):
                    continue
                if isinstance(exc, requests.Timeout):
                    raise UpstreamTimeout(
                        f"The provider did not answer the {operation} within {self._timeout:g} s"
                    ) from None
                if reached:
                    # The request went out and the answer was lost: it may have taken effect.
                    raise UpstreamOutcomeUnknown(
                        f"The connection broke during the {operation}; its outcome is unknown"
                    ) from None
                raise UpstreamUnavailable(f"Could not reach the provider for {operation}") from None
            if is_success(response.status_code):
                return response
            retryable = response.status_code in (429, 500, 502, 503) or (
                retry_ambiguous and response.status_code >= 500
            )
            retry_after = retry_after_seconds(response.headers.get("Retry-After"))
            if response.status_code == 429:
                self._pause(retry_after if retry_after is not None else self._backoff_base * 2**attempt)
            if (
                retryable
                and not last_try
                and self._backoff(
                    attempt,
                    retry_after,
                    operation,
                    response.status_code,
                    started,
                )
            ):
                continue
            raise self._error_for(response)
        raise AssertionError("unreachable: the loop either returns or raises")

    def _pause(self, seconds: float) -> None:
        with self._pause_lock:
            until = self._clock() + min(seconds, MAX_RETRY_WAIT_SECONDS)
            self._paused_until = max(self._paused_until, until)

    def _hold_off(self, operation: str) -> None:
        """Wait out a 429 another thread received, unless the request then could not end
        within the budget (a submit answers 503 rather than outlive API Gateway)."""
        wait = self._paused_until - self._clock()
        if wait <= 0:
            return
        if self._budget is not None and wait + self._timeout > self._budget:
            raise UpstreamUnavailable(f"The provider asked to slow down; the {operation} was not sent")
        self._sleep(wait)

    def _backoff(
        self, attempt: int, retry_after: float | None, operation: str, cause: object, started: float
    ) -> bool:
        """Wait before the next try and return True, or return False if that try could not
        end (wait plus a full timeout) within the budget."""
        ceiling = self._backoff_base * (2 ** (attempt - 1))
        delay = random.uniform(0, ceiling) if retry_after is None else retry_after
        delay = min(delay, MAX_RETRY_WAIT_SECONDS)
        if self._budget is not None and self._clock() - started + delay + self._timeout > self._budget:
            return False
        logger.warning(
            "Upstream call will be retried",
            extra={"operation": operation, "attempt": attempt, "cause": str(cause), "delay_s": delay},
        )
        self._sleep(delay)
        return True

    def _redact(self, text: str) -> str:
        """Provider text reaches clients and logs; our key must never ride along in it, as
        sent or URL-encoded. Applied to the whole answer, before anything is cut short (a key
        cut in half would no longer match)."""
        key = self._api_key()
        if not key:
            return text
        for form in {key, quote(key, safe=""), quote_plus(key)}:
            text = text.replace(form, "[redacted]")
        return text

    def _error_for(self, response: requests.Response) -> UpstreamError:
        status = response.status_code
        reason = _error_message(self._redact(response.text), response.reason or "")[:MAX_ERROR_BODY_CHARS]
        if status == 400:
            return UpstreamRejected(f"The provider rejected the request: {reason}", status=status)
        if status == 401:
            return UpstreamAuthFailed(
                "The provider refused videohook's API key; an operator must fix it", status=status
            )
        if status == 403:
            return UpstreamOutOfCredits(f"The provider account is out of credits: {reason}", status=status)
        if status == 404:
            return UpstreamNotFound(f"The provider does not know this generation: {reason}", status=status)
        if status == 504:
            return UpstreamTimeout(f"The provider answered {status}: {reason}", status=status)
        return UpstreamUnavailable(f"The provider answered {status}: {reason}", status=status)

    def _json(self, response: requests.Response, *, redact: bool = False) -> Any:
        """The body of a 2xx. One that cannot be read leaves the outcome unknown: for a
        create, the provider accepted (and charged) something. ``redact`` for answers whose
        text reaches clients (a failed generation's error)."""
        try:
            return json.loads(self._redact(response.text) if redact else response.text)
        except ValueError:
            raise UnreadableAnswer("its answer is not JSON") from None

"""The AI/ML API adapter: the only module that speaks the provider's HTTP contract.

Models are rows in ``MODEL_ROUTES`` (where to create, where to retrieve, what the provider
calls the model and its fields), so adding a sibling model is a new row, not a new module.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import requests
from urllib3.exceptions import NameResolutionError, NewConnectionError

from videohook.adapters.http import is_success, retry_after_seconds
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
from videohook.models.outcomes import ProviderOutcome
from videohook.observability import logger
from videohook.ports import UpstreamGeneration

RUNWAY_GENERATION_PATH = "/v2/generate/video/runway/generation"
# An unknown status is stored and shown as the provider sent it, up to this length.
MAX_STATUS_CHARS = 64
# Never wait longer than this between two tries inside one request, whatever Retry-After says.
MAX_RETRY_WAIT_SECONDS = 10.0


@dataclass(frozen=True)
class ModelRoute:
    upstream_model: str
    create_path: str
    retrieve_path: str
    # Our field name -> the provider's, for routes whose schema names a field differently.
    field_names: Mapping[str, str] = field(default_factory=dict)


MODEL_ROUTES: dict[str, ModelRoute] = {
    "gen3a_turbo": ModelRoute("gen3a_turbo", RUNWAY_GENERATION_PATH, RUNWAY_GENERATION_PATH),
    "gen4_turbo": ModelRoute("runway/gen4_turbo", RUNWAY_GENERATION_PATH, RUNWAY_GENERATION_PATH),
}


# The provider's status words, and what each means. The docs' own polling code treats
# "waiting" and "active" as pending; "active" and "generating" mean work has started.
STATUS_OUTCOMES: dict[str, ProviderOutcome] = {
    **dict.fromkeys(("queued", "waiting", "pending"), ProviderOutcome.QUEUED),
    **dict.fromkeys(("generating", "active", "processing"), ProviderOutcome.STARTED),
    **dict.fromkeys(("completed", "succeeded", "success"), ProviderOutcome.SUCCEEDED),
    **dict.fromkeys(
        ("error", "failed", "cancelled", "canceled", "timeout", "expired"), ProviderOutcome.FAILED
    ),
}


def classify_status(status: str) -> ProviderOutcome:
    return STATUS_OUTCOMES.get(status.strip().lower(), ProviderOutcome.UNKNOWN)


def extract_video_url(video: Any) -> str | None:
    """The reference shows ``video`` both as ``["https://..."]`` and ``{"url": "..."}``."""
    if isinstance(video, str):
        return video or None
    if isinstance(video, list):
        return next((item for item in video if isinstance(item, str) and item), None)
    if isinstance(video, dict):
        url = video.get("url")
        return url if isinstance(url, str) and url else None
    return None


def extract_error_message(error: Any) -> str | None:
    """``error`` is loosely shaped: a string, ``{name, message}`` or ``{detail: [...]}``."""
    if error is None or error == "":
        return None
    if isinstance(error, str):
        return error
    if isinstance(error, dict):
        if isinstance(error.get("message"), str):
            name = error.get("name")
            return f"{name}: {error['message']}" if isinstance(name, str) else error["message"]
        detail = error.get("detail")
        if isinstance(detail, list):
            messages = [d.get("msg", str(d)) if isinstance(d, dict) else str(d) for d in detail]
            return "; ".join(messages)
        if isinstance(detail, str):
            return detail
    return str(error)[:500]


def _error_message(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return (response.text or response.reason or "")[:300]
    if isinstance(body, dict):
        message = body.get("message") or extract_error_message(body.get("error"))
        if message:
            return str(message)[:300]
    return str(body)[:300]


def _never_connected(exc: Exception) -> bool:
    """True when the request cannot have reached the provider (so a create is safe to repeat)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, NewConnectionError | NameResolutionError)


class UpstreamClient:
    """Creates and retrieves generations. 429 and most 5xx are retried with exponential
    backoff and full jitter (honouring ``Retry-After``) a bounded number of times."""

    def __init__(
        self,
        *,
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

    def upstream_model(self, model: str) -> str:
        return MODEL_ROUTES[model].upstream_model

    def create(self, model: str, parameters: Mapping[str, Any]) -> UpstreamGeneration:
        route = MODEL_ROUTES[model]
        body = {"model": route.upstream_model}
        body.update({route.field_names.get(name, name): value for name, value in parameters.items()})
        # A create that may have reached the provider is never sent again: each one is
        # charged. Only answers that say "not processed" (429, 500/502/503) and failures
        # to connect are retried; a read timeout or a 504 leaves the outcome unknown.
        response = self._send("POST", route.create_path, json=body, retry_ambiguous=False, operation="create")
        payload = self._json(response)
        generation_id = payload.get("id") or payload.get("generation_id")
        if not isinstance(generation_id, str) or not generation_id:
            raise UpstreamOutcomeUnknown(
                "The provider accepted the generation but returned no id", status=response.status_code
            )
        status = str(payload.get("status") or "queued")[:MAX_STATUS_CHARS]
        return UpstreamGeneration(id=generation_id, status=status, outcome=classify_status(status))

    def retrieve(self, model: str, generation_id: str) -> UpstreamGeneration:
        route = MODEL_ROUTES[model]
        response = self._send(
            "GET",
            route.retrieve_path,
            params={"generation_id": generation_id},
            retry_ambiguous=True,
            operation="retrieve",
        )
        payload = self._json(response)
        status = str(payload.get("status") or "unknown")[:MAX_STATUS_CHARS]
        return UpstreamGeneration(
            id=str(payload.get("id") or payload.get("generation_id") or generation_id),
            status=status,
            outcome=classify_status(status),
            video_url=extract_video_url(payload.get("video")),
            error_message=self._redact(extract_error_message(payload.get("error"))),
        )

    def _send(
        self, method: str, path: str, *, retry_ambiguous: bool, operation: str, **kwargs: Any
    ) -> requests.Response:
        url = f"{self._base_url}{path}"
        headers = {"Authorization": f"Bearer {self._api_key()}", "Accept": "application/json"}
        started = self._clock()
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
            if (
                retryable
                and not last_try
                and self._backoff(
                    attempt,
                    retry_after_seconds(response.headers.get("Retry-After")),
                    operation,
                    response.status_code,
                    started,
                )
            ):
                continue
            raise self._error_for(response)
        raise AssertionError("unreachable: the loop either returns or raises")

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

    def _redact(self, text: str | None) -> str | None:
        """Provider text reaches clients and logs; our key must never ride along in it."""
        key = self._api_key()
        return text.replace(key, "[redacted]") if text and key else text

    def _error_for(self, response: requests.Response) -> UpstreamError:
        status = response.status_code
        reason = self._redact(_error_message(response)) or ""
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

    @staticmethod
    def _json(response: requests.Response) -> dict[str, Any]:
        """The body of a 2xx. One that cannot be read leaves the outcome unknown: for a
        create, the provider accepted (and charged) something."""
        try:
            payload = response.json()
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            raise UpstreamOutcomeUnknown(
                "The provider answered success with a body that is not a JSON object",
                status=response.status_code,
            )
        return payload

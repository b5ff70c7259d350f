"""Domain exceptions. Adapters translate boto3/requests errors into these; the API maps
them to status codes in one table (``functions/submit/app.py``)."""

from __future__ import annotations

from typing import Any


class VideohookError(Exception):
    """Base class: ``code`` is machine-readable, the message is safe to show a client."""

    code = "internal_error"

    def __init__(self, message: str, *, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class Unauthenticated(VideohookError):
    code = "unauthenticated"


class InvalidRequest(VideohookError):
    code = "invalid_request"


class CallbackUrlRejected(InvalidRequest):
    code = "invalid_callback_url"


class CallbackHostUnresolvable(CallbackUrlRejected):
    """The host has no address now. Refused at submit; at delivery a failed attempt like any
    other, since DNS failures are often brief."""


class JobNotFound(VideohookError):
    code = "not_found"


class NothingToRedeliver(VideohookError):
    code = "nothing_to_redeliver"


class RedeliveryLimited(VideohookError):
    """Too many redeliveries of one job: each is a signed POST the client aims at its
    receiver, and a record on the job."""

    code = "redelivery_limited"

    def __init__(self, message: str, *, retry_after_seconds: int) -> None:
        super().__init__(message, details=[{"retry_after_seconds": retry_after_seconds}])
        self.retry_after_seconds = retry_after_seconds


class IdempotencyKeyReused(VideohookError):
    code = "idempotency_key_reused"


class IdempotencyKeyInProgress(VideohookError):
    code = "idempotency_key_in_progress"


class SubmissionInterrupted(VideohookError):
    """An earlier request with this Idempotency-Key died after it may have reached the
    provider: sending it again could pay twice, so it is refused."""

    code = "submission_interrupted"


class UpstreamError(VideohookError):
    """The upstream answered in a way that ends this call. ``retryable`` says whether
    trying again later can help (429/5xx/timeouts) or not (400/401/403/404)."""

    code = "upstream_error"
    retryable = False

    def __init__(self, message: str, *, status: int | None = None, details: Any = None) -> None:
        super().__init__(message, details=details)
        self.status = status


class UpstreamRejected(UpstreamError):
    """400: the provider refused the request body."""

    code = "upstream_rejected"


class UpstreamAuthFailed(UpstreamError):
    """401: our upstream API key is wrong; an operator must act."""

    code = "upstream_auth_failed"


class UpstreamOutOfCredits(UpstreamError):
    """403: the provider account has no credits left."""

    code = "upstream_out_of_credits"


class UpstreamNotFound(UpstreamError):
    code = "upstream_not_found"


class UpstreamUnavailable(UpstreamError):
    """429/5xx after the bounded retries."""

    code = "upstream_unavailable"
    retryable = True


class UpstreamOutcomeUnknown(UpstreamError):
    """The call may or may not have taken effect upstream (no answer, or an answer without
    an id): a create in this state may have been charged and is never repeated."""

    code = "upstream_outcome_unknown"
    retryable = True


class UpstreamTimeout(UpstreamOutcomeUnknown):
    code = "upstream_timeout"


class VideoUnavailable(VideohookError):
    """The finished video's URL answered 403/404/410: it expired or never existed."""

    code = "video_unavailable"


class VideoCopyFailed(VideohookError):
    """A transient failure while copying (truncated body, connection reset, S3 error)."""

    code = "video_copy_failed"


class StorageError(VideohookError):
    code = "storage_error"

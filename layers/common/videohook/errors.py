"""Domain exceptions. Adapters translate boto3/requests errors into these; the API maps
them to status codes in one table (``functions/submit/app.py``)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class ErrorCode(StrEnum):
    """``error.code`` of an API error answer: one value per domain error class."""

    INTERNAL_ERROR = "internal_error"
    UNAUTHENTICATED = "unauthenticated"
    INVALID_REQUEST = "invalid_request"
    INVALID_CALLBACK_URL = "invalid_callback_url"
    NOT_FOUND = "not_found"
    MODEL_NOT_FOUND = "model_not_found"
    NOTHING_TO_REDELIVER = "nothing_to_redeliver"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    IDEMPOTENCY_KEY_IN_PROGRESS = "idempotency_key_in_progress"
    SUBMISSION_INTERRUPTED = "submission_interrupted"
    UPSTREAM_ERROR = "upstream_error"
    UPSTREAM_REJECTED = "upstream_rejected"
    UPSTREAM_AUTH_FAILED = "upstream_auth_failed"
    UPSTREAM_OUT_OF_CREDITS = "upstream_out_of_credits"
    UPSTREAM_NOT_FOUND = "upstream_not_found"
    UPSTREAM_UNAVAILABLE = "upstream_unavailable"
    UPSTREAM_OUTCOME_UNKNOWN = "upstream_outcome_unknown"
    UPSTREAM_TIMEOUT = "upstream_timeout"
    VIDEO_UNAVAILABLE = "video_unavailable"
    VIDEO_COPY_FAILED = "video_copy_failed"
    STORAGE_ERROR = "storage_error"
    REDELIVERY_LIMITED = "redelivery_limited"


class VideohookError(Exception):
    """Base class: ``code`` is machine-readable, the message is safe to show a client."""

    code: str = ErrorCode.INTERNAL_ERROR

    def __init__(self, message: str, *, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class Unauthenticated(VideohookError):
    code: str = ErrorCode.UNAUTHENTICATED


class InvalidRequest(VideohookError):
    code: str = ErrorCode.INVALID_REQUEST


class CallbackUrlRejected(InvalidRequest):
    code: str = ErrorCode.INVALID_CALLBACK_URL


class CallbackHostUnresolvable(CallbackUrlRejected):
    """The host has no address now. Refused at submit; at delivery a failed attempt like any
    other, since DNS failures are often brief."""


class JobNotFound(VideohookError):
    code: str = ErrorCode.NOT_FOUND


class ModelNotFound(VideohookError):
    code: str = ErrorCode.MODEL_NOT_FOUND


class NothingToRedeliver(VideohookError):
    code: str = ErrorCode.NOTHING_TO_REDELIVER


class RedeliveryLimited(VideohookError):
    """Too many redeliveries of one job: each is a signed POST the client aims at its
    receiver, and a record on the job."""

    code: str = ErrorCode.REDELIVERY_LIMITED

    def __init__(self, message: str, *, retry_after_seconds: int) -> None:
        super().__init__(message, details=[{"retry_after_seconds": retry_after_seconds}])
        self.retry_after_seconds = retry_after_seconds


class IdempotencyKeyReused(VideohookError):
    code: str = ErrorCode.IDEMPOTENCY_KEY_REUSED


class IdempotencyKeyInProgress(VideohookError):
    code: str = ErrorCode.IDEMPOTENCY_KEY_IN_PROGRESS


class SubmissionInterrupted(VideohookError):
    """An earlier request with this Idempotency-Key died after it may have reached the
    provider: sending it again could pay twice, so it is refused."""

    code: str = ErrorCode.SUBMISSION_INTERRUPTED


class UpstreamError(VideohookError):
    """The upstream answered in a way that ends this call. ``retryable`` says whether
    trying again later can help (429/5xx/timeouts) or not (400/401/403/404)."""

    code: str = ErrorCode.UPSTREAM_ERROR
    retryable = False

    def __init__(self, message: str, *, status: int | None = None, details: Any = None) -> None:
        super().__init__(message, details=details)
        self.status = status


class UpstreamRejected(UpstreamError):
    """400: the provider refused the request body."""

    code: str = ErrorCode.UPSTREAM_REJECTED


class UpstreamAuthFailed(UpstreamError):
    """401: our upstream API key is wrong; an operator must act."""

    code: str = ErrorCode.UPSTREAM_AUTH_FAILED


class UpstreamOutOfCredits(UpstreamError):
    """403: the provider account has no credits left."""

    code: str = ErrorCode.UPSTREAM_OUT_OF_CREDITS


class UpstreamNotFound(UpstreamError):
    code: str = ErrorCode.UPSTREAM_NOT_FOUND


class UpstreamUnavailable(UpstreamError):
    """429/5xx after the bounded retries."""

    code: str = ErrorCode.UPSTREAM_UNAVAILABLE
    retryable = True


class UpstreamOutcomeUnknown(UpstreamError):
    """The call may or may not have taken effect upstream (no answer, or an answer without
    an id): a create in this state may have been charged and is never repeated."""

    code: str = ErrorCode.UPSTREAM_OUTCOME_UNKNOWN
    retryable = True


class UpstreamTimeout(UpstreamOutcomeUnknown):
    code: str = ErrorCode.UPSTREAM_TIMEOUT


class VideoUnavailable(VideohookError):
    """The finished video's URL answered 403/404/410: it expired or never existed."""

    code: str = ErrorCode.VIDEO_UNAVAILABLE


class VideoCopyFailed(VideohookError):
    """A transient failure while copying (truncated body, connection reset, S3 error)."""

    code: str = ErrorCode.VIDEO_COPY_FAILED


class StorageError(VideohookError):
    code: str = ErrorCode.STORAGE_ERROR


class JobItemTooLarge(StorageError):
    """DynamoDB refused a write that would take the job's item past its 400 KB limit."""

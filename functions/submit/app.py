"""Submit API: POST /v1/generations, GET /v1/generations/{id}, POST .../{id}/redeliver,
GET /v1/webhook-secret and POST /v1/webhook-secret/rotate (the caller's own signing secret).

Each route parses, calls one domain function and answers; domain errors become status
codes in ``ERROR_STATUS`` below, always as ``{"error": {"code", "message", "details"}}``.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from videohook import errors
from videohook.models.requests import IDEMPOTENCY_HEADER, parse_idempotency_key
from videohook.observability import logger, metrics, tracer
from videohook.wiring import get_container

app = APIGatewayRestResolver()

# Most specific first: the first class an error is an instance of decides its status.
ERROR_STATUS: list[tuple[type[errors.VideohookError], HTTPStatus]] = [
    (errors.Unauthenticated, HTTPStatus.UNAUTHORIZED),
    (errors.InvalidRequest, HTTPStatus.BAD_REQUEST),
    (errors.JobNotFound, HTTPStatus.NOT_FOUND),
    (errors.NothingToRedeliver, HTTPStatus.CONFLICT),
    (errors.SubmissionInterrupted, HTTPStatus.CONFLICT),
    (errors.RedeliveryLimited, HTTPStatus.TOO_MANY_REQUESTS),
    (errors.IdempotencyKeyInProgress, HTTPStatus.CONFLICT),
    (errors.IdempotencyKeyReused, HTTPStatus.UNPROCESSABLE_ENTITY),
    (errors.UpstreamRejected, HTTPStatus.UNPROCESSABLE_ENTITY),
    (errors.UpstreamOutOfCredits, HTTPStatus.SERVICE_UNAVAILABLE),
    (errors.UpstreamUnavailable, HTTPStatus.SERVICE_UNAVAILABLE),
    (errors.UpstreamOutcomeUnknown, HTTPStatus.GATEWAY_TIMEOUT),
    (errors.UpstreamError, HTTPStatus.BAD_GATEWAY),
]


def error_response(
    status: HTTPStatus, code: str, message: str, details: Any = None, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body={"error": {"code": code, "message": message, "details": details or []}},
        headers=headers,
    )


@app.exception_handler(errors.VideohookError)
def handle_domain_error(exc: errors.VideohookError) -> Response:
    status = next((s for kind, s in ERROR_STATUS if isinstance(exc, kind)), HTTPStatus.INTERNAL_SERVER_ERROR)
    if status >= 500:
        logger.warning("Request failed", extra={"code": exc.code, "status": int(status)})
    retry_after = getattr(exc, "retry_after_seconds", None)
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return error_response(status, exc.code, exc.message, exc.details, headers)


@app.not_found
def handle_not_found(_: Exception) -> Response:
    return error_response(HTTPStatus.NOT_FOUND, "not_found", "No such route")


@app.exception_handler(Exception)
def handle_unexpected(_: Exception) -> Response:
    logger.exception("Unexpected error")
    return error_response(HTTPStatus.INTERNAL_SERVER_ERROR, "internal_error", "Something went wrong")


def caller() -> str:
    """The API key's id identifies the client; API Gateway has already checked the key."""
    api_key_id = app.current_event.request_context.identity.api_key_id
    if not api_key_id:
        raise errors.Unauthenticated("A valid x-api-key header is required")
    return api_key_id


@app.post("/v1/generations")
@tracer.capture_method
def create_generation() -> Response:
    view = get_container().submissions.submit(
        app.current_event.body,
        caller(),
        idempotency_key=parse_idempotency_key(app.current_event.headers.get(IDEMPOTENCY_HEADER)),
    )
    return Response(
        status_code=HTTPStatus.ACCEPTED,
        content_type=content_types.APPLICATION_JSON,
        body=view,
        headers={"Location": f"/v1/generations/{view['id']}"},
    )


@app.get("/v1/generations/<job_id>")
@tracer.capture_method
def read_generation(job_id: str) -> dict[str, Any]:
    return get_container().submissions.get(job_id, caller())


@app.post("/v1/generations/<job_id>/redeliver")
@tracer.capture_method
def redeliver(job_id: str) -> Response:
    answer = get_container().submissions.redeliver(job_id, caller())
    return Response(status_code=HTTPStatus.ACCEPTED, content_type=content_types.APPLICATION_JSON, body=answer)


@app.get("/v1/webhook-secret")
@tracer.capture_method(capture_response=False)
def read_webhook_secret() -> dict[str, Any]:
    return get_container().webhook_secrets.current(caller())


@app.post("/v1/webhook-secret/rotate")
@tracer.capture_method(capture_response=False)
def rotate_webhook_secret() -> dict[str, Any]:
    return get_container().webhook_secrets.rotate(caller())


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    get_container().idempotency.register_lambda_context(context)
    return app.resolve(event, context)

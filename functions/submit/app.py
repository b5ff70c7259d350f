"""The public API: generations, models, usage, the caller's webhook signing secret, and the
OpenAPI document.

(No ``from __future__ import annotations`` here: Powertools reads the routes' annotations
to describe them in the OpenAPI document, and needs them evaluated.)

Each route parses, calls one domain function and answers; domain errors become status
codes in ``ERROR_STATUS`` below, always as ``{"error": {"code", "message", "details"}}``.
"""

from functools import cache
from http import HTTPStatus
from typing import Any
from urllib.parse import quote, unquote

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from videohook import errors
from videohook.api_document import api_document, json_response
from videohook.api_document import error_response as documented_error
from videohook.models.requests import IDEMPOTENCY_HEADER, parse_idempotency_key
from videohook.observability import logger, metrics, tracer
from videohook.wiring import get_container

app = APIGatewayRestResolver()

# Most specific first: the first class an error is an instance of decides its status.
ERROR_STATUS: list[tuple[type[errors.VideohookError], HTTPStatus]] = [
    (errors.Unauthenticated, HTTPStatus.UNAUTHORIZED),
    (errors.InvalidRequest, HTTPStatus.BAD_REQUEST),
    (errors.JobNotFound, HTTPStatus.NOT_FOUND),
    (errors.ModelNotFound, HTTPStatus.NOT_FOUND),
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
    return error_response(HTTPStatus.NOT_FOUND, errors.ErrorCode.NOT_FOUND, "No such route")


@app.exception_handler(Exception)
def handle_unexpected(_: Exception) -> Response:
    logger.exception("Unexpected error")
    return error_response(
        HTTPStatus.INTERNAL_SERVER_ERROR, errors.ErrorCode.INTERNAL_ERROR, "Something went wrong"
    )


def caller() -> str:
    """The API key's id identifies the client; API Gateway has already checked the key."""
    api_key_id = app.current_event.request_context.identity.api_key_id
    if not api_key_id:
        raise errors.Unauthenticated("A valid x-api-key header is required")
    return api_key_id


@app.post(
    "/v1/generations",
    summary="Submit a generation",
    tags=["generations"],
    responses={
        202: json_response("Accepted: the job, queued; its callback comes when it ends"),
        400: documented_error("A field is invalid: each one is named with the reason"),
        409: documented_error(
            "An earlier request with this Idempotency-Key is unfinished or was interrupted"
        ),
        422: documented_error("The Idempotency-Key was used with another body, or the provider refused"),
        503: documented_error("The provider is unavailable or out of credits; nothing was charged"),
    },
)
@tracer.capture_method
def create_generation() -> Response[dict[str, Any]]:
    view = get_container().submissions.submit(
        app.current_event.decoded_body,  # API Gateway may send it base64-encoded
        caller(),
        idempotency_key=parse_idempotency_key(app.current_event.headers.get(IDEMPOTENCY_HEADER)),
    )
    return Response(
        status_code=HTTPStatus.ACCEPTED,
        content_type=content_types.APPLICATION_JSON,
        body=view,
        headers={"Location": f"/v1/generations/{view['id']}"},
    )


@app.get(
    "/v1/generations/<job_id>",
    summary="Read a generation: status, video, usage, delivery attempts",
    tags=["generations"],
    responses={200: json_response("The job"), 404: documented_error("No such job for this API key")},
)
@tracer.capture_method
def read_generation(job_id: str) -> dict[str, Any]:
    return get_container().submissions.get(job_id, caller())


@app.post(
    "/v1/generations/<job_id>/redeliver",
    summary="Queue the job's last callback again (same webhook-id)",
    tags=["generations"],
    responses={
        202: json_response("Queued"),
        404: documented_error("No such job for this API key"),
        409: documented_error("No callback to redeliver yet"),
        429: documented_error("Too many redeliveries of this job; the Retry-After header says when to retry"),
    },
)
@tracer.capture_method
def redeliver(job_id: str) -> Response[dict[str, Any]]:
    answer = get_container().submissions.redeliver(job_id, caller())
    return Response(status_code=HTTPStatus.ACCEPTED, content_type=content_types.APPLICATION_JSON, body=answer)


@app.get(
    "/v1/models",
    summary="Every model you can submit, with its family, endpoint and required parameters",
    tags=["models"],
    responses={200: json_response("The catalog")},
)
@tracer.capture_method
def list_models() -> dict[str, Any]:
    caller()
    return get_container().model_directory.list()


@app.get(
    "/v1/models/<model>",
    summary="One model and the JSON Schema of its parameters",
    description="Ids with slashes may be sent as they are or with each slash encoded as %2F.",
    tags=["models"],
    responses={200: json_response("The model"), 404: documented_error("No such model")},
)
@tracer.capture_method
def describe_model(model: str) -> dict[str, Any]:
    caller()
    return get_container().model_directory.describe(unquote(model))


@app.get(
    "/v1/usage",
    summary="This API key's jobs by status and model, and the credits they used",
    tags=["usage"],
    responses={200: json_response("Totals for the range"), 400: documented_error("A bad time range")},
)
@tracer.capture_method
def read_usage() -> dict[str, Any]:
    query = app.current_event.query_string_parameters or {}
    return get_container().usage_reports.totals(caller(), since=query.get("from"), until=query.get("to"))


@app.get(
    "/v1/openapi.json", summary="This document", tags=["meta"], responses={200: json_response("OpenAPI 3.1")}
)
def openapi_document() -> dict[str, Any]:
    caller()
    return document()


@cache
def document() -> dict[str, Any]:
    """The API's OpenAPI document, built once per execution environment."""
    return api_document(app, get_container().catalog)


def fold_greedy_model_path(event: dict[str, Any]) -> dict[str, Any]:
    """API Gateway hands ``/v1/models/{model+}`` over with the id's slashes as path
    separators; Powertools' segments hold no slash, so the id becomes one encoded segment."""
    model = (event.get("pathParameters") or {}).get("model")
    if event.get("resource") == "/v1/models/{model+}" and model:
        return {**event, "path": f"/v1/models/{quote(unquote(model), safe='')}"}
    return event


@app.get(
    "/v1/webhook-secret",
    summary="This API key's current signing secret (whsec_...), to verify its callbacks",
    tags=["webhooks"],
    responses={200: json_response('{"secret": "whsec_..."}')},
)
@tracer.capture_method(capture_response=False)
def read_webhook_secret() -> dict[str, Any]:
    return get_container().webhook_secrets.current(caller())


@app.post(
    "/v1/webhook-secret/rotate",
    summary="A new signing secret; the previous one keeps signing alongside it for 24 h",
    tags=["webhooks"],
    responses={200: json_response('{"secret": "whsec_..."}')},
)
@tracer.capture_method(capture_response=False)
def rotate_webhook_secret() -> dict[str, Any]:
    return get_container().webhook_secrets.rotate(caller())


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    get_container().idempotency.register_lambda_context(context)
    return app.resolve(fold_greedy_model_path(event), context)

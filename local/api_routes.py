"""What the API front knows about the API, read from ``template.yaml`` so a route added there
is served locally with no code change: every ``Type: Api`` event of every function (path,
method, the function it invokes and that function's timeout), and the API's
``GatewayResponses`` (the body API Gateway writes for errors it produces itself).

How API Gateway (REST) picks a route, and so how ``resolve`` does: the resource whose path
template matches, literal segments winning over ``{param}`` and ``{param}`` over
``{proxy+}``. A path no resource matches, and a known resource asked with a method it does
not declare, both answer 403 ``Missing Authentication Token``: API Gateway cannot tell an
unknown route from one the caller may not see, so it says the same thing for both.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from local.resources import template

API_GATEWAY_TIMEOUT_SECONDS = 29
# API Gateway's own errors: (status, default message) by gateway response type.
GATEWAY_ERRORS: dict[str, tuple[HTTPStatus, str]] = {
    "MISSING_AUTHENTICATION_TOKEN": (HTTPStatus.FORBIDDEN, "Missing Authentication Token"),
    "INVALID_API_KEY": (HTTPStatus.FORBIDDEN, "Forbidden"),
    "REQUEST_TOO_LARGE": (HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "Request Too Long"),
    "BAD_REQUEST_BODY": (HTTPStatus.BAD_REQUEST, "Bad request"),
    "INTEGRATION_FAILURE": (HTTPStatus.BAD_GATEWAY, "Internal server error"),
}


@dataclass(frozen=True)
class Route:
    resource: str  # the path template, as API Gateway names it: /v1/generations/{id}
    method: str  # GET, POST, ... or ANY
    function: str  # functions/<function>/app.py
    timeout_seconds: float
    pattern: re.Pattern[str]
    specificity: tuple[int, ...]


@dataclass(frozen=True)
class Resolved:
    route: Route
    path_parameters: dict[str, str] | None


def _compile(resource: str) -> tuple[re.Pattern[str], tuple[int, ...]]:
    parts, ranks = [], []
    for segment in resource.strip("/").split("/"):
        greedy = re.fullmatch(r"\{(\w+)\+\}", segment)
        param = re.fullmatch(r"\{(\w+)\}", segment)
        if greedy:
            parts.append(f"(?P<{greedy.group(1)}>.+)")
            ranks.append(0)
        elif param:
            parts.append(f"(?P<{param.group(1)}>[^/]+)")
            ranks.append(1)
        else:
            parts.append(re.escape(segment))
            ranks.append(2)
    return re.compile("^/" + "/".join(parts) + "$"), tuple(ranks)


def _function_name(properties: dict[str, Any]) -> str:
    """``functions/submit/`` -> ``submit``."""
    return str(properties["CodeUri"]).rstrip("/").rsplit("/", 1)[-1]


def routes_from_template(document: dict[str, Any] | None = None) -> list[Route]:
    document = template() if document is None else document
    default_timeout = document.get("Globals", {}).get("Function", {}).get("Timeout", 3)
    found = []
    for resource in document["Resources"].values():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        properties = resource["Properties"]
        timeout = min(float(properties.get("Timeout", default_timeout)), API_GATEWAY_TIMEOUT_SECONDS)
        for event in (properties.get("Events") or {}).values():
            if event.get("Type") != "Api":
                continue
            path, method = event["Properties"]["Path"], event["Properties"]["Method"].upper()
            pattern, specificity = _compile(path)
            found.append(Route(path, method, _function_name(properties), timeout, pattern, specificity))
    return found


def resolve(routes: list[Route], method: str, path: str) -> Resolved | None:
    """The route for this request, or None where API Gateway says Missing Authentication Token."""
    matching = [(route, match) for route in routes if (match := route.pattern.match(path))]
    if not matching:
        return None
    best = max(route.specificity for route, _ in matching)
    for route, match in matching:
        if route.specificity == best and route.method in (method, "ANY"):
            return Resolved(route, match.groupdict() or None)
    return None


def gateway_responses(document: dict[str, Any] | None = None) -> dict[str, Any]:
    """The ``GatewayResponses`` of the template's REST API (empty when it declares none)."""
    document = template() if document is None else document
    for resource in document["Resources"].values():
        if resource.get("Type") == "AWS::Serverless::Api":
            return dict(resource["Properties"].get("GatewayResponses") or {})
    return {}


def gateway_error(
    response_type: str, request_id: str, responses: dict[str, Any]
) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) of an error API Gateway produces itself: the template's
    response for this type, else for DEFAULT_4XX/5XX, else API Gateway's ``{"message"}``."""
    default_status, message = GATEWAY_ERRORS[response_type]
    family = "DEFAULT_5XX" if default_status >= 500 else "DEFAULT_4XX"
    configured = responses.get(response_type) or responses.get(family) or {}
    status = int(configured.get("StatusCode", default_status))
    headers = {
        name.removeprefix("gatewayresponse.header."): str(value).strip("'")
        for name, value in (configured.get("ResponseParameters") or {}).items()
    }
    body_template = (configured.get("ResponseTemplates") or {}).get("application/json")
    if body_template is None:
        return status, headers, json.dumps({"message": message}).encode()
    variables = {
        "$context.error.responseType": response_type,
        "$context.error.messageString": json.dumps(message),
        "$context.error.message": message,
        "$context.requestId": request_id,
    }
    body = re.sub(r"\$context\.[\w.]+", lambda m: variables.get(m.group(0), ""), body_template)
    return status, headers, body.encode()

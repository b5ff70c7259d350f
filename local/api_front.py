"""An HTTP front on loopback that plays API Gateway (REST, API key required).

For each request it does what API Gateway does, in its order: find the route among the
template's ``Type: Api`` events (none, or a method the resource does not declare: 403
Missing Authentication Token), check ``x-api-key`` the way a usage plan does (403
Forbidden), turn the request into the proxy event API Gateway sends, invoke the route's
function (``local.lambdas``: one event per execution environment) and write back its answer.
Errors it produces itself use the template's ``GatewayResponses``, and are JSON whatever the
method, even for requests ``http.server`` would answer with an HTML page.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any, cast
from urllib.parse import parse_qs, urlsplit

from local.api_routes import Route, gateway_error, gateway_responses, resolve, routes_from_template
from local.loopback import LoopbackHandler, LoopbackServer

MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit

# (function, event, timeout in seconds) -> the function's answer
Invoker = Callable[[str, dict[str, Any], float], dict[str, Any]]

_log = logging.getLogger(__name__)


def api_key_id(api_key: str) -> str:
    """A stable stand-in for API Gateway's key id; never the key itself."""
    return "local-" + hashlib.sha256(api_key.encode()).hexdigest()[:12]


def proxy_event(
    method: str,
    raw_path: str,
    *,
    headers: Mapping[str, str],
    body: bytes | None,
    api_key_id: str | None,
    resource: str,
    path_parameters: dict[str, str] | None,
    request_id: str,
    stage: str = "prod",
) -> dict[str, Any]:
    """The REST API proxy-integration event for one request."""
    parts = urlsplit(raw_path)
    query = parse_qs(parts.query, keep_blank_values=True)
    text_body = None
    is_base64 = False
    if body:
        try:
            text_body = body.decode()
        except UnicodeDecodeError:
            text_body, is_base64 = base64.b64encode(body).decode(), True
    return {
        "resource": resource,
        "path": parts.path,
        "httpMethod": method,
        "headers": dict(headers),
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "queryStringParameters": {k: v[-1] for k, v in query.items()} or None,
        "multiValueQueryStringParameters": query or None,
        "pathParameters": path_parameters,
        "stageVariables": None,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "resourceId": "local",
            "resourcePath": resource,
            "httpMethod": method,
            "path": f"/{stage}{parts.path}",
            "stage": stage,
            "protocol": "HTTP/1.1",
            "requestId": request_id,
            "requestTimeEpoch": int(time.time() * 1000),
            "identity": {
                "apiKey": None,
                "apiKeyId": api_key_id,
                "sourceIp": "127.0.0.1",
                "userAgent": headers.get("User-Agent") or headers.get("user-agent"),
            },
        },
        "body": text_body,
        "isBase64Encoded": is_base64,
    }


class ApiFront(LoopbackServer):
    name = "api-front"

    def __init__(
        self,
        invoke: Invoker,
        *,
        api_keys: list[str],
        host: str = "127.0.0.1",
        port: int = 0,
        routes: list[Route] | None = None,
        responses: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(_GatewayHandler, host=host, port=port)
        self.invoke = invoke
        self.keys = {key: api_key_id(key) for key in api_keys if key}
        self.routes = routes_from_template() if routes is None else routes
        self.responses = gateway_responses() if responses is None else responses


class _GatewayHandler(LoopbackHandler):
    def __getattr__(self, name: str) -> Any:
        # http.server looks up do_<METHOD> and answers an HTML 501 when it is missing; API
        # Gateway answers every method, so every method comes here.
        if name.startswith("do_"):
            return self._answer
        raise AttributeError(name)

    @property
    def front(self) -> ApiFront:
        return cast(ApiFront, self.server.owner)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Requests http.server refuses before routing (a malformed request line, huge
        headers) get JSON too."""
        self.close_connection = True
        # A request line http.server could not parse leaves it at HTTP/0.9, which has no
        # status line or headers; the answer is HTTP/1.1 like every other.
        self.request_version = self.protocol_version
        self._write(code, {}, json.dumps({"message": message or "Bad request"}).encode())

    def _answer(self) -> None:
        request_id = str(uuid.uuid4())
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self.close_connection = True  # the body stays unread
            self._gateway_error("REQUEST_TOO_LARGE", request_id)
            return
        body = self.rfile.read(length) if length else None
        path = urlsplit(self.path).path
        resolved = resolve(self.front.routes, self.command, path)
        if resolved is None:
            self._gateway_error("MISSING_AUTHENTICATION_TOKEN", request_id)
            return
        key_id = self.front.keys.get(self.headers.get("x-api-key", ""))
        if key_id is None:
            self._gateway_error("INVALID_API_KEY", request_id)
            return
        headers = {name: value for name, value in self.headers.items() if name.lower() != "x-api-key"}
        event = proxy_event(
            self.command,
            self.path,
            headers=headers,
            body=body,
            api_key_id=key_id,
            resource=resolved.route.resource,
            path_parameters=resolved.path_parameters,
            request_id=request_id,
        )
        try:
            answer = self.front.invoke(resolved.route.function, event, resolved.route.timeout_seconds)
            status = int(answer["statusCode"])
            payload = answer.get("body") or ""
            raw = base64.b64decode(payload) if answer.get("isBase64Encoded") else payload.encode()
        except Exception as exc:  # noqa: BLE001 - a failed invocation is API Gateway's 502, not a hang-up
            _log.warning("%s failed: %s", resolved.route.function, type(exc).__name__)
            self._gateway_error("INTEGRATION_FAILURE", request_id)
            return
        headers_out = dict(answer.get("headers") or {})
        for name, values in (answer.get("multiValueHeaders") or {}).items():
            headers_out[name] = ", ".join(values)
        self._write(status, headers_out, raw)

    def _gateway_error(self, response_type: str, request_id: str) -> None:
        status, headers, body = gateway_error(response_type, request_id, self.front.responses)
        self._write(status, headers, body)

    def _write(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        headers.setdefault("Content-Type", "application/json")
        for name, value in headers.items():
            if name.lower() not in ("content-length", "connection"):
                self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

"""An HTTP front on loopback that plays API Gateway (REST, API key required): it checks
``x-api-key`` the way a usage plan does, turns each request into the same proxy event
API Gateway sends, calls the submit handler and writes back its answer."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

# The API's resources, as template.yaml declares them.
RESOURCES = (
    ("/v1/generations", re.compile(r"^/v1/generations$")),
    ("/v1/generations/{id}", re.compile(r"^/v1/generations/(?P<id>[^/]+)$")),
    ("/v1/generations/{id}/redeliver", re.compile(r"^/v1/generations/(?P<id>[^/]+)/redeliver$")),
)
MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit

Handler = Callable[[dict[str, Any]], dict[str, Any]]


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
    stage: str = "prod",
) -> dict[str, Any]:
    """The REST API proxy-integration event for one request."""
    parts = urlsplit(raw_path)
    resource, path_parameters = parts.path, None
    for template, pattern in RESOURCES:
        match = pattern.match(parts.path)
        if match:
            resource, path_parameters = template, match.groupdict() or None
            break
    query = parse_qs(parts.query, keep_blank_values=True)
    text_body = None
    is_base64 = False
    if body:
        try:
            text_body = body.decode()
        except UnicodeDecodeError:
            text_body, is_base64 = base64.b64encode(body).decode(), True
    now = time.time()
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
            "requestId": str(uuid.uuid4()),
            "requestTimeEpoch": int(now * 1000),
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


class ApiFront:
    def __init__(
        self, handler: Handler, *, api_keys: list[str], host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self._handler = handler
        self._keys = {key: api_key_id(key) for key in api_keys if key}
        self._server = ThreadingHTTPServer((host, port), self._request_handler())
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> ApiFront:
        self._thread = threading.Thread(target=self._server.serve_forever, name="api-front", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _request_handler(self) -> type[BaseHTTPRequestHandler]:
        front = self

        class RequestHandler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return  # request lines would carry nothing a reader needs; the handler logs

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length > MAX_BODY_BYTES:
                    self._write(413, {"message": "Request Too Long"}, {})
                    return
                body = self.rfile.read(length) if length else None
                key_id = front._keys.get(self.headers.get("x-api-key", ""))
                if key_id is None:
                    # What API Gateway answers for a missing or unknown key on ApiKeyRequired.
                    self._write(403, {"message": "Forbidden"}, {})
                    return
                headers = {name: value for name, value in self.headers.items() if name.lower() != "x-api-key"}
                event = proxy_event(self.command, self.path, headers=headers, body=body, api_key_id=key_id)
                answer = front._handler(event)
                payload = answer.get("body") or ""
                raw = base64.b64decode(payload) if answer.get("isBase64Encoded") else payload.encode()
                headers_out = dict(answer.get("headers") or {})
                for name, values in (answer.get("multiValueHeaders") or {}).items():
                    headers_out[name] = ", ".join(values)
                self._write(int(answer.get("statusCode", 502)), raw, headers_out)

            def _write(self, status: int, body: bytes | dict[str, Any], headers: dict[str, str]) -> None:
                raw = json.dumps(body).encode() if isinstance(body, dict) else body
                self.send_response(status)
                headers.setdefault("Content-Type", "application/json")
                for name, value in headers.items():
                    if name.lower() not in ("content-length", "connection"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _answer

        return RequestHandler

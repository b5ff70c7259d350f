"""The local API front answers like API Gateway (REST, API key required), over real HTTP on
loopback, with a recording stand-in for the Lambda behind each route."""

from __future__ import annotations

import copy
import json
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from local.api_front import ApiFront, api_key_id
from local.api_routes import gateway_error, routes_from_template
from local.lambdas import FunctionPool
from local.resources import template

KEY = "front-test-key"


class RecordingFunctions:
    """Plays every function: records the event and answers with what it saw."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any], float]] = []
        self.fail_with: Exception | None = None

    def __call__(self, function: str, event: dict[str, Any], timeout: float) -> dict[str, Any]:
        self.calls.append((function, event, timeout))
        if self.fail_with is not None:
            raise self.fail_with
        seen = {
            "function": function,
            "resource": event["resource"],
            "pathParameters": event["pathParameters"],
            "body": event["body"],
            "apiKeyId": event["requestContext"]["identity"]["apiKeyId"],
        }
        return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": json.dumps(seen)}


@pytest.fixture
def functions() -> RecordingFunctions:
    return RecordingFunctions()


@pytest.fixture
def front(functions: RecordingFunctions) -> Iterator[ApiFront]:
    with ApiFront(functions, api_keys=[KEY]) as running:
        yield running


def api_events(document: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(method, path, function) for every Api event, read straight from the template."""
    found = []
    for resource in document["Resources"].values():
        for event in (resource.get("Properties", {}).get("Events") or {}).values():
            if event.get("Type") == "Api":
                function = resource["Properties"]["CodeUri"].strip("/").split("/")[-1]
                found.append((event["Properties"]["Method"].upper(), event["Properties"]["Path"], function))
    return found


def read_until_closed(raw: socket.socket) -> str:
    """The whole answer to a request after which the front closes the connection."""
    chunks = []
    while chunk := raw.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks).decode()


def concrete(path_template: str) -> str:
    return "/".join("abc123" if part.startswith("{") else part for part in path_template.split("/"))


def test_every_api_event_in_the_template_is_served_by_its_function(front, functions):
    events = api_events(template())
    assert events  # the template really declares routes

    for method, path, function in events:
        answer = requests.request(
            method, front.base_url + concrete(path), headers={"x-api-key": KEY}, timeout=5
        )

        assert answer.status_code == 200, (method, path, answer.text)
        seen = answer.json()
        assert (seen["function"], seen["resource"]) == (function, path)
        assert seen["apiKeyId"] == api_key_id(KEY)


def test_a_route_added_to_the_template_is_served_without_code_change(functions):
    document = copy.deepcopy(template())
    submit = document["Resources"]["SubmitFunction"]["Properties"]["Events"]
    submit["GetModel"] = {"Type": "Api", "Properties": {"Path": "/v1/models/{model_id}", "Method": "GET"}}
    submit["Openapi"] = {"Type": "Api", "Properties": {"Path": "/v1/models/openapi.json", "Method": "get"}}

    with ApiFront(functions, api_keys=[KEY], routes=routes_from_template(document)) as front:
        model = requests.get(f"{front.base_url}/v1/models/gen4_turbo", headers={"x-api-key": KEY}, timeout=5)
        literal = requests.get(
            f"{front.base_url}/v1/models/openapi.json", headers={"x-api-key": KEY}, timeout=5
        )

    assert model.json()["resource"] == "/v1/models/{model_id}"
    assert model.json()["pathParameters"] == {"model_id": "gen4_turbo"}
    # A literal segment wins over a {param}, as in API Gateway.
    assert literal.json()["resource"] == "/v1/models/openapi.json"
    assert literal.json()["pathParameters"] is None


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/nothing-here"),
        ("GET", "/"),
        ("DELETE", "/v1/generations/abc123"),  # a known resource, a method it does not declare
        ("OPTIONS", "/v1/generations"),
        ("BREW", "/v1/generations"),  # a method http.server has no do_ for
    ],
)
def test_unknown_routes_and_methods_are_a_json_403_missing_authentication_token(
    front, functions, method, path
):
    answer = requests.request(method, front.base_url + path, headers={"x-api-key": KEY}, timeout=5)

    assert answer.status_code == 403
    assert answer.headers["Content-Type"] == "application/json"
    assert "Missing Authentication Token" in answer.text
    assert answer.json()  # JSON, never http.server's HTML page
    assert functions.calls == []


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"GET /v1/generations HTTP/9.9\r\n\r\n", 505),
        (b"GET /v1/generations HTTP/1.1\r\n" + b"x-filler: 1\r\n" * 101 + b"\r\n", 431),
    ],
)
def test_a_malformed_request_is_answered_in_json_not_html(front, request_bytes, status):
    host, port = front.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as raw:
        raw.sendall(request_bytes)
        reply = read_until_closed(raw)

    head, _, body = reply.partition("\r\n\r\n")
    assert head.startswith(f"HTTP/1.1 {status}")
    assert "application/json" in head
    assert json.loads(body)["message"]


def test_a_missing_or_unknown_key_is_refused_before_any_function_runs(front, functions):
    missing = requests.post(f"{front.base_url}/v1/generations", json={}, timeout=5)
    unknown = requests.post(
        f"{front.base_url}/v1/generations", json={}, headers={"x-api-key": "x"}, timeout=5
    )

    assert missing.status_code == unknown.status_code == 403
    assert missing.json()["error"]["code"] == "INVALID_API_KEY"
    assert functions.calls == []


def test_a_function_that_raises_is_a_json_502(front, functions):
    functions.fail_with = RuntimeError("the handler broke")

    answer = requests.get(f"{front.base_url}/v1/generations/abc", headers={"x-api-key": KEY}, timeout=5)

    assert answer.status_code == 502
    assert answer.json()["error"]["message"] == "Internal server error"
    assert "the handler broke" not in answer.text


def test_an_oversized_body_is_a_json_413_and_never_reaches_the_function(front, functions):
    host, port = front.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as raw:
        raw.sendall(
            b"POST /v1/generations HTTP/1.1\r\nHost: x\r\nx-api-key: " + KEY.encode() + b"\r\n"
            b"Content-Length: 20000000\r\n\r\n"
        )
        reply = read_until_closed(raw)

    assert reply.startswith("HTTP/1.1 413")
    assert json.loads(reply.partition("\r\n\r\n")[2])["error"]["code"] == "REQUEST_TOO_LARGE"
    assert functions.calls == []


def test_gateway_errors_follow_the_template_or_api_gateways_default():
    status, _, templated = gateway_error(
        "MISSING_AUTHENTICATION_TOKEN",
        "req-1",
        {
            "DEFAULT_4XX": {
                "ResponseTemplates": {
                    "application/json": '{"code": "$context.error.responseType", '
                    '"message": $context.error.messageString}'
                }
            }
        },
    )
    default_status, _, default = gateway_error("MISSING_AUTHENTICATION_TOKEN", "req-1", {})

    assert status == default_status == 403
    assert json.loads(templated) == {
        "code": "MISSING_AUTHENTICATION_TOKEN",
        "message": "Missing Authentication Token",
    }
    assert json.loads(default) == {"message": "Missing Authentication Token"}


class CountingEnvironment:
    """An environment that notices when it is handed a second event while busy."""

    def __init__(self, function: str, serial: int) -> None:
        self.serial = serial
        self.invocations = 0
        self.alive = True
        self.overlapped = False
        self._busy = False

    def invoke(self, event: dict[str, Any], timeout_seconds: float) -> Any:
        self.overlapped |= self._busy
        self._busy = True
        self.invocations += 1
        time.sleep(0.01)
        self._busy = False
        return event["n"]

    def close(self) -> None:
        self.alive = False


def test_a_pool_hands_each_environment_one_event_at_a_time_and_loads_at_most_its_size():
    loaded: list[CountingEnvironment] = []
    lock = threading.Lock()

    def load(function: str, serial: int) -> CountingEnvironment:
        environment = CountingEnvironment(function, serial)
        with lock:
            loaded.append(environment)
        return environment

    pool = FunctionPool("submit", 3, load)

    def call(n: int) -> int:
        with pool.environment() as environment:
            return environment.invoke({"n": n}, 1)

    with ThreadPoolExecutor(24) as workers:
        answers = list(workers.map(call, range(200)))

    assert answers == list(range(200))
    assert 1 <= len(loaded) <= 3
    assert pool.loaded == len(loaded)
    assert not any(environment.overlapped for environment in loaded)
    assert sum(environment.invocations for environment in loaded) == 200

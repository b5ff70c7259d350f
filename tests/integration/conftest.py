"""Integration fixtures: AWS under moto built from template.yaml, the upstream simulator and a
webhook receiver on loopback, and the service's container wired to all of them."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local.lambdas import invoke
from local.receiver import WebhookReceiver
from local.resources import LocalResources, provision
from local.upstream_simulator import UpstreamSimulator
from tests.support import TEST_RETRY_DELAYS, UPSTREAM_KEY, WEBHOOK_SECRET, reconfigure
from videohook import wiring


@pytest.fixture
def aws() -> Iterator[LocalResources]:
    with mock_aws():
        yield provision(
            boto3.Session(),
            upstream_api_key=UPSTREAM_KEY,
            client_secrets={"client-a": WEBHOOK_SECRET},
        )


@pytest.fixture
def simulator() -> Iterator[UpstreamSimulator]:
    with UpstreamSimulator(api_key=UPSTREAM_KEY) as sim:
        yield sim


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as hooks:
        yield hooks


@pytest.fixture
def service(
    aws: LocalResources, simulator: UpstreamSimulator, monkeypatch: pytest.MonkeyPatch
) -> wiring.Container:
    """The container the handlers use, pointed at moto and the simulator, in local mode
    (loopback receivers allowed) with a DNS table for the example public hosts."""
    for name, value in aws.environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AIMLAPI_BASE_URL", simulator.base_url)
    monkeypatch.setenv("LOCAL_MODE", "true")
    monkeypatch.setenv("UPSTREAM_BACKOFF_BASE_SECONDS", "0.01")
    monkeypatch.setenv("POLL_PACING_SCALE", "0")
    monkeypatch.setenv("SUBMIT_GRACE_SECONDS", "0")
    monkeypatch.setenv("CALLBACK_RETRY_DELAYS", ",".join(map(str, TEST_RETRY_DELAYS)))
    return reconfigure(monkeypatch)


@pytest.fixture
def call_api(service: wiring.Container, load_event: Callable[[str], dict[str, Any]]) -> Callable[..., Any]:
    """Invoke the submit handler with an API Gateway event, optionally altered."""

    def call(
        event_name: str,
        *,
        body: dict[str, Any] | None = None,
        path: str | None = None,
        api_key_id: str | None = "client-a",
        headers: dict[str, str] | None = None,
        path_parameters: dict[str, str] | None = None,
        query: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        event = load_event(event_name)
        if body is not None:
            event["body"] = json.dumps(body)
        if path is not None:
            event["path"] = path
        if path_parameters is not None:
            event["pathParameters"] = path_parameters
        if query is not None:
            event["queryStringParameters"] = query
        event["requestContext"]["identity"]["apiKeyId"] = api_key_id
        if headers:
            event["headers"].update(headers)
        answer = invoke("submit", event)
        headers_out = {k: v[-1] for k, v in (answer.get("multiValueHeaders") or {}).items()}
        headers_out.update(answer.get("headers") or {})
        return answer["statusCode"], json.loads(answer["body"]), headers_out

    return call

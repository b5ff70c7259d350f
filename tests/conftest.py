"""Shared fixtures: the Lambda context, the ``events/*.json`` that ``sam local invoke -e``
uses, AWS under moto built from template.yaml, the upstream simulator and a webhook
receiver on loopback, and the service's container wired to all of them."""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local.lambdas import LambdaContext, invoke
from local.receiver import WebhookReceiver
from local.resources import LocalResources, provision
from local.upstream_simulator import UpstreamSimulator
from videohook import wiring
from videohook.callback_guard import CallbackUrlGuard

EVENTS = Path(__file__).resolve().parent.parent / "events"
UPSTREAM_KEY = "test-upstream-key-not-a-real-one"
WEBHOOK_SECRET = "whsec_dGVzdC13ZWJob29rLXNpZ25pbmctc2VjcmV0LTMyYg=="
# Zero delays: retries come straight back, so tests run the whole schedule quickly.
TEST_RETRY_DELAYS = (0, 0, 0)
# Names the tests use for public receivers; nothing here ever leaves loopback.
PUBLIC_DNS = {"hooks.example.com": ["93.184.215.14"], "images.example.com": ["93.184.215.15"]}


@pytest.fixture
def lambda_context() -> LambdaContext:
    return LambdaContext(function_name="videohook-test", timeout_seconds=60)


@pytest.fixture
def load_event() -> Callable[[str], dict[str, Any]]:
    def load(name: str) -> dict[str, Any]:
        return copy.deepcopy(json.loads((EVENTS / f"{name}.json").read_text()))

    return load


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test may reach a real AWS account or inherit a developer's configuration."""
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AIMLAPI_BASE_URL", "LOCAL_MODE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "videohook")
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "videohook")
    wiring.reset()
    yield
    wiring.reset()


def fake_resolver(table: dict[str, list[str]]) -> Callable[[str, int], list[str]]:
    def resolve(host: str, port: int) -> list[str]:
        if host in table:
            return table[host]
        if host in ("localhost", "127.0.0.1"):
            return ["127.0.0.1"]
        raise OSError(f"{host} does not resolve")

    return resolve


@pytest.fixture
def aws() -> Iterator[LocalResources]:
    with mock_aws():
        yield provision(
            boto3.Session(),
            upstream_api_key=UPSTREAM_KEY,
            webhook_secret=WEBHOOK_SECRET,
        )


@pytest.fixture
def simulator() -> Iterator[UpstreamSimulator]:
    with UpstreamSimulator(api_key=UPSTREAM_KEY) as sim:
        yield sim


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as hooks:
        yield hooks


class AtomicRequests:
    """A boto3 client whose requests run one at a time.

    DynamoDB applies each request, condition and write together, atomically. moto checks a
    condition and then writes, unlocked, so two threads can both pass one condition. Tests
    that race pollers in threads serialise moto's requests to get DynamoDB's guarantee back;
    the interleaving between requests stays as free as in AWS.
    """

    _lock = threading.Lock()

    def __init__(self, client: Any) -> None:
        self._client = client

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if not callable(attribute):
            return attribute

        def one_at_a_time(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                return attribute(*args, **kwargs)

        return one_at_a_time


def with_atomic_dynamodb(container: wiring.Container) -> wiring.Container:
    container.dynamodb = AtomicRequests(container.dynamodb)
    return container


def reconfigure(monkeypatch: pytest.MonkeyPatch, **environment: str) -> wiring.Container:
    """Change settings mid-test: a fresh container, as after a new deployment."""
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    wiring.reset()
    container = with_atomic_dynamodb(wiring.get_container())
    container.guard = CallbackUrlGuard(local_mode=True, resolver=fake_resolver(PUBLIC_DNS))
    return container


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
    monkeypatch.setenv("POLL_MIN_INTERVAL_SECONDS", "0")
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
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        event = load_event(event_name)
        if body is not None:
            event["body"] = json.dumps(body)
        if path is not None:
            event["path"] = path
        event["requestContext"]["identity"]["apiKeyId"] = api_key_id
        if headers:
            event["headers"].update(headers)
        answer = invoke("submit", event)
        headers_out = {k: v[-1] for k, v in (answer.get("multiValueHeaders") or {}).items()}
        headers_out.update(answer.get("headers") or {})
        return answer["statusCode"], json.loads(answer["body"]), headers_out

    return call

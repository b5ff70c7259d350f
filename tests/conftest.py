"""Fixtures every test may use: the Lambda context, the ``events/*.json`` that ``sam local
invoke -e`` uses, and an environment that can never reach a real AWS account."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from local.lambdas import LambdaContext
from videohook import wiring

EVENTS = Path(__file__).resolve().parent.parent / "events"


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

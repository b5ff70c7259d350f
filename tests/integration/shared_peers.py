"""Module-scoped peers for test modules that run the service many times over: one moto, one
simulator (at its shortest timing), one webhook receiver and one container. A module imports
these fixtures by name; they replace the per-test ones of ``conftest.py``."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from local.receiver import WebhookReceiver
from local.resources import LocalResources, provision
from local.upstream_simulator import UpstreamSimulator
from tests.support import TEST_RETRY_DELAYS, UPSTREAM_KEY, WEBHOOK_SECRET, service_container
from videohook import wiring
from videohook.settings import get_settings


@pytest.fixture(scope="module")
def aws() -> Iterator[LocalResources]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        with mock_aws():
            yield provision(
                boto3.Session(), upstream_api_key=UPSTREAM_KEY, client_secrets={"client-a": WEBHOOK_SECRET}
            )


@pytest.fixture(scope="module")
def simulator() -> Iterator[UpstreamSimulator]:
    # The shortest timing: a generation is done at its first retrieve.
    with UpstreamSimulator(api_key=UPSTREAM_KEY, polls_to_complete=1) as sim:
        yield sim


@pytest.fixture(scope="module")
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as hooks:
        yield hooks


@pytest.fixture(scope="module")
def shared_service(aws: LocalResources, simulator: UpstreamSimulator) -> Iterator[wiring.Container]:
    """The integration suite's service (see conftest) on this module's shared peers, built
    once: a container per test would spend most of the run creating boto3 clients."""
    environment = {
        **aws.environment(),
        "AIMLAPI_BASE_URL": simulator.base_url,
        "LOCAL_MODE": "true",
        "UPSTREAM_BACKOFF_BASE_SECONDS": "0.01",
        "POLL_PACING_SCALE": "0",
        "SUBMIT_GRACE_SECONDS": "0",
        "CALLBACK_RETRY_DELAYS": ",".join(map(str, TEST_RETRY_DELAYS)),
    }
    with pytest.MonkeyPatch.context() as patch:
        for name, value in environment.items():
            patch.setenv(name, value)
        wiring.reset()
        yield service_container(get_settings())


@pytest.fixture
def service(shared_service: wiring.Container, simulator: UpstreamSimulator) -> wiring.Container:
    simulator.polls_to_complete = 1
    return wiring.install(shared_service)

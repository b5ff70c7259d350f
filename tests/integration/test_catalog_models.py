"""Every model in the catalog goes through the service end to end: submitted with the minimal
request its schema allows, created on the path the catalog names, polled to completion
through the simulator, copied into S3 and announced by a verified callback. Then each way
the provider answers (a family on a route) ends a job as it should.

One moto and one simulator serve the whole module (``shared_peers``): provisioning AWS from
the template for each of 143 models would be most of the run."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from standardwebhooks.webhooks import Webhook

from local.receiver import WebhookReceiver
from local.resources import LocalResources
from local.simulator.contract import generation_route
from local.simulator.families import IdStyle, one_model_per_answer
from local.upstream_simulator import UpstreamSimulator, answer_shape
from tests.integration import shared_peers
from tests.integration.flows import job, notify, tick
from tests.support import WEBHOOK_SECRET
from videohook.catalog import Catalog
from videohook.catalog.examples import minimal_request

# pytest finds fixtures by name in the module: these replace conftest's per-test peers.
aws, simulator, receiver, shared_service, service = (
    shared_peers.aws,
    shared_peers.simulator,
    shared_peers.receiver,
    shared_peers.shared_service,
    shared_peers.service,
)
CATALOG = Catalog.load()
MODEL_IDS = [spec.id for spec in CATALOG.models()]
ANSWERS = one_model_per_answer(CATALOG)
MAX_TICKS = 4
# What the service makes of the provider's in-flight words.
JOB_STATUS_OF_WORD = {"waiting": "queued", "active": "generating", "generating": "generating"}
ID_FORMS = {
    IdStyle.UUID: re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}"),
    IdStyle.UUID_MODEL: re.compile(r"[0-9a-f-]{36}:(?P<model>.+)"),
    IdStyle.NUMERIC: re.compile(r"[0-9]{18}"),
    IdStyle.SORA: re.compile(r"video_[0-9a-f]{48}:(?P<model>openai/sora-2-.+)"),
    IdStyle.SHORT: re.compile(r"[A-Za-z0-9]{21}"),
}


def submit_model(
    call_api: Callable[..., Any], receiver: WebhookReceiver, model_id: str, **changes: Any
) -> str:
    spec = CATALOG.get(model_id)
    assert spec is not None
    body = {"model": model_id, **minimal_request(spec), **changes, "callback_url": receiver.url}
    status, answer, _ = call_api("submit_create_gen3a_turbo", body=body)
    assert status == 202, answer
    return str(answer["id"])


def run_to_the_end(call_api: Callable[..., Any], load_event: Any, job_id: str) -> list[dict[str, Any]]:
    """Tick the poller until the job is finished; the job as seen after each tick."""
    seen = []
    for _ in range(MAX_TICKS):
        tick(load_event)
        seen.append(job(call_api, job_id))
        if seen[-1]["status"] in ("completed", "failed"):
            return seen
    raise AssertionError(f"job {job_id} still {seen[-1]['status']} after {MAX_TICKS} ticks")


def delivered_callback(aws: LocalResources, receiver: WebhookReceiver, job_id: str) -> dict[str, Any]:
    """Run the notifier; the verified payload of the job's one callback."""
    notify(aws)
    mine = []
    for callback in receiver.received:
        headers = {name.lower(): value for name, value in callback.headers.items()}
        payload = Webhook(WEBHOOK_SECRET).verify(callback.body, headers)
        if payload["data"]["id"] == job_id:
            mine.append(payload)
    assert len(mine) == 1, mine
    return mine[0]


def stored_sha256(aws: LocalResources, key: str) -> str:
    stored = boto3.client("s3").get_object(Bucket=aws.bucket, Key=key)
    return hashlib.sha256(stored["Body"].read()).hexdigest()


@pytest.mark.parametrize("model_id", MODEL_IDS)
def test_every_catalog_model_ends_in_a_verified_callback(
    model_id: str, call_api, simulator: UpstreamSimulator, receiver: WebhookReceiver, aws, load_event
):
    spec = CATALOG.get(model_id)
    assert spec is not None
    calls_before = len(simulator.calls)

    job_id = submit_model(call_api, receiver, model_id)
    finished = run_to_the_end(call_api, load_event, job_id)[-1]
    payload = delivered_callback(aws, receiver, job_id)

    [create] = [call for call in simulator.calls[calls_before:] if call.kind == "create"]
    assert (create.path, create.json["model"]) == (spec.create_path, model_id)
    assert create.status in (200, 201)
    assert finished["status"] == "completed", finished
    assert finished["model"] == model_id
    assert payload["type"] == "generation.completed"
    served = simulator.video_bytes_for(finished["upstream"]["id"])
    assert finished["video"]["sha256"] == hashlib.sha256(served).hexdigest()
    assert stored_sha256(aws, finished["video"]["key"]) == finished["video"]["sha256"]


# -- each way of answering -------------------------------------------------------------------


def shape_of(model_id: str):
    spec = CATALOG.get(model_id)
    assert spec is not None
    route = generation_route(spec.create_path)
    return answer_shape(spec.family, None if route == "universal" else route)


def expected_usage(model_id: str) -> dict[str, float | int]:
    usage = shape_of(model_id).usage()["usage"]
    return {key: float(value) if key == "credits_used" else value for key, value in usage.items()}


@pytest.mark.parametrize("model_id", ANSWERS.values(), ids=ANSWERS.keys())
def test_each_answer_shape_completes_with_its_id_words_video_and_usage(
    model_id: str, call_api, simulator: UpstreamSimulator, receiver: WebhookReceiver, aws, load_event
):
    shape = shape_of(model_id)
    simulator.polls_to_complete = 3

    job_id = submit_model(call_api, receiver, model_id)
    seen = run_to_the_end(call_api, load_event, job_id)

    # In flight, the job shows the family's words; at the end, its word for done.
    assert [view["upstream"]["status"] for view in seen] == [
        shape.in_flight_status(1),
        shape.in_flight_status(2),
        shape.done,
    ]
    assert [view["status"] for view in seen] == [
        JOB_STATUS_OF_WORD[shape.in_flight_status(1)],
        JOB_STATUS_OF_WORD[shape.in_flight_status(2)],
        "completed",
    ]
    finished = seen[-1]
    upstream_id = finished["upstream"]["id"]
    form = ID_FORMS[shape.ids].fullmatch(upstream_id)
    assert form is not None, upstream_id
    if "model" in form.groupdict():
        assert form["model"] == model_id
    assert finished["usage"] == expected_usage(model_id)
    assert finished["video"]["sha256"] == hashlib.sha256(simulator.video_bytes_for(upstream_id)).hexdigest()
    assert delivered_callback(aws, receiver, job_id)["data"]["usage"] == expected_usage(model_id)


@pytest.mark.parametrize("model_id", ANSWERS.values(), ids=ANSWERS.keys())
def test_each_answer_shape_fails_with_the_providers_reason(
    model_id: str, call_api, simulator: UpstreamSimulator, receiver: WebhookReceiver, aws, load_event
):
    shape = shape_of(model_id)
    simulator.fail_next()

    job_id = submit_model(call_api, receiver, model_id)
    failed = run_to_the_end(call_api, load_event, job_id)[-1]

    assert failed["status"] == "failed"
    assert failed["upstream"]["status"] == shape.failed
    assert "Content moderation rejected the prompt" in failed["error"]["message"]
    assert failed["video"] is None
    payload = delivered_callback(aws, receiver, job_id)
    assert payload["type"] == "generation.failed"
    assert payload["data"]["error"] == failed["error"]

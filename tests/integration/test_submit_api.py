"""The submit function behind its API: real moto tables, the upstream simulator over HTTP."""

from __future__ import annotations

import json

import boto3
import pytest

from local.resources import LocalResources
from local.upstream_simulator import UpstreamSimulator
from videohook.adapters.pending_index import PENDING_INDEX, PENDING_PARTITION_PREFIX


def stored_jobs(aws: LocalResources) -> list[dict]:
    return boto3.client("dynamodb").scan(TableName=aws.jobs_table)["Items"]  # tests may scan


def test_gen3a_submit_creates_one_upstream_task_and_stores_a_pending_job(
    call_api, simulator, aws, load_event
):
    status, body, headers = call_api("submit_create_gen3a_turbo")

    assert status == 202
    assert body["status"] == "queued"
    assert body["id"].startswith("gen_")
    assert headers["Location"] == f"/v1/generations/{body['id']}"
    assert body["metadata"] == {"order_id": "ord_1234"}
    creates = [c for c in simulator.calls if c.kind == "create"]
    assert len(creates) == 1
    sent = json.loads(load_event("submit_create_gen3a_turbo")["body"])
    assert creates[0].json == {
        "model": "gen3a_turbo",
        "prompt": sent["prompt"],
        "image_url": sent["image_url"],
        "duration": 5,
        "ratio": "16:9",
        "seed": 42,
    }
    assert body["upstream"]["id"] in simulator.generations
    # The job waits in the sparse pending index, in one of its shards, where the poller looks.
    pending = boto3.client("dynamodb").scan(TableName=aws.jobs_table, IndexName=PENDING_INDEX)["Items"]
    assert [item["job_id"]["S"] for item in pending] == [body["id"]]
    assert pending[0]["pending_partition"]["S"].startswith(PENDING_PARTITION_PREFIX)


def test_gen4_is_sent_upstream_under_the_providers_model_id(call_api, simulator):
    status, body, _ = call_api("submit_create_gen4_turbo")

    assert status == 202
    assert body["model"] == "gen4_turbo"
    create = next(c for c in simulator.calls if c.kind == "create")
    assert create.json["model"] == "runway/gen4_turbo"
    assert create.json["ratio"] == "21:9"


def test_the_upstream_sees_the_bearer_key_from_secrets_manager(call_api, simulator):
    call_api("submit_create_gen3a_turbo")

    create = next(c for c in simulator.calls if c.kind == "create")
    assert create.headers["Authorization"] == "Bearer test-upstream-key-not-a-real-one"


def test_invalid_request_names_each_field_and_reaches_nothing(call_api, simulator, aws):
    status, body, _ = call_api("submit_create_invalid")

    assert status == 400
    assert body["error"]["code"] == "invalid_request"
    fields = {detail["field"] for detail in body["error"]["details"]}
    assert fields == {"prompt", "image_url", "duration", "ratio", "seed", "callback_url"}
    assert simulator.count("create") == 0
    assert stored_jobs(aws) == []


VALID = {
    "model": "gen3a_turbo",
    "image_url": "https://images.example.com/first.png",
    "callback_url": "https://hooks.example.com/videohook",
}


@pytest.mark.parametrize(
    ("change", "field", "reason_part"),
    [
        ({"model": "gen5_turbo"}, "model", "not a model in the catalog"),
        ({"model": None}, "model", "required"),
        ({"prompt": "p" * 1001}, "prompt", "at most 1000"),
        ({"image_url": "http://images.example.com/a.png"}, "image_url", "https"),
        ({"image_url": "data:text/plain;base64,AAAA"}, "image_url", "image data"),
        ({"duration": 6}, "duration", "one of 5, 10"),
        ({"duration": "5"}, "duration", "integer"),
        ({"seed": -1}, "seed", "at least 0"),
        ({"seed": 4_294_967_296}, "seed", "at most 4294967295"),
        ({"seed": 1.5}, "seed", "integer"),
        ({"ratio": "4:3"}, "ratio", 'one of "16:9", "9:16"'),
        ({"model": "gen4_turbo", "ratio": "5:4"}, "ratio", "21:9"),
        (
            {"model": "gen4_turbo", "last_image_url": "https://images.example.com/b.png"},
            "last_image_url",
            "not a field",
        ),
        ({"callback_url": "ftp://hooks.example.com/x"}, "callback_url", "https"),
        ({"callback_url": "https://user:pw@hooks.example.com/x"}, "callback_url", "credentials"),
        ({"callback_url": "https://10.0.0.8/hook"}, "callback_url", "private"),
        ({"callback_url": "https://169.254.169.254/latest/meta-data"}, "callback_url", "link-local"),
        ({"callback_url": "https://unknown-host.invalid/hook"}, "callback_url", "does not resolve"),
        ({"callback_url": "http://hooks.example.com/hook"}, "callback_url", "loopback"),
        ({"metadata": {"blob": "x" * 3000}}, "metadata", "2048 bytes"),
        ({"metadata": ["not", "an", "object"]}, "metadata", "JSON object"),
        ({"colour": "blue"}, "colour", "not a field"),
    ],
)
def test_each_bad_field_is_a_400_naming_it(call_api, simulator, aws, change, field, reason_part):
    body = {**VALID, **change}
    body = {key: value for key, value in body.items() if value is not None}

    status, answer, _ = call_api("submit_create_gen3a_turbo", body=body)

    assert status == 400, answer
    details = answer["error"]["details"]
    assert {d["field"] for d in details} == {field}
    assert reason_part in details[0]["reason"]
    assert simulator.count("create") == 0
    assert stored_jobs(aws) == []


@pytest.mark.parametrize("raw", ["", "not json", "[1, 2]"])
def test_a_body_that_is_not_a_json_object_is_a_400(call_api, load_event, raw, simulator):
    event = load_event("submit_create_gen3a_turbo")
    event["body"] = raw
    from local.lambdas import invoke

    event["requestContext"]["identity"]["apiKeyId"] = "client-a"
    answer = invoke("submit", event)

    assert answer["statusCode"] == 400
    assert json.loads(answer["body"])["error"]["code"] == "invalid_request"
    assert simulator.count("create") == 0


def test_a_request_without_an_api_key_identity_is_401(call_api, simulator):
    status, body, _ = call_api("submit_create_gen3a_turbo", api_key_id=None)

    assert status == 401
    assert body["error"]["code"] == "unauthenticated"
    assert simulator.count("create") == 0


@pytest.mark.parametrize(
    ("upstream_status", "api_status", "code"),
    [
        (400, 422, "upstream_rejected"),
        (401, 502, "upstream_auth_failed"),
        (403, 503, "upstream_out_of_credits"),
    ],
)
def test_final_upstream_refusals_reject_the_job_and_store_nothing(
    call_api, simulator: UpstreamSimulator, aws, upstream_status, api_status, code
):
    simulator.inject("create", upstream_status)

    status, body, _ = call_api("submit_create_gen3a_turbo")

    assert status == api_status
    assert body["error"]["code"] == code
    assert simulator.count("create") == 1  # final: never retried
    assert stored_jobs(aws) == []


def test_out_of_credits_says_so(call_api, simulator):
    simulator.inject("create", 403)

    _, body, _ = call_api("submit_create_gen3a_turbo")

    assert "out of credits" in body["error"]["message"]


def test_the_upstream_key_never_appears_in_an_error(call_api, simulator):
    simulator.inject("create", 401)

    _, body, _ = call_api("submit_create_gen3a_turbo")

    assert "test-upstream-key" not in json.dumps(body)


def test_get_returns_the_callers_job(call_api):
    _, created, _ = call_api("submit_create_gen3a_turbo")

    status, job, _ = call_api("submit_get_generation", path=f"/v1/generations/{created['id']}")

    assert status == 200
    assert job["id"] == created["id"]
    assert job["status"] == "queued"
    assert job["video"] is None
    assert job["callback"] == {
        "url": "https://hooks.example.com/videohook",
        "events": ["generation.completed", "generation.failed"],
        "status": None,
        "attempts": [],
        "attempts_omitted": 0,
    }


def test_another_clients_job_is_reported_as_missing(call_api):
    _, created, _ = call_api("submit_create_gen3a_turbo", api_key_id="client-a")

    status, body, _ = call_api(
        "submit_get_generation", path=f"/v1/generations/{created['id']}", api_key_id="client-b"
    )

    assert status == 404
    assert body["error"]["code"] == "not_found"


def test_an_unknown_job_is_404(call_api):
    status, body, _ = call_api("submit_get_generation")

    assert status == 404
    assert body["error"]["code"] == "not_found"


def test_an_unknown_route_is_a_404_in_the_error_format(call_api):
    status, body, _ = call_api("submit_get_generation", path="/v1/nothing-here")

    assert status == 404
    assert body["error"]["code"] == "not_found"

"""Invariant 1: a submit is charged upstream at most once per idempotency key."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest

from local.lambdas import invoke
from tests.integration.faults import CrashAt, SimulatedCrash, inject
from tests.integration.flows import job, queued_messages, tick
from tests.support import reconfigure

KEY = "5f0c6d1e-order-1234"


def submit_event(load_event, key: str | None, *, owner: str = "client-a", **changes) -> dict:
    event = load_event("submit_create_gen3a_turbo")
    if changes:
        event["body"] = json.dumps({**json.loads(event["body"]), **changes})
    if key is not None:
        event["headers"]["Idempotency-Key"] = key
    event["requestContext"]["identity"]["apiKeyId"] = owner
    return event


def answer(event: dict, timeout_seconds: float = 29) -> tuple[int, dict]:
    result = invoke("submit", event, timeout_seconds=timeout_seconds)
    return result["statusCode"], json.loads(result["body"])


def stored(aws) -> list[dict]:
    return boto3.client("dynamodb").scan(TableName=aws.jobs_table)["Items"]  # tests may scan


def test_a_repeat_returns_the_first_answer_and_creates_nothing(service, load_event, simulator, aws):
    first = answer(submit_event(load_event, KEY))

    again = answer(submit_event(load_event, KEY))

    assert first[0] == again[0] == 202
    assert again[1] == first[1]
    assert simulator.count("create") == 1
    assert len(stored(aws)) == 1


def test_the_same_key_with_a_different_body_is_a_422(service, load_event, simulator):
    answer(submit_event(load_event, KEY))

    status, body = answer(submit_event(load_event, KEY, prompt="something else entirely"))

    assert status == 422
    assert body["error"]["code"] == "idempotency_key_reused"
    assert simulator.count("create") == 1


def test_a_key_reused_with_a_new_body_after_its_record_expired_makes_a_new_job(
    service, load_event, simulator, aws
):
    _, first = answer(submit_event(load_event, KEY))
    # The 24 h idempotency record has expired (moto has no clock: it is removed, as TTL would).
    dynamodb = boto3.client("dynamodb")
    for item in dynamodb.scan(TableName=aws.idempotency_table)["Items"]:
        dynamodb.delete_item(TableName=aws.idempotency_table, Key={"id": item["id"]})

    status, second = answer(submit_event(load_event, KEY, prompt="something else entirely"))

    assert status == 202
    assert second["id"] != first["id"]
    assert second["input"]["prompt"] == "something else entirely"
    assert simulator.count("create") == 2


def test_keys_belong_to_one_client(service, load_event, simulator):
    mine = answer(submit_event(load_event, KEY, owner="client-a"))
    theirs = answer(submit_event(load_event, KEY, owner="client-b"))

    assert mine[0] == theirs[0] == 202
    assert mine[1]["id"] != theirs[1]["id"]
    assert simulator.count("create") == 2


def test_concurrent_identical_submits_create_one_generation(service, load_event, simulator, aws):
    simulator.create_latency_seconds = 0.5  # the first is still running when the others arrive

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: answer(submit_event(load_event, KEY)), range(4)))

    assert [status for status, _ in results] == [202] * 4
    assert len({body["id"] for _, body in results}) == 1
    assert simulator.count("create") == 1
    assert len(stored(aws)) == 1


def test_keys_are_kept_for_24_hours(service, load_event, aws):
    before = time.time()
    answer(submit_event(load_event, KEY))

    [record] = boto3.client("dynamodb").scan(TableName=aws.idempotency_table)["Items"]

    assert before + 86_400 - 5 <= int(record["expiration"]["N"]) <= time.time() + 86_400 + 5


@pytest.mark.parametrize("bad", ["", "x" * 256, "has space", "ünïcode"])
def test_a_malformed_key_is_a_400(service, load_event, simulator, bad):
    status, body = answer(submit_event(load_event, bad))

    assert status == 400
    assert body["error"]["details"][0]["field"] == "Idempotency-Key"
    assert simulator.count("create") == 0


def test_a_crash_after_the_upstream_create_never_pays_twice_and_still_ends_the_job(
    service, call_api, load_event, simulator, aws
):
    # Given a submit that dies after the provider accepted (and charged) the generation,
    # before the upstream id was recorded
    inject(service, "jobs", CrashAt(service.jobs, "mark_submitted"))
    with pytest.raises(SimulatedCrash):
        answer(submit_event(load_event, KEY), timeout_seconds=0.3)
    assert simulator.count("create") == 1
    time.sleep(0.4)  # the dead function's deadline passes; its in-progress record lapses

    # When the client retries with the same key
    status, body = answer(submit_event(load_event, KEY))

    # Then nothing is sent upstream again, and the client is told why
    assert status == 409
    assert body["error"]["code"] == "submission_interrupted"
    assert simulator.count("create") == 1
    # And the job is not lost: the next poller run fails it and queues its callback
    job_id = body["error"]["details"][0]["id"]
    tick(load_event)
    assert job(call_api, job_id)["status"] == "failed"
    assert [m.event_type for m in queued_messages(aws)] == ["generation.failed"]


def test_without_a_key_a_crash_after_the_create_still_ends_in_a_failed_job(
    service, call_api, load_event, simulator, aws
):
    inject(service, "jobs", CrashAt(service.jobs, "mark_submitted"))
    with pytest.raises(SimulatedCrash):
        answer(submit_event(load_event, None))
    [item] = stored(aws)
    assert item["status"]["S"] == "submitting"

    tick(load_event)

    finished = job(call_api, item["job_id"]["S"])
    assert finished["status"] == "failed"
    assert finished["error"]["code"] == "submit_interrupted"
    assert [m.event_type for m in queued_messages(aws)] == ["generation.failed"]


def test_transient_create_errors_are_retried_inside_the_request(service, load_event, simulator):
    simulator.inject("create", 503, count=1)
    simulator.inject("create", 429, count=1, retry_after=0)

    status, _ = answer(submit_event(load_event, None))

    assert status == 202
    assert simulator.count("create") == 3


@pytest.mark.parametrize("storm", [429, 500, 502, 503])
def test_a_storm_of_transient_errors_is_a_503_with_no_job_left_behind(
    service, load_event, simulator, aws, storm
):
    simulator.inject("create", storm, count=10)

    status, body = answer(submit_event(load_event, None))

    assert status == 503
    assert body["error"]["code"] == "upstream_unavailable"
    assert simulator.count("create") == 3  # UPSTREAM_MAX_ATTEMPTS
    assert stored(aws) == []


def test_a_create_that_times_out_is_never_repeated_and_its_job_ends_failed(
    service, call_api, load_event, simulator, aws, monkeypatch
):
    reconfigure(monkeypatch, UPSTREAM_TIMEOUT_SECONDS="0.3")
    simulator.inject("create", 201, count=1, delay=1.0)

    status, body = answer(submit_event(load_event, None))

    assert status == 504
    assert body["error"]["code"] == "upstream_timeout"
    assert simulator.count("create") == 1  # possibly charged: never sent again
    job_id = body["error"]["details"][0]["id"]
    tick(load_event)
    finished = job(call_api, job_id)
    assert finished["status"] == "failed"
    assert finished["error"]["code"] == "submit_interrupted"


@pytest.mark.parametrize(("status", "code"), [(400, "upstream_rejected"), (403, "upstream_out_of_credits")])
def test_a_refused_create_leaves_no_job_and_frees_the_key(service, load_event, simulator, aws, status, code):
    simulator.inject("create", status, count=1)

    refused = answer(submit_event(load_event, KEY))
    retried = answer(submit_event(load_event, KEY))

    assert refused[1]["error"]["code"] == code
    assert retried[0] == 202  # nothing was paid, so the same key may try again
    assert [item["status"]["S"] for item in stored(aws)] == ["queued"]

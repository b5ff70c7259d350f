"""Discovering models, the usage report and the OpenAPI document, through the submit
handler with the same events ``sam local invoke`` uses."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from tests.integration.flows import submit, tick
from videohook.catalog import Catalog
from videohook.models.clock import iso


def test_every_catalog_model_is_listed_with_its_family_endpoint_and_required_fields(call_api, service):
    status, body, _ = call_api("submit_list_models")

    assert status == 200
    catalog = Catalog.load()
    listed = {model["id"]: model for model in body["models"]}
    assert sorted(listed) == sorted(spec.id for spec in catalog.models())
    gen4 = listed["runway/gen4_turbo"]
    assert gen4["aliases"] == ["gen4_turbo"]
    assert gen4["family"] == "runway"
    assert gen4["endpoint"]["create"] == "POST /v2/generate/video/runway/generation"
    assert gen4["required"] == ["image_url"]


@pytest.mark.parametrize(
    "spelling", ["kling-video/v1.6/pro/image-to-video", "kling-video%2Fv1.6%2Fpro%2Fimage-to-video"]
)
def test_one_model_answers_with_the_json_schema_of_its_parameters(call_api, service, spelling):
    # API Gateway's greedy {model+} hands the id over with its slashes.
    status, body, _ = call_api(
        "submit_get_model", path=f"/v1/models/{spelling}", path_parameters={"model": spelling}
    )

    assert status == 200, body
    spec = Catalog.load().get("kling-video/v1.6/pro/image-to-video")
    assert spec is not None
    assert body["id"] == spec.id
    assert body["parameters"] == spec.parameters
    assert body["parameters"]["additionalProperties"] is False


def test_an_alias_finds_its_model_and_an_unknown_id_is_a_404(call_api, service):
    status, body, _ = call_api(
        "submit_get_model", path="/v1/models/gen4_turbo", path_parameters={"model": "gen4_turbo"}
    )
    assert (status, body["id"]) == (200, "runway/gen4_turbo")

    status, body, _ = call_api(
        "submit_get_model", path="/v1/models/acme/nope", path_parameters={"model": "acme/nope"}
    )
    assert status == 404
    assert body["error"]["code"] == "model_not_found"


def test_model_discovery_needs_an_api_key(call_api, service):
    status, body, _ = call_api("submit_list_models", api_key_id=None)

    assert status == 401
    assert body["error"]["code"] == "unauthenticated"


def test_usage_counts_the_callers_jobs_by_status_and_model_and_sums_credits(
    call_api, load_event, service, simulator
):
    job_ids = [submit(call_api, prompt="one"), submit(call_api, prompt="two", model="gen4_turbo")]
    tick(load_event)
    tick(load_event)

    status, body, _ = call_api("submit_get_usage", query={})

    assert status == 200, body
    assert body["jobs"] == 2
    assert sum(body["by_status"].values()) == 2
    assert set(body["by_model"]) == {"gen3a_turbo", "gen4_turbo"}
    usages = [
        call_api("submit_get_generation", path=f"/v1/generations/{i}")[1]["usage"] or {} for i in job_ids
    ]
    assert body["tokens_used"] == sum(usage.get("tokens_used", 0) for usage in usages)
    assert body["tokens_used"] > 0  # the legacy Runway path reports tokens_used
    assert body["credits_used"] == sum(usage.get("credits_used", 0) for usage in usages)
    assert body["tokens_used"] == sum(row["tokens_used"] for row in body["by_model"].values())


def test_usage_is_per_api_key_and_per_time_range(call_api, load_event, service, aws):
    submit(call_api, prompt="mine")
    status, theirs, _ = call_api("submit_get_usage", query={}, api_key_id="client-b")
    assert (status, theirs["jobs"]) == (200, 0)

    past = datetime.now(UTC) - timedelta(days=60)
    status, old, _ = call_api(
        "submit_get_usage", query={"from": iso(past - timedelta(days=1)), "to": iso(past)}
    )
    assert (status, old["jobs"]) == (200, 0)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": "yesterday"}, "from"),
        ({"to": "2026-13-40T00:00:00Z"}, "to"),
        ({"from": "2026-11-01T00:00:00"}, "from"),
        ({"from": "2026-11-02T00:00:00Z", "to": "2026-11-01T00:00:00Z"}, "from"),
        ({"from": "2020-01-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}, "from"),
    ],
)
def test_a_bad_usage_range_is_a_400_naming_the_field(call_api, service, query, field):
    status, body, _ = call_api("submit_get_usage", query=query)

    assert status == 400
    assert [detail["field"] for detail in body["error"]["details"]] == [field]


def test_the_served_openapi_document_is_the_committed_one(call_api, service):
    status, body, _ = call_api("submit_get_openapi")

    assert status == 200
    with open("docs/openapi.json") as committed:
        assert body == json.load(committed)


def test_usage_reads_the_owner_index_not_the_table(call_api, service, aws):
    """The index projects only what a report reads: big job items never slow it down."""
    table = boto3.client("dynamodb").describe_table(TableName=aws.jobs_table)["Table"]
    [index] = [i for i in table["GlobalSecondaryIndexes"] if i["IndexName"] == "ByOwnerCreated"]
    assert index["Projection"]["ProjectionType"] == "INCLUDE"
    assert set(index["Projection"]["NonKeyAttributes"]) == {"status", "model", "usage"}

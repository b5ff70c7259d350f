"""Property: whatever model a client names and however it gets one parameter wrong, the
submit API answers 400 naming that field, and nothing reaches the provider or the table.

Each example takes a random catalog model's minimal valid request and breaks it in one of
the ways a schema forbids (wrong type, out of enum, out of range, unknown field, missing
required field, http URL, wrong kind of data URI, too long a string, too many items)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import boto3
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from local.lambdas import invoke
from local.resources import LocalResources
from local.upstream_simulator import UpstreamSimulator
from tests.integration import shared_peers
from videohook import wiring
from videohook.catalog import Catalog, ModelSpec
from videohook.catalog.examples import example_value, media_data_uri, minimal_request

# pytest finds fixtures by name in the module: these replace conftest's per-test peers.
aws, simulator, shared_service = shared_peers.aws, shared_peers.simulator, shared_peers.shared_service
CATALOG = Catalog.load()
MODELS = CATALOG.models()
CALLBACK_URL = "https://hooks.example.com/videohook"
MEDIA_KINDS = ("image", "video", "audio")
# One value of each JSON type, and the schema types it satisfies (integers are numbers too).
TYPED_VALUES: list[tuple[Any, set[str]]] = [
    ("text", {"string"}),
    (7, {"integer", "number"}),
    (1.5, {"number"}),
    (True, {"boolean"}),
    (["x"], {"array"}),
    ({"x": 1}, {"object"}),
]

Params = dict[str, Any]
Mutation = Callable[[Params], None]


def _set(name: str, value: Any) -> Mutation:
    return lambda params: params.__setitem__(name, value)


def _out_of_enum(values: list[Any]) -> Any:
    if all(isinstance(value, str) for value in values):
        return "none-of-the-above"
    return max(value for value in values if isinstance(value, int | float)) + 1000


def mutations(spec: ModelSpec) -> list[tuple[str, str, Mutation]]:
    """Every (kind, field, change) that makes the model's minimal request invalid."""
    found: list[tuple[str, str, Mutation]] = [("unknown field", "no_such_field", _set("no_such_field", 1))]
    for name in spec.parameters.get("required", []):
        found.append(("missing required", name, lambda params, name=name: params.pop(name)))
    properties: Mapping[str, Any] = spec.parameters.get("properties", {})
    for name, schema in properties.items():
        kind = schema.get("type")
        if kind is not None:
            allowed = {kind} if isinstance(kind, str) else set(kind)
            wrong = next(value for value, types in TYPED_VALUES if not types & allowed)
            found.append(("wrong type", name, _set(name, wrong)))
        if "enum" in schema:
            found.append(("out of enum", name, _set(name, _out_of_enum(schema["enum"]))))
        if "maximum" in schema:
            found.append(("out of range", name, _set(name, schema["maximum"] + 1)))
        if "minimum" in schema:
            found.append(("out of range", name, _set(name, schema["minimum"] - 1)))
        if "x-media" in schema:
            kinds = schema["x-media"]
            found.append(("http URL", name, _set(name, f"http://media.example.com/{name}.png")))
            others = [other for other in MEDIA_KINDS if other not in kinds]
            if others:
                found.append(("wrong-kind data URI", name, _set(name, media_data_uri(others[0]))))
        if "maxLength" in schema:
            found.append(("too long", name, _set(name, "x" * (schema["maxLength"] + 1))))
        if "maxItems" in schema:
            item = example_value(schema.get("items", {}))
            found.append(("too many items", name, _set(name, [item] * (schema["maxItems"] + 1))))
    return found


@st.composite
def broken_requests(draw: st.DrawFn) -> tuple[str, str, str, Params]:
    spec = draw(st.sampled_from(MODELS))
    kind, field, mutate = draw(st.sampled_from(mutations(spec)))
    params = minimal_request(spec)
    mutate(params)
    return spec.id, kind, field, params


def stored_jobs(resources: LocalResources) -> int:
    return int(boto3.client("dynamodb").scan(TableName=resources.jobs_table, Select="COUNT")["Count"])


def submit(body: dict[str, Any], load_event: Callable[[str], dict[str, Any]]) -> tuple[int, Any]:
    event = load_event("submit_create_gen3a_turbo")
    event["body"] = json.dumps(body)
    event["requestContext"]["identity"]["apiKeyId"] = "client-a"
    answer = invoke("submit", event)
    return answer["statusCode"], json.loads(answer["body"])


# The peers are shared by every example on purpose: none of them may create or store anything.
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=broken_requests())
def test_an_invalid_parameter_is_a_400_naming_it_and_nothing_is_sent_or_stored(
    case: tuple[str, str, str, Params],
    shared_service: wiring.Container,
    simulator: UpstreamSimulator,
    aws: LocalResources,
    load_event: Callable[[str], dict[str, Any]],
):
    model_id, kind, field, params = case
    wiring.install(shared_service)

    status, answer = submit({"model": model_id, **params, "callback_url": CALLBACK_URL}, load_event)

    assert status == 400, (kind, answer)
    named = {detail["field"] for detail in answer["error"]["details"]}
    assert any(name == field or name.startswith(f"{field}.") for name in named), (kind, field, named)
    assert simulator.count("create") == 0
    assert stored_jobs(aws) == 0

"""Property: whatever model, whatever field, a value that breaks that field's schema is
refused, and the refusal names that field (or a part of it)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from videohook.catalog import Catalog, ModelSpec
from videohook.catalog.examples import example_value, minimal_request
from videohook.catalog.media import MEDIA_KEYWORD

CATALOG = Catalog.load()
Path = tuple[str, ...]

# One value of each JSON type; `json_type` says which types of a schema each would satisfy.
SAMPLES: dict[str, Any] = {
    "boolean": True,
    "integer": 12345,
    "number": 1.5,
    "string": "12345",
    "array": [],
    "object": {},
    "null": None,
}
SATISFIES = {"integer": {"integer", "number"}}


def fields(schema: Mapping[str, Any], parent: Path = ()) -> Iterator[tuple[Path, Mapping[str, Any]]]:
    """Every property, and the properties of object-valued properties, with its schema."""
    for name, sub in schema.get("properties", {}).items():
        yield (*parent, name), sub
        if "properties" in sub:
            yield from fields(sub, (*parent, name))


def breakers(schema: Mapping[str, Any]) -> list[Callable[[], Any]]:
    """Ways to make a value this schema refuses."""
    ways: list[Callable[[], Any]] = []
    declared = schema.get("type")
    if declared is not None:
        allowed = {declared} if isinstance(declared, str) else set(declared)
        for kind, sample in SAMPLES.items():
            if not SATISFIES.get(kind, {kind}) & allowed:
                ways.append(lambda sample=sample: sample)
    if "enum" in schema:
        ways.append(lambda: "not-one-of-them" if isinstance(schema["enum"][0], str) else 987654321)
    if "minimum" in schema:
        ways.append(lambda: schema["minimum"] - 1)
    if "maximum" in schema:
        ways.append(lambda: schema["maximum"] + 1)
    if "maxLength" in schema:
        ways.append(lambda: "x" * (schema["maxLength"] + 1))
    if "maxItems" in schema:
        ways.append(lambda: [example_value(schema["items"])] * (schema["maxItems"] + 1))
    if MEDIA_KEYWORD in schema:
        ways.append(lambda: "http://media.example.com/plain-http")
        ways.append(lambda: "data:text/plain;base64,AAAA")
    return ways


def place(spec: ModelSpec, path: Path, value: Any) -> dict[str, Any]:
    """The minimal request with ``value`` at ``path``, its enclosing objects built valid."""
    params = minimal_request(spec)
    holder, schema = params, spec.parameters
    for name in path[:-1]:
        schema = schema["properties"][name]
        holder[name] = dict(holder.get(name) or example_value(schema))
        holder = holder[name]
    holder[path[-1]] = value
    return params


BREAKABLE = [
    (spec, path, schema)
    for spec in CATALOG.models()
    for path, schema in fields(spec.parameters)
    if breakers(schema)
]


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_a_broken_field_is_always_named(data: st.DataObject) -> None:
    spec, path, schema = data.draw(st.sampled_from(BREAKABLE), label="field")
    value = data.draw(st.sampled_from(breakers(schema)), label="breaker")()
    found = CATALOG.validate(spec.id, place(spec, path, value))
    dotted = ".".join(path)
    assert any(problem.field == dotted or problem.field.startswith(dotted + ".") for problem in found), (
        spec.id,
        dotted,
        value,
        found,
    )


@settings(max_examples=200, deadline=None)
@given(
    spec=st.sampled_from(CATALOG.models()),
    name=st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=20),
)
def test_an_unknown_field_is_always_named(spec: ModelSpec, name: str) -> None:
    if name in spec.parameters["properties"]:
        name += "_unknown"
    found = CATALOG.validate(spec.id, {**minimal_request(spec), name: "anything"})
    assert found == [type(found[0])(name, f"is not a field of model {spec.id}")]


@settings(max_examples=200, deadline=None)
@given(spec=st.sampled_from(CATALOG.models()), data=st.data())
def test_leaving_out_a_required_field_is_always_named(spec: ModelSpec, data: st.DataObject) -> None:
    required = spec.parameters.get("required", [])
    if not required:
        return
    missing = data.draw(st.sampled_from(required))
    params = {k: v for k, v in minimal_request(spec).items() if k != missing}
    assert [(problem.field, problem.reason) for problem in CATALOG.validate(spec.id, params)] == [
        (missing, "is required")
    ]


def test_every_way_to_break_every_field_is_named_without_an_error():
    """The exhaustive form of the property above (8,000-odd cases): a schema the build left
    malformed (OpenAPI's boolean ``required`` on a property once was) fails here, whichever
    model it hides in, instead of once in a while."""
    missed = []
    for spec, path, schema in BREAKABLE:
        for breaker in breakers(schema):
            found = CATALOG.validate(spec.id, place(spec, path, breaker()))
            dotted = ".".join(path)
            if not any(p.field == dotted or p.field.startswith(dotted + ".") for p in found):
                missed.append((spec.id, dotted))
    assert missed == []


def test_no_schema_in_the_catalog_keeps_openapis_boolean_required():
    def booleans(schema: Any) -> int:
        if isinstance(schema, dict):
            own = isinstance(schema.get("required"), bool)
            return own + sum(booleans(value) for value in schema.values())
        if isinstance(schema, list):
            return sum(booleans(value) for value in schema)
        return 0

    assert sum(booleans(spec.parameters) for spec in CATALOG.models()) == 0

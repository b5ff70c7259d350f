"""Requests derived from a model's schema alone, for tests, the upstream simulator and demos:
``minimal_request(spec)`` fills exactly the required fields with values the schema accepts
(first enum value, the lower end of a range, an https URL or data URI of the right kind)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from videohook.catalog.media import MEDIA_KEYWORD, MediaKind
from videohook.catalog.spec import ModelSpec

EXAMPLE_UUID = "7f0c8b1e-3a52-4c1d-9e6a-2b4f5d8c9a10"
EXAMPLE_PROMPT = "A lighthouse on a cliff at dawn, waves below"
_EXTENSIONS = {MediaKind.IMAGE: "png", MediaKind.VIDEO: "mp4", MediaKind.AUDIO: "mp3"}
_DATA_TYPES = {MediaKind.IMAGE: "image/png", MediaKind.VIDEO: "video/mp4", MediaKind.AUDIO: "audio/mpeg"}


def media_url(kind: str, name: str = "example") -> str:
    return f"https://media.example.com/{name}.{_EXTENSIONS[MediaKind(kind)]}"


def media_data_uri(kind: str) -> str:
    return f"data:{_DATA_TYPES[MediaKind(kind)]};base64,AAAAIGZ0eXBpc29t"


def minimal_request(spec: ModelSpec, *, data_uris: bool = False) -> dict[str, Any]:
    """The model's parameters with only its required fields, each set to a valid value; with
    ``data_uris``, media fields carry ``data:`` URIs instead of https URLs."""
    return example_value(spec.parameters, data_uris=data_uris)


def example_value(schema: Mapping[str, Any], *, data_uris: bool = False) -> Any:
    """One value ``schema`` accepts, as small as the schema allows."""
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    for combinator in ("anyOf", "oneOf"):
        if combinator in schema:
            branches = [branch for branch in schema[combinator] if branch.get("type") != "null"]
            return example_value(branches[0], data_uris=data_uris)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next(name for name in kind if name != "null")
    if kind == "object":
        properties = schema.get("properties", {})
        return {
            name: example_value(properties[name], data_uris=data_uris) for name in schema.get("required", [])
        }
    if kind == "array":
        count = min(max(schema.get("minItems", 0), 1), schema.get("maxItems", 1))
        return [example_value(schema.get("items", {}), data_uris=data_uris) for _ in range(count)]
    if kind == "string":
        return _example_string(schema, data_uris=data_uris)
    if kind in ("integer", "number"):
        return _example_number(schema, integer=kind == "integer")
    if kind == "boolean":
        return False
    if kind == "null":
        return None
    raise ValueError(f"no example for a schema of type {kind!r}")


def _example_string(schema: Mapping[str, Any], *, data_uris: bool) -> str:
    if MEDIA_KEYWORD in schema:
        kind = schema[MEDIA_KEYWORD][0]
        return media_data_uri(kind) if data_uris else media_url(kind)
    if schema.get("format") == "uuid":
        return EXAMPLE_UUID
    text = EXAMPLE_PROMPT[: schema.get("maxLength", len(EXAMPLE_PROMPT))]
    return text.ljust(schema.get("minLength", 0), ".")


def _example_number(schema: Mapping[str, Any], *, integer: bool) -> int | float:
    if "minimum" in schema:
        low = schema["minimum"]
    elif "exclusiveMinimum" in schema:
        low = schema["exclusiveMinimum"] + 1
    else:
        low = min(0, schema.get("maximum", 0))
    return int(low) if integer else low

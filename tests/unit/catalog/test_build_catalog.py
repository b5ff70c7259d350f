"""The regeneration script on small hand-made sources: each rule it applies, and --check."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ops import build_catalog
from ops.build_catalog import CatalogSourceError, build, render

UNIVERSAL = "/v2/video/generations"


def route(
    model: str, properties: dict[str, Any], *, path: str = UNIVERSAL, name: str = "a.json"
) -> dict[str, Any]:
    request = {
        "type": "object",
        "title": model,
        "properties": {"model": {"type": "string", "enum": [model]}, **properties},
        "required": ["model", *properties][:2],
    }
    return {"method": "POST", "path": path, "schema_file": name, "request": request}


def one(model: str, *routes: dict[str, Any]) -> dict[str, Any]:
    return build({"models": {model: list(routes)}})["models"][model]


def test_nullable_becomes_a_null_type_and_nested_objects_refuse_unknown_fields() -> None:
    entry = one(
        "luma/ray-9",
        route(
            "luma/ray-9",
            {
                "prompt": {"type": "string"},
                "shots": {"type": "array", "nullable": True, "items": {"type": "string"}},
                "frame": {
                    "anyOf": [
                        {"type": "object", "properties": {"id": {"type": "string"}}},
                        {"nullable": True},
                    ]
                },
            },
        ),
    )
    properties = entry["parameters"]["properties"]
    assert properties["shots"]["type"] == ["array", "null"]
    assert properties["frame"]["anyOf"][1] == {"type": "null"}
    assert properties["frame"]["anyOf"][0]["additionalProperties"] is False
    assert entry["parameters"]["additionalProperties"] is False
    assert entry["parameters"]["required"] == ["prompt"]
    assert "model" not in properties


def test_url_fields_are_tagged_with_their_media_kind() -> None:
    properties = one(
        "acme/v1",
        route(
            "acme/v1",
            {
                "image_url": {"type": "string"},
                "audio_urls": {"type": "array", "items": {"type": "string", "format": "uri"}},
                "clip": {
                    "type": "object",
                    "properties": {"type": {"type": "string", "enum": ["video"]}, "url": {"type": "string"}},
                },
            },
        ),
    )["parameters"]["properties"]
    assert properties["image_url"]["x-media"] == ["image"]
    assert properties["audio_urls"]["items"]["x-media"] == ["audio"]
    assert properties["clip"]["properties"]["url"]["x-media"] == ["video"]


def test_a_url_field_of_unknown_media_stops_the_build() -> None:
    with pytest.raises(CatalogSourceError, match="thing_url"):
        one("acme/v1", route("acme/v1", {"thing_url": {"type": "string", "format": "uri"}}))


def test_the_universal_route_wins_and_the_per_vendor_path_is_recorded() -> None:
    legacy = "/v2/generate/video/kling/generation"
    entry = one(
        "kling-video/v9",
        route("kling-video/v9", {"prompt": {"type": "string"}, "ratio": {"type": "string"}}, path=legacy),
        route("kling-video/v9", {"prompt": {"type": "string"}}, name="b.json"),
        route("kling-video/v9", {"prompt": {"type": "string"}, "seed": {"type": "integer"}}, name="c.json"),
    )
    assert (entry["create_path"], entry["retrieve_path"], entry["legacy_path"]) == (
        UNIVERSAL,
        UNIVERSAL,
        legacy,
    )
    # Two universal pages for one model: the richer is the base, and nothing of either is lost.
    assert sorted(entry["parameters"]["properties"]) == ["prompt", "seed"]
    assert entry["family"] == "kling"


def test_a_schema_that_does_not_name_its_model_stops_the_build() -> None:
    with pytest.raises(CatalogSourceError, match="does not name"):
        one("acme/v1", route("acme/v2", {"prompt": {"type": "string"}}))


def test_long_descriptions_are_cut() -> None:
    text = "First sentence. " + "More words " * 40
    entry = one("acme/v1", route("acme/v1", {"prompt": {"type": "string", "description": text}}))
    assert entry["parameters"]["properties"]["prompt"]["description"] == "First sentence."


def test_rendering_is_stable() -> None:
    source = {"models": {"acme/v1": [route("acme/v1", {"prompt": {"type": "string"}})]}}
    assert render(build(source)) == render(build(json.loads(json.dumps(source))))
    assert render(build(source)).endswith("}\n")


def test_check_fails_on_a_stale_catalog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = tmp_path / "video-models.json"
    source.write_text(json.dumps({"models": {"acme/v1": [route("acme/v1", {"prompt": {"type": "string"}})]}}))
    catalog = tmp_path / "models.json"
    monkeypatch.setattr(build_catalog, "CATALOG_FILE", catalog)
    monkeypatch.setattr(build_catalog, "REPO", tmp_path)

    assert build_catalog.main(["--check", "--source", str(source)]) == 1  # no catalog yet
    assert build_catalog.main(["--source", str(source)]) == 0
    assert build_catalog.main(["--check", "--source", str(source)]) == 0
    catalog.write_text(catalog.read_text().replace("acme/v1", "acme/v0"))
    assert build_catalog.main(["--check", "--source", str(source)]) == 1

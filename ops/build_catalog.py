"""Regenerate the model catalog (``layers/common/videohook/catalog/models.json``) from the
provider's schemas (``video-models.json``), so a model the provider adds is a data change.

    python -m ops.build_catalog                 # rewrite the catalog from ../shared/provider
    python -m ops.build_catalog --check         # exit 1 if the committed catalog is stale
    python -m ops.build_catalog --source PATH   # another copy of video-models.json

The output is deterministic (sorted keys, fixed indentation): re-running changes nothing.
What the provider's schemas cannot say lives in the tables below: each model's family and
pacing, aliases clients already send, the two Runway models pinned to today's legacy contract,
and the media kind of URL fields whose name does not tell it.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, cast

from videohook.catalog import spec
from videohook.catalog.media import MEDIA_KEYWORD, MediaKind

REPO = Path(__file__).resolve().parent.parent
CATALOG_FILE = REPO / "layers" / "common" / "videohook" / "catalog" / "models.json"
SOURCE_IN_SHARED = Path("shared") / "provider" / "video-models.json"
FORMAT_VERSION = 1
REGENERATE = "python -m ops.build_catalog"

UNIVERSAL_PATH = "/v2/video/generations"
LEGACY_PREFIX = "/v2/generate/video/"
RUNWAY_LEGACY_PATH = "/v2/generate/video/runway/generation"

# Id prefix (or, for ids without one, the schema file's folder) -> family.
FAMILY_BY_PREFIX = {
    "kling-video": "kling",
    "klingai": "kling",
    "kling-ai": "kling",
    "wan": "alibaba",
    "alibaba-cloud": "alibaba",
    "runway-gen3": "runway",
    "veo2": "google",
    "x-ai": "xai",
    "sber-ai": "sber",
    "luma-ai": "luma",
}

# Pacing per family; the poller checks first after `first_check_delay_seconds`, then every
# `min`..`max` seconds, and gives a job up after `max_age_seconds`.


def _timing(max_age: int, first_check: int, min_interval: int, max_interval: int) -> dict[str, Any]:
    return {
        "max_age_seconds": max_age,
        "first_check_delay_seconds": first_check,
        "check_interval_seconds": {"min": min_interval, "max": max_interval},
    }


DEFAULT_TIMING = _timing(
    spec.DEFAULT_TIMING.max_age_seconds,
    spec.DEFAULT_TIMING.first_check_delay_seconds,
    spec.DEFAULT_TIMING.min_check_interval_seconds,
    spec.DEFAULT_TIMING.max_check_interval_seconds,
)
FAMILY_TIMING = {
    "minimax": _timing(900, 60, 30, 120),  # Hailuo-02 takes 4-5 minutes for 6 s of video
    "openai": _timing(600, 30, 15, 30),  # Sora 2: 50-60 s for 4 s at 720p
    "runway": _timing(1800, 30, 15, 60),  # gen4_turbo: about 65 s
}
TIMING_OVERRIDES: dict[str, dict[str, Any]] = {
    # Nothing comes back from Hailuo-02 in under 4 minutes: checking earlier is wasted calls.
    "minimax/hailuo-02": {"first_check_delay_seconds": 120},
}

ALIASES = {"runway/gen4_turbo": ["gen4_turbo"]}


def _runway_legacy_parameters(ratios: list[str], *, last_frame: bool) -> dict[str, Any]:
    """The body today's clients send to the legacy Runway path (the seed page)."""
    frame = "An https URL or data URI of an image"
    properties: dict[str, Any] = {
        "prompt": {"type": "string", "maxLength": 1000, "description": "The scene to generate."},
        "image_url": {"type": "string", "format": "uri", "description": f"{frame}: the first frame."},
        "duration": {"type": "integer", "enum": [5, 10], "description": "Length in seconds."},
        "ratio": {"type": "string", "enum": ratios, "description": "Aspect ratio of the video."},
        "seed": {"type": "integer", "minimum": 0, "maximum": 4294967295, "description": "Random seed."},
    }
    if last_frame:
        last = {"type": "string", "format": "uri", "description": f"{frame}: the last frame."}
        properties["last_image_url"] = last
    return {"type": "object", "properties": properties, "required": ["image_url"]}


GEN4_RATIOS = ["16:9", "9:16", "4:3", "3:4", "1:1", "21:9"]
# Clients send these two to the legacy path with `ratio` and `last_image_url` today, while the
# catalog's universal schemas name `aspect_ratio` and `tail_image_url`: keep today's contract.
PINNED = {
    "gen3a_turbo": {
        "path": RUNWAY_LEGACY_PATH,
        "parameters": _runway_legacy_parameters(["16:9", "9:16"], last_frame=True),
    },
    "runway/gen4_turbo": {
        "path": RUNWAY_LEGACY_PATH,
        "parameters": _runway_legacy_parameters(GEN4_RATIOS, last_frame=False),
    },
}

MEDIA_KINDS = tuple(MediaKind)
# URL fields whose name does not say what they carry.
MEDIA_BY_FIELD = {"alpha_url": ["image", "video"]}  # "a mask video ..., a mask image ..."
# Kling's motion-brush masks are image URLs, though their schema types them as plain strings.
URL_FIELDS_WITHOUT_FORMAT = {"mask"}
URL_NAME = re.compile(r"(^|_)urls?$")
MAX_DESCRIPTION_CHARS = 160


class CatalogSourceError(ValueError):
    """The provider's file says something this script cannot turn into a catalog entry."""


def find_source() -> Path:
    """``shared/provider/video-models.json`` beside the repository or one of its parents
    (CI clones have ``../shared``; worktrees sit a level deeper)."""
    for folder in REPO.parents:
        candidate = folder / SOURCE_IN_SHARED
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"no {SOURCE_IN_SHARED} beside {REPO} or its parents; pass --source")


def family_of(model_id: str, schema_file: str) -> str:
    prefix = (model_id if "/" in model_id else schema_file).split("/", maxsplit=1)[0].lower()
    return FAMILY_BY_PREFIX.get(prefix, prefix)


def short(description: str) -> str:
    text = " ".join(description.split())
    sentence_end = text.find(". ")
    if 0 < sentence_end < MAX_DESCRIPTION_CHARS:
        return text[: sentence_end + 1]
    return text if len(text) <= MAX_DESCRIPTION_CHARS else text[: MAX_DESCRIPTION_CHARS - 3].rstrip() + "..."


def media_kinds(name: str, siblings: Mapping[str, Any]) -> list[str]:
    """What a URL field may point at, from its name or, for a bare ``url``, its object's ``type``."""
    if name in MEDIA_BY_FIELD:
        return MEDIA_BY_FIELD[name]
    if name == "url":
        tags = siblings.get("type", {}).get("enum", [])
        if len(tags) == 1 and tags[0] in MEDIA_KINDS:
            return [tags[0]]
    for kind in ("audio", "video"):
        if kind in name:
            return [kind]
    if any(word in name for word in ("image", "frame", "mask")):
        return ["image"]
    raise CatalogSourceError(f"cannot tell what the URL field {name!r} carries; add it to MEDIA_BY_FIELD")


def is_url_field(name: str, schema: Mapping[str, Any]) -> bool:
    return schema.get("type") == "string" and (
        schema.get("format") == "uri" or bool(URL_NAME.search(name)) or name in URL_FIELDS_WITHOUT_FORMAT
    )


def normalise(
    schema: Mapping[str, Any], name: str = "", siblings: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The provider's OpenAPI-flavoured schema as strict JSON Schema 2020-12: unknown fields
    refused, `nullable` spelt as a type, URL fields tagged with their media kinds, short text."""
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "title":
            continue
        if key == "description":
            out[key] = short(value)
        elif key == "properties":
            out[key] = {prop: normalise(sub, prop, value) for prop, sub in value.items()}
            # OpenAPI 2 spells "required" on the property itself (a boolean); JSON Schema
            # lists required names on the object, and a boolean there breaks validators.
            marked = [prop for prop, sub in value.items() if sub.get("required") is True]
            listed = list(schema.get("required", [])) if isinstance(schema.get("required"), list) else []
            if marked:
                out["required"] = listed + [prop for prop in marked if prop not in listed]
        elif key == "items":
            out[key] = normalise(value, name, siblings)
        elif key in ("anyOf", "oneOf", "allOf"):
            out[key] = [normalise(branch, name, siblings) for branch in value]
        elif key == "required" and not isinstance(value, list):
            continue  # the boolean form, moved onto the enclosing object above
        elif key == "required" and "required" in out:
            continue  # already merged with the properties' own marks
        else:
            out[key] = value
    if out.pop("nullable", False):
        kind = out.get("type")
        out["type"] = [kind, "null"] if isinstance(kind, str) else "null"
    if "properties" in out:
        out.setdefault("additionalProperties", False)
    if is_url_field(name, out):
        out[MEDIA_KEYWORD] = media_kinds(name, siblings or {})
    return out


def parameters_of(request: Mapping[str, Any]) -> dict[str, Any]:
    """The create body's schema without ``model`` (the catalog entry names it)."""
    schema = {key: value for key, value in request.items() if key not in ("title", "required")}
    schema["properties"] = {k: v for k, v in request["properties"].items() if k != "model"}
    schema["required"] = [field for field in request.get("required", []) if field != "model"]
    return normalise(schema)


def pick_schema(routes: list[Mapping[str, Any]]) -> dict[str, Any]:
    """One create schema per model. Where the docs give several pages for one route, the richest
    (then the first by file name) is the base and fields only the others document join it."""
    ranked = sorted(routes, key=lambda route: (-len(route["request"]["properties"]), route["schema_file"]))
    merged = json.loads(json.dumps(ranked[0]["request"]))
    for route in ranked[1:]:
        for prop, sub in route["request"]["properties"].items():
            merged["properties"].setdefault(prop, sub)
    return merged


def entry(model_id: str, routes: list[Mapping[str, Any]]) -> dict[str, Any]:
    for route in routes:
        enum = route["request"]["properties"]["model"].get("enum", [])
        if model_id not in enum:
            raise CatalogSourceError(f"{route['schema_file']} does not name {model_id!r} in its model enum")
    universal = [route for route in routes if route["path"] == UNIVERSAL_PATH]
    legacy = sorted({route["path"] for route in routes if route["path"].startswith(LEGACY_PREFIX)})
    if len(legacy) > 1:
        raise CatalogSourceError(f"{model_id} has several per-vendor paths: {legacy}")
    legacy_path = legacy[0] if legacy else None
    chosen = universal or [route for route in routes if route["path"] == legacy_path]
    if not chosen:
        raise CatalogSourceError(f"{model_id} has neither the universal nor a per-vendor route")
    create_path = UNIVERSAL_PATH if universal else legacy_path
    parameters = parameters_of(pick_schema(chosen))
    if model_id in PINNED:
        pinned = PINNED[model_id]
        create_path = legacy_path = pinned["path"]
        parameters = normalise(cast(Mapping[str, Any], pinned["parameters"]))
    family = family_of(model_id, routes[0]["schema_file"])
    timing = json.loads(json.dumps(FAMILY_TIMING.get(family, DEFAULT_TIMING)))
    timing.update(TIMING_OVERRIDES.get(model_id, {}))
    return {
        "id": model_id,
        "family": family,
        "create_path": create_path,
        "retrieve_path": create_path,
        "legacy_path": legacy_path,
        "parameters": parameters,
        "timing": timing,
        "aliases": sorted(ALIASES.get(model_id, [])),
        "source_schemas": sorted({route["schema_file"] for route in routes}),
    }


def build(source: Mapping[str, Any]) -> dict[str, Any]:
    models = {model_id: entry(model_id, routes) for model_id, routes in source["models"].items()}
    _check_aliases(models.values())
    return {"format": FORMAT_VERSION, "models": models}


def _check_aliases(entries: Iterable[Mapping[str, Any]]) -> None:
    names = [entry["id"] for entry in entries]
    names += [alias for entry in entries for alias in entry["aliases"]]
    clashes = sorted({name for name in names if names.count(name) > 1})
    if clashes:
        raise CatalogSourceError(f"aliases clash with model ids or each other: {clashes}")


def render(catalog: Mapping[str, Any]) -> str:
    return json.dumps(catalog, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def rendered_from(source_path: Path) -> str:
    return render(build(json.loads(source_path.read_text(encoding="utf-8"))))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--source", type=Path, help="the provider's video-models.json (default: ../shared/provider)"
    )
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed catalog is stale")
    args = parser.parse_args(argv)
    text = rendered_from(args.source or find_source())
    if args.check:
        current = CATALOG_FILE.read_text(encoding="utf-8") if CATALOG_FILE.exists() else ""
        if current != text:
            print(f"{CATALOG_FILE.relative_to(REPO)} is stale: run {REGENERATE}", file=sys.stderr)
            return 1
        print(f"{CATALOG_FILE.relative_to(REPO)} is up to date")
        return 0
    CATALOG_FILE.write_text(text, encoding="utf-8")
    print(f"wrote {CATALOG_FILE.relative_to(REPO)} ({len(json.loads(text)['models'])} models)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

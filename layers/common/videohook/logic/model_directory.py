"""What a client can ask for: every model of the catalog, with its parameters' schema."""

from __future__ import annotations

from typing import Any

from videohook.catalog import Catalog, ModelSpec
from videohook.errors import ModelNotFound


class ModelDirectory:
    def __init__(self, *, catalog: Catalog) -> None:
        self._catalog = catalog

    def list(self) -> dict[str, Any]:
        return {"models": [_summary(spec) for spec in self._catalog.models()]}

    def describe(self, model: str) -> dict[str, Any]:
        spec = self._catalog.get(model)
        if spec is None:
            raise ModelNotFound(f"No model {model!r}: GET /v1/models lists them all")
        return {**_summary(spec), "parameters": spec.parameters}


def _summary(spec: ModelSpec) -> dict[str, Any]:
    return {
        "id": spec.id,
        "aliases": list(spec.aliases),
        "family": spec.family,
        "endpoint": {"create": f"POST {spec.create_path}", "retrieve": f"GET {spec.retrieve_path}"},
        "required": list(spec.parameters.get("required", [])),
        "timing": {
            "first_check_delay_seconds": spec.timing.first_check_delay_seconds,
            "max_age_seconds": spec.timing.max_age_seconds,
        },
        "href": f"/v1/models/{spec.id}",
    }

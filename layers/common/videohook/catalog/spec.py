"""The catalog: every model the provider serves, read once per process from ``models.json``."""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jsonschema.protocols import Validator

CATALOG_FILE = Path(__file__).with_name("models.json")
FORMAT_VERSION = 1


@dataclass(frozen=True, order=True)
class FieldProblem:
    field: str  # dotted path into the parameters: "keyframes.frame0.url", "image_list.1"
    reason: str  # the schema's rule in words: "must be one of 5, 10"


@dataclass(frozen=True)
class Timing:
    """How the poller paces one model's jobs: first check, then every min..max seconds, and
    the age at which a job that never finished is failed."""

    max_age_seconds: int
    first_check_delay_seconds: int
    min_check_interval_seconds: int
    max_check_interval_seconds: int


# Pacing for a family the catalog script has no figures for (and for jobs whose model has
# since left the catalog).
DEFAULT_TIMING = Timing(
    max_age_seconds=1800,
    first_check_delay_seconds=15,
    min_check_interval_seconds=15,
    max_check_interval_seconds=120,
)


@dataclass(frozen=True)
class ModelSpec:
    id: str  # the provider's id, sent upstream as `model`
    family: str  # the vendor: runway, kling, google, minimax, ...
    create_path: str  # POST here ...
    retrieve_path: str  # ... and GET here with ?generation_id=
    legacy_path: str | None  # the per-vendor path, where the provider documents one
    parameters: Mapping[str, Any] = field(repr=False)  # JSON Schema of everything but `model`; read-only
    timing: Timing
    aliases: tuple[str, ...] = ()  # other names clients may send for this model

    def request_body(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """The provider's create body for parameters that passed ``Catalog.validate``."""
        return {"model": self.id, **params}


def _spec(raw: Mapping[str, Any]) -> ModelSpec:
    timing = raw["timing"]
    return ModelSpec(
        id=raw["id"],
        family=raw["family"],
        create_path=raw["create_path"],
        retrieve_path=raw["retrieve_path"],
        legacy_path=raw["legacy_path"],
        parameters=raw["parameters"],
        timing=Timing(
            max_age_seconds=timing["max_age_seconds"],
            first_check_delay_seconds=timing["first_check_delay_seconds"],
            min_check_interval_seconds=timing["check_interval_seconds"]["min"],
            max_check_interval_seconds=timing["check_interval_seconds"]["max"],
        ),
        aliases=tuple(raw["aliases"]),
    )


class Catalog:
    def __init__(self, specs: Mapping[str, ModelSpec]) -> None:
        self._specs = dict(specs)
        self._by_name = {alias: spec for spec in specs.values() for alias in spec.aliases}
        self._by_name.update(self._specs)
        self._validators: dict[str, Validator] = {}
        self._compiling = threading.Lock()

    @classmethod
    def load(cls, path: Path | None = None) -> Catalog:
        """The catalog in ``path`` (default: the packaged ``models.json``), parsed once per
        process; schemas are compiled later, each on its model's first validation."""
        return _load(path or CATALOG_FILE)

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Catalog:
        if data.get("format") != FORMAT_VERSION:
            raise ValueError(f"catalog format {data.get('format')!r}, expected {FORMAT_VERSION}")
        return cls({model_id: _spec(raw) for model_id, raw in data["models"].items()})

    @property
    def default_timing(self) -> Timing:
        return DEFAULT_TIMING

    def get(self, model_or_alias: str) -> ModelSpec | None:
        return self._by_name.get(model_or_alias)

    def models(self) -> list[ModelSpec]:
        return [self._specs[model_id] for model_id in sorted(self._specs)]

    def validate(self, model_or_alias: str, params: Mapping[str, Any]) -> list[FieldProblem]:
        """Every problem with ``params``: the model's own parameters, without ``model`` and
        without the service's fields (``callback_url``, ``callback_events``, ``metadata``).
        An empty list means the provider's schema accepts them."""
        from videohook.catalog.validation import problems

        spec = self.get(model_or_alias)
        if spec is None:
            return [FieldProblem("model", "is not a model in the catalog")]
        return problems(self._validator(spec), params, spec.id)

    def _validator(self, spec: ModelSpec) -> Validator:
        validator = self._validators.get(spec.id)
        if validator is None:
            from videohook.catalog.validation import compile_validator

            with self._compiling:
                validator = self._validators.get(spec.id) or compile_validator(spec.parameters)
                self._validators[spec.id] = validator
        return validator


@cache
def _load(path: Path) -> Catalog:
    with path.open(encoding="utf-8") as source:
        return Catalog.from_data(json.load(source))

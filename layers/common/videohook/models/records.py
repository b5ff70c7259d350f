"""Records: the dataclasses the service stores and queues, read from and written to the
JSON-shaped dicts of DynamoDB items and queue messages.

Standard-library dataclasses rather than pydantic models: every function builds these in its
first event, and importing pydantic alone costs a cold start 40-60 ms (docs/performance.md,
"Cold start"). What is read here was written by the service itself, so reading checks that
each field is present and of its declared kind (and turns DynamoDB's Decimals into numbers),
not business rules; a client's request is validated where it enters (``models.requests``).
"""

from __future__ import annotations

import dataclasses
import json
import math
import types
import typing
from collections.abc import Callable, Mapping
from decimal import Decimal
from enum import Enum
from typing import Any, Self, TypeVar

R = TypeVar("R", bound="Record")
Reader = Callable[[Any], Any]


class RecordError(ValueError):
    """A stored item or queue message that does not hold the record it should."""


class Record:
    """Base of the service's records: ``from_dict``/``to_dict`` and their JSON forms."""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """The record ``data`` holds; unknown keys are ignored, as older code wrote them."""
        if not isinstance(data, Mapping):
            raise RecordError(f"{cls.__name__}: expected an object, got {type(data).__name__}")
        values: dict[str, Any] = {}
        for name, read, required in _readers(cls):
            value = data.get(name)
            if value is None:
                if required:
                    raise RecordError(f"{cls.__name__}.{name}: required")
                continue
            try:
                values[name] = read(value)
            except RecordError as exc:
                raise RecordError(f"{cls.__name__}.{name}: {exc}") from None
        return cls(**values)

    @classmethod
    def from_json(cls, text: str | bytes) -> Self:
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise RecordError(f"{cls.__name__}: not JSON ({exc.__class__.__name__})") from None
        return cls.from_dict(data)

    def to_dict(self, *, exclude: frozenset[str] = frozenset()) -> dict[str, Any]:
        """Plain JSON values; fields that are None are left out, as the stored items do."""
        return {
            field.name: plain(value)
            for field in dataclasses.fields(self)  # type: ignore[arg-type]
            if field.name not in exclude and (value := getattr(self, field.name)) is not None
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"))

    def replace(self, **changes: Any) -> Self:
        return dataclasses.replace(self, **changes)  # type: ignore[type-var]


def field_names(cls: type[Record]) -> tuple[str, ...]:
    return tuple(field.name for field in dataclasses.fields(cls))  # type: ignore[arg-type]


def plain(value: Any) -> Any:
    """``value`` as JSON values: records as dicts, enums as their values."""
    if isinstance(value, Record):
        return value.to_dict()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    return value


_READERS: dict[type, tuple[tuple[str, Reader, bool], ...]] = {}


def _readers(cls: type[Record]) -> tuple[tuple[str, Reader, bool], ...]:
    """Each field's name, the reader of its declared type, and whether it is required
    (worked out once per class, from its annotations)."""
    if cls not in _READERS:
        _READERS[cls] = _readers_of(cls)
    return _READERS[cls]


def _readers_of(cls: type[Record]) -> tuple[tuple[str, Reader, bool], ...]:
    hints = typing.get_type_hints(cls)
    return tuple(
        (
            field.name,
            _reader(hints[field.name]),
            field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING,
        )
        for field in dataclasses.fields(cls)  # type: ignore[arg-type]
    )


def _reader(hint: Any) -> Reader:
    origin, arguments = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        # Optional fields: None never reaches a reader (``from_dict`` skips it).
        (inner,) = [argument for argument in arguments if argument is not type(None)]
        return _reader(inner)
    if hint is Any:
        return _any
    if origin is list:
        item = _reader(arguments[0])
        return lambda value: [item(element) for element in _expect(value, list | tuple, "a list")]
    if origin is dict:
        return lambda value: dict(_expect(value, dict, "an object"))
    if isinstance(hint, type) and issubclass(hint, Record):
        record = hint
        return lambda value: value if isinstance(value, record) else record.from_dict(value)
    if isinstance(hint, type) and issubclass(hint, Enum):
        return _enum_reader(hint)
    simple = {str: _str, bool: _bool, int: _int, float: _float}
    if hint in simple:
        return simple[hint]
    raise TypeError(f"records cannot hold {hint!r}")


def _expect(value: Any, kinds: Any, what: str) -> Any:
    if not isinstance(value, kinds):
        raise RecordError(f"expected {what}, got {type(value).__name__}")
    return value


def _any(value: Any) -> Any:
    return value


def _str(value: Any) -> str:
    return str(_expect(value, str, "a string"))


def _bool(value: Any) -> bool:
    return bool(_expect(value, bool, "true or false"))


def _int(value: Any) -> int:
    # DynamoDB gives numbers as Decimal; a whole float is what a JSON writer may have made.
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, Decimal | float) and math.isfinite(value) and value == int(value):
        return int(value)
    raise RecordError(f"expected a whole number, got {value!r}")


def _float(value: Any) -> float:
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return float(value)
    raise RecordError(f"expected a number, got {type(value).__name__}")


def _enum_reader(kind: type[Enum]) -> Reader:
    def read(value: Any) -> Enum:
        try:
            return kind(value)
        except ValueError:
            raise RecordError(f"{value!r} is not one of {[member.value for member in kind]}") from None

    return read

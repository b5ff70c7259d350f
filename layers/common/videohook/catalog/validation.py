"""Checking a model's parameters against its schema, and saying what is wrong in the schema's
own terms: one ``FieldProblem`` per offending field, named by its dotted path.

jsonschema is imported here only, and this module only when the first request is validated,
so loading the catalog stays cheap on a cold start.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker, validators
from jsonschema.exceptions import ValidationError
from jsonschema.protocols import Validator

from videohook.catalog.media import MEDIA_KEYWORD, media_problem
from videohook.catalog.spec import FieldProblem


def _strict_integer(_checker: object, instance: object) -> bool:
    # JSON Schema counts 5.0 (and Python counts True) as integers; the provider's APIs do not.
    return isinstance(instance, int) and not isinstance(instance, bool)


def _finite_number(_checker: object, instance: object) -> bool:
    return isinstance(instance, int | float) and not isinstance(instance, bool) and math.isfinite(instance)


def _media(
    _validator: Validator, kinds: list[str], instance: object, _schema: object
) -> Iterator[ValidationError]:
    if isinstance(instance, str) and (problem := media_problem(instance, kinds)):
        yield ValidationError(problem)


_StrictValidator = validators.extend(
    Draft202012Validator,
    validators={MEDIA_KEYWORD: _media},
    type_checker=Draft202012Validator.TYPE_CHECKER.redefine_many(
        {"integer": _strict_integer, "number": _finite_number}
    ),
)
# `uri` is checked by `x-media`; of the other formats the schemas use, only `uuid` is asserted.
_FORMATS = FormatChecker(formats=("uuid",))


def compile_validator(schema: Mapping[str, Any]) -> Validator:
    return _StrictValidator(schema, format_checker=_FORMATS)


def problems(validator: Validator, params: Mapping[str, Any], model_id: str) -> list[FieldProblem]:
    """Every problem with ``params`` (not only the first), sorted by field, without repeats."""
    found = {problem for error in validator.iter_errors(params) for problem in _explain(error, model_id)}
    return sorted(found)


def _dotted(path: Any) -> str:
    return ".".join(str(part) for part in path)


def _join(parent: str, name: str) -> str:
    return f"{parent}.{name}" if parent else name


_TYPE_WORDS = {
    "integer": "an integer",
    "number": "a number",
    "string": "a string",
    "boolean": "true or false",
    "array": "a list",
    "object": "an object",
    "null": "null",
}


def _types(expected: str | list[str]) -> str:
    return " or ".join(
        _TYPE_WORDS.get(kind, kind) for kind in ([expected] if isinstance(expected, str) else expected)
    )


def _values(values: list[Any]) -> str:
    return ", ".join(json.dumps(value) for value in values)


def _explain(error: ValidationError, model_id: str) -> Iterator[FieldProblem]:
    field = _dotted(error.absolute_path)
    rule, limit, instance = error.validator, error.validator_value, error.instance
    if rule == "required":
        for name in limit:
            if isinstance(instance, dict) and name not in instance:
                yield FieldProblem(_join(field, name), "is required")
    elif rule == "additionalProperties":
        known = error.schema.get("properties", {})
        owner = field or f"model {model_id}"
        for name in instance:
            if name not in known:
                yield FieldProblem(_join(field, name), f"is not a field of {owner}")
    elif rule in ("anyOf", "oneOf"):
        yield from _explain_alternatives(error, model_id)
    else:
        yield FieldProblem(field, _reason(error))


def _reason(error: ValidationError) -> str:
    rule, limit = error.validator, error.validator_value
    words = {
        "type": lambda: f"must be {_types(limit)}",
        "enum": lambda: f"must be one of {_values(limit)}",
        "const": lambda: f"must be {json.dumps(limit)}",
        "minLength": lambda: f"must be at least {limit} characters",
        "maxLength": lambda: f"must be at most {limit} characters",
        "minimum": lambda: f"must be at least {limit}",
        "maximum": lambda: f"must be at most {limit}",
        "exclusiveMinimum": lambda: f"must be greater than {limit}",
        "exclusiveMaximum": lambda: f"must be less than {limit}",
        "minItems": lambda: f"must have at least {limit} items",
        "maxItems": lambda: f"must have at most {limit} items",
        "uniqueItems": lambda: "must not repeat an item",
        "pattern": lambda: f"must match {limit}",
        "format": lambda: "must be a UUID" if limit == "uuid" else f"must be a valid {limit}",
    }
    explain = words.get(str(rule))
    return explain() if explain else str(error.message)


def _explain_alternatives(error: ValidationError, model_id: str) -> Iterator[FieldProblem]:
    """For "one of these forms": the problems of the one form the value meant, judged by its
    JSON type and its ``type`` tag (``{"type": "image", "url": ...}``); else what the forms ask."""
    field = _dotted(error.absolute_path)
    if not error.context:
        yield FieldProblem(field, "matches more than one of its allowed forms")
        return
    depth = len(error.absolute_path)
    branches: dict[int, list[ValidationError]] = {}
    for sub in error.context:
        branches.setdefault(int(sub.relative_schema_path[0]), []).append(sub)
    meant = [errors for errors in branches.values() if not any(_wrong_type(sub, depth) for sub in errors)]
    untagged = [errors for errors in meant if not any(_wrong_tag(sub, depth) for sub in errors)]
    if len(untagged) == 1:
        for sub in untagged[0]:
            yield from _explain(sub, model_id)
    elif untagged:
        yield FieldProblem(field, "does not match any of its allowed forms")
    elif meant:
        tags = [tag for errors in meant for sub in errors if _wrong_tag(sub, depth) for tag in _tags(sub)]
        yield FieldProblem(_join(field, "type"), f"must be one of {_values(list(dict.fromkeys(tags)))}")
    else:
        kinds = [branch.get("type") for branch in error.validator_value]
        if all(isinstance(kind, str) for kind in kinds):
            yield FieldProblem(field, f"must be {_types([str(kind) for kind in dict.fromkeys(kinds)])}")
        else:
            yield FieldProblem(field, "does not match any of its allowed forms")


def _wrong_type(error: ValidationError, depth: int) -> bool:
    """The value is not of this form's JSON type at all."""
    return error.validator == "type" and len(error.absolute_path) == depth


def _wrong_tag(error: ValidationError, depth: int) -> bool:
    """The value is an object of another form: its ``type`` tag names a different one."""
    path = list(error.absolute_path)
    return error.validator in ("enum", "const") and len(path) == depth + 1 and path[-1] == "type"


def _tags(error: ValidationError) -> list[Any]:
    return list(error.validator_value) if error.validator == "enum" else [error.validator_value]

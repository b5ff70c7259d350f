"""How a ``Job`` is written to and read from a DynamoDB item, and the expression-value
helpers the repository's conditional writes share."""

from __future__ import annotations

import json
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from videohook.models.jobs import Job, JobSummary, Usage

# Free-form JSON is stored as strings: DynamoDB would turn its floats into Decimals.
JSON_STRING_FIELDS = ("input", "metadata", "usage")

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def to_item(job: Job, *, pending_partition: str) -> dict[str, Any]:
    """The item of a new job; it joins the sparse pending index while it has a next check."""
    plain = job.to_dict()
    if job.next_check_at is not None:
        plain["pending_partition"] = pending_partition
    for name in JSON_STRING_FIELDS:
        if name in plain:
            plain[name] = json.dumps(plain[name], separators=(",", ":"))
    return {key: _serializer.serialize(value) for key, value in plain.items()}


def from_item(item: dict[str, Any]) -> Job:
    return Job.from_dict(_plain(item))


def summary_from_item(item: dict[str, Any]) -> JobSummary:
    """An item of an index that projects only what a usage report reads."""
    return JobSummary.from_dict(_plain(item))


def _plain(item: dict[str, Any]) -> dict[str, Any]:
    plain = {key: _deserializer.deserialize(value) for key, value in item.items()}
    for name in JSON_STRING_FIELDS:
        if isinstance(plain.get(name), str):
            plain[name] = json.loads(plain[name])
    return plain


def json_string(usage: Usage) -> str:
    return json.dumps(usage.to_dict(), separators=(",", ":"))


def expression_values(**values: Any) -> dict[str, Any]:
    return {f":{name}": _serializer.serialize(value) for name, value in values.items()}


def placeholders(options: list[str], values: dict[str, Any]) -> str:
    """Adds ``:s0, :s1, ...`` for ``options`` to ``values`` and returns them joined."""
    names = []
    for index, option in enumerate(options):
        values[f":s{index}"] = _serializer.serialize(option)
        names.append(f":s{index}")
    return ", ".join(names)

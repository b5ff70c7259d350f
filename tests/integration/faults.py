"""Fault injection: make an adapter "die" at a chosen call, the way a Lambda dies.

``SimulatedCrash`` is a ``BaseException``: no ``except Exception`` in the service catches it,
so nothing gets cleaned up (leases stay held, idempotency records stay in progress), exactly
as when a function times out or its execution environment is lost.
"""

from __future__ import annotations

from typing import Any

import boto3

from tests.support import replace_parts
from videohook.wiring import Container


class SimulatedCrash(BaseException):
    pass


class CrashAt:
    """Wraps ``target``; the ``times`` next calls of ``method`` crash ``before`` (the call
    never happens) or ``after`` it (it took effect, then the function died)."""

    def __init__(self, target: Any, method: str, *, when: str = "before", times: int = 1) -> None:
        assert when in ("before", "after")
        self._target = target
        self._method = method
        self._when = when
        self.remaining = times

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._target, name)
        if name != self._method:
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            if self.remaining <= 0:
                return attribute(*args, **kwargs)
            self.remaining -= 1
            if self._when == "before":
                raise SimulatedCrash(f"died before {name}")
            attribute(*args, **kwargs)
            raise SimulatedCrash(f"died after {name}")

        return call


def inject(container: Container, attribute: str, replacement: Any) -> Container:
    """The service with one adapter swapped, its use cases rebuilt around it (and installed
    for the handlers if ``container`` was)."""
    return replace_parts(container, **{attribute: replacement})


def expire_leases(table: str) -> None:
    """Time passes: every poller lease runs out (as after a dead poller's lease period)."""
    dynamodb = boto3.client("dynamodb")
    for item in dynamodb.scan(TableName=table)["Items"]:  # a test may scan
        if "lease_expires_at" in item:
            dynamodb.update_item(
                TableName=table,
                Key={"job_id": item["job_id"]},
                UpdateExpression="SET lease_expires_at = :past",
                ExpressionAttributeValues={":past": {"N": "0"}},
            )

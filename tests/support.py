"""Helpers the tests share: constants, a DNS table for example hosts, DynamoDB's atomicity
for moto under threads, and building the service's container for a test."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from videohook import wiring
from videohook.callback_guard import CallbackUrlGuard
from videohook.settings import get_settings

UPSTREAM_KEY = "test-upstream-key-not-a-real-one"
WEBHOOK_SECRET = "whsec_dGVzdC13ZWJob29rLXNpZ25pbmctc2VjcmV0LTMyYg=="
# Zero delays: retries come straight back, so tests run the whole schedule quickly.
TEST_RETRY_DELAYS = (0, 0, 0)
# Names the tests use for public receivers; nothing here ever leaves loopback.
PUBLIC_DNS = {"hooks.example.com": ["93.184.215.14"], "images.example.com": ["93.184.215.15"]}


def fake_resolver(table: dict[str, list[str]]) -> Callable[[str, int], list[str]]:
    def resolve(host: str, port: int) -> list[str]:
        if host in table:
            return table[host]
        if host in ("localhost", "127.0.0.1"):
            return ["127.0.0.1"]
        raise OSError(f"{host} does not resolve")

    return resolve


def guard_resolving(table: dict[str, list[str]] | None = None) -> CallbackUrlGuard:
    """The guard in local mode (loopback receivers allowed), resolving from ``table``."""
    return CallbackUrlGuard(local_mode=True, resolver=fake_resolver(PUBLIC_DNS if table is None else table))


class AtomicRequests:
    """A boto3 client whose requests run one at a time.

    DynamoDB applies each request, condition and write together, atomically. moto checks a
    condition and then writes, unlocked, so two threads can both pass one condition. Tests
    that race pollers in threads serialise moto's requests to get DynamoDB's guarantee back;
    the interleaving between requests stays as free as in AWS.
    """

    _lock = threading.Lock()

    def __init__(self, client: Any) -> None:
        self._client = client

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if not callable(attribute):
            return attribute

        def one_at_a_time(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                return attribute(*args, **kwargs)

        return one_at_a_time


# DynamoDB's item size limit (400 KB) and its refusal, word for word.
ITEM_SIZE_LIMIT = 400 * 1024
_TOO_LARGE = {"Code": "ValidationException", "Message": "Item size has exceeded the maximum allowed size"}


def item_size(item: dict[str, Any]) -> int:
    """An item's size by AWS's documented rules (closely enough): each attribute's name
    plus its value, numbers about a byte per two digits, lists and maps 3 bytes plus 1 per
    element."""
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


def _value_size(value: dict[str, Any]) -> int:
    ((kind, inner),) = value.items()
    if kind == "S":
        return len(inner.encode())
    if kind == "N":
        return len(inner.lstrip("-").replace(".", "")) // 2 + 2
    if kind == "L":
        return 3 + sum(1 + _value_size(element) for element in inner)
    if kind == "M":
        return 3 + sum(1 + item_size({name: element}) for name, element in inner.items())
    return 1 if kind in ("BOOL", "NULL") else len(inner)


class ItemSizeLimit(AtomicRequests):
    """DynamoDB's item size limit on writes, which moto does not enforce on UpdateItem: an
    update (or put) that would leave an item over 400 KB is refused with DynamoDB's
    ``ValidationException`` and changes nothing."""

    def update_item(self, **request: Any) -> Any:
        key = {"TableName": request["TableName"], "Key": request["Key"]}
        with self._lock:
            before = self._client.get_item(**key, ConsistentRead=True).get("Item")
            answer = self._client.update_item(**request)
            after = self._client.get_item(**key, ConsistentRead=True).get("Item", {})
            if item_size(after) > ITEM_SIZE_LIMIT:
                if before is not None:
                    self._client.put_item(TableName=request["TableName"], Item=before)
                raise ClientError({"Error": _TOO_LARGE}, "UpdateItem")
            return answer

    def put_item(self, **request: Any) -> Any:
        if item_size(request["Item"]) > ITEM_SIZE_LIMIT:
            raise ClientError({"Error": _TOO_LARGE}, "PutItem")
        with self._lock:
            return self._client.put_item(**request)


def service_container(settings: Any, **overrides: Any) -> wiring.Container:
    """A container for ``settings`` with moto-safe DynamoDB and the example DNS table."""
    plain = wiring.Container(settings)
    defaults = {"dynamodb": AtomicRequests(plain.dynamodb), "guard": guard_resolving()}
    return wiring.Container(settings, **{**defaults, **overrides})


def reconfigure(monkeypatch: pytest.MonkeyPatch, **environment: str) -> wiring.Container:
    """Change settings mid-test: a fresh container, as after a new deployment."""
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    wiring.reset()
    return wiring.install(service_container(get_settings()))


def replace_parts(container: wiring.Container, **parts: Any) -> wiring.Container:
    """The same service with some parts swapped (a crashing adapter, another resolver);
    installed for the handlers when ``container`` was."""
    replaced = container.overridden(**parts)
    if wiring.installed() is container:
        wiring.install(replaced)
    return replaced

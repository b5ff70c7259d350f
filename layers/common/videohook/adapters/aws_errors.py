"""One translation of AWS client errors into domain errors, for every AWS adapter."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from videohook.errors import JobItemTooLarge, StorageError

NOT_FOUND_CODES = frozenset({"404", "NoSuchKey", "NotFound", "ResourceNotFoundException"})
# DynamoDB's words (a ValidationException) for a write that would pass the 400 KB item limit.
ITEM_TOO_LARGE_MESSAGE = "Item size has exceeded the maximum allowed size"


class ConditionFailed(Exception):
    """A conditional write's condition did not hold (another actor got there first).

    ``item`` is the item as it stood, when the write asked for it with
    ``ReturnValuesOnConditionCheckFailure=ALL_OLD`` (None if it does not exist)."""

    def __init__(self, action: str, item: dict[str, Any] | None = None) -> None:
        super().__init__(action)
        self.item = item


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


@contextmanager
def aws_errors(action: str) -> Iterator[None]:
    """Turn an AWS failure into ``StorageError("Could not <action>")``; a failed condition
    becomes ``ConditionFailed`` for the adapter to answer as it documents, and an item
    grown past DynamoDB's size limit ``JobItemTooLarge``."""
    try:
        yield
    except ClientError as exc:
        if error_code(exc) == "ConditionalCheckFailedException":
            raise ConditionFailed(action, exc.response.get("Item")) from exc
        if error_code(exc) == "ValidationException" and ITEM_TOO_LARGE_MESSAGE in str(exc):
            raise JobItemTooLarge(f"Could not {action}: the item is over DynamoDB's size limit") from exc
        raise StorageError(f"Could not {action}") from exc
    except BotoCoreError as exc:
        raise StorageError(f"Could not {action}") from exc

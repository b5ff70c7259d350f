"""The EventBridge adapter: puts one domain event per finished job on the service's bus."""

from __future__ import annotations

import json
from typing import Any

from videohook.adapters.aws_errors import aws_errors
from videohook.errors import StorageError
from videohook.models.lifecycle import EventType

# What consumers' rules match on: stable names, documented in the README.
SOURCE = "videohook"
DETAIL_TYPES = {EventType.COMPLETED: "Generation Completed", EventType.FAILED: "Generation Failed"}


class EventBridgeDomainEvents:
    def __init__(self, *, client: Any, bus_name: str) -> None:
        self._client = client
        self._bus = bus_name

    def publish(self, event: EventType, detail: dict[str, Any]) -> None:
        entry = {
            "EventBusName": self._bus,
            "Source": SOURCE,
            "DetailType": DETAIL_TYPES[event],
            "Detail": json.dumps(detail, separators=(",", ":")),
        }
        with aws_errors("put the domain event"):
            answer = self._client.put_events(Entries=[entry])
        # PutEvents answers 200 even when it refused the entry.
        if answer.get("FailedEntryCount"):
            code = answer["Entries"][0].get("ErrorCode", "unknown")
            raise StorageError(f"EventBridge refused the domain event ({code})")

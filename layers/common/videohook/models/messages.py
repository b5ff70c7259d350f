"""What travels on the notify queue and on the poll workers' queue."""

from __future__ import annotations

from pydantic import BaseModel

from videohook.models.lifecycle import EventType


class NotificationMessage(BaseModel):
    """The body of a notify-queue message: which job owes which callback."""

    job_id: str
    event_type: EventType
    # A client asked for this event again: deliver it even if it was delivered before.
    redelivery: bool = False


class PollWorkMessage(BaseModel):
    """The body of a poll-work message: due jobs a poller invocation handed to the workers."""

    job_ids: list[str]

"""What travels on the notify queue and on the poll workers' queue."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from videohook.models.lifecycle import EventType
from videohook.models.records import Record


@dataclass(kw_only=True)
class CallbackSnapshot(Record):
    """A callback as its event left it: where it goes, whose secret signs it, and its body
    (the Standard Webhooks payload, the video's short-lived URL still to be filled in at
    each attempt). Carried on the message, so a first attempt needs no read of the job."""

    url: str
    owner_id: str
    payload: dict[str, Any]


@dataclass(kw_only=True)
class NotificationMessage(Record):
    """The body of a notify-queue message: which job owes which callback."""

    job_id: str
    event_type: EventType
    # A client asked for this event again: deliver it even if it was delivered before.
    redelivery: bool = False
    # Sent again (a poller found it still in the job's outbox, or an operator replayed a dead
    # letter): it may have been delivered already, so the notifier reads the job first.
    resent: bool = False
    # None only in messages queued before snapshots existed: the notifier reads the job then.
    callback: CallbackSnapshot | None = None


@dataclass(kw_only=True)
class PollWorkMessage(Record):
    """The body of a poll-work message: due jobs a poller invocation handed to the workers."""

    job_ids: list[str]

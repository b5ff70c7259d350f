"""How a job may change. The transition table below is the single statement of the job
lifecycle; the repository's conditional writes enforce it."""

from __future__ import annotations

from enum import StrEnum


class JobStatus(StrEnum):
    # Stored before the upstream create, so a submit that dies after paying is never lost.
    SUBMITTING = "submitting"
    QUEUED = "queued"
    GENERATING = "generating"
    COMPLETED = "completed"
    FAILED = "failed"


TERMINAL_STATUSES = frozenset({JobStatus.COMPLETED, JobStatus.FAILED})
IN_FLIGHT_STATUSES = frozenset({JobStatus.QUEUED, JobStatus.GENERATING})

# The job lifecycle. A write that is not in this table is refused by a condition.
TRANSITIONS: dict[JobStatus, frozenset[JobStatus]] = {
    JobStatus.SUBMITTING: frozenset({JobStatus.QUEUED, JobStatus.FAILED}),
    JobStatus.QUEUED: frozenset({JobStatus.GENERATING, JobStatus.COMPLETED, JobStatus.FAILED}),
    JobStatus.GENERATING: frozenset({JobStatus.COMPLETED, JobStatus.FAILED}),
    JobStatus.COMPLETED: frozenset(),
    JobStatus.FAILED: frozenset(),
}


def sources_of(target: JobStatus) -> list[JobStatus]:
    """Statuses a job may be in for a move to ``target`` to be legal."""
    return [source for source, targets in TRANSITIONS.items() if target in targets]


class EventType(StrEnum):
    STARTED = "generation.started"
    COMPLETED = "generation.completed"
    FAILED = "generation.failed"


DEFAULT_CALLBACK_EVENTS = (EventType.COMPLETED, EventType.FAILED)
EVENT_FOR_STATUS = {JobStatus.COMPLETED: EventType.COMPLETED, JobStatus.FAILED: EventType.FAILED}


def default_callback_events() -> list[EventType]:
    return list(DEFAULT_CALLBACK_EVENTS)


class CallbackStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "callback_failed"
    GONE = "gone"

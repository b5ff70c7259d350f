"""A job whose stored item has grown past what the database will update (DynamoDB's 400 KB)
still ends, with a callback, instead of failing every check and blocking the index."""

from __future__ import annotations

from tests.fakes import said
from tests.poller_world import World
from videohook.logic.failures import SHED_INPUT
from videohook.models.jobs import DeliveryAttempt
from videohook.models.lifecycle import EventType, JobStatus
from videohook.models.outcomes import FailureReason, ProviderOutcome
from videohook.views import notification_for


def legacy_log(attempts: int) -> list[DeliveryAttempt]:
    """A delivery log written before the log was capped."""
    return [
        DeliveryAttempt(event_type=EventType.COMPLETED, attempt=n, at="2026-11-26T11:00:00Z", duration_ms=5)
        for n in range(attempts)
    ]


def at_the_limit(world: World, job_id: str) -> None:
    """The store refuses any update that grows ``job_id``'s item by more than two bytes."""
    job = world.jobs.get(job_id)
    assert job is not None
    world.jobs.item_size_limit = len(job.to_json()) + 2


def test_an_in_flight_job_too_large_to_update_ends_failed_with_its_callback_and_others_go_on():
    world = World()
    world.job("gen_big", deliveries=legacy_log(500), status="generating")
    world.job("gen_b", owner_id="client-b", status="generating")
    at_the_limit(world, "gen_big")
    world.upstream.will_answer("up-gen_big", said(ProviderOutcome.STARTED, "generating"))
    world.upstream.will_answer("up-gen_b", said(ProviderOutcome.STARTED, "generating"))

    report = world.sweep()

    job = world.stored("gen_big")
    assert report == {"due": 2, "failed": 1, "in_flight": 1}
    assert job.status is JobStatus.FAILED
    assert job.error is not None and job.error.code == FailureReason.JOB_TOO_LARGE
    assert job.deliveries == [] and job.input == SHED_INPUT
    assert (job.owner_id, job.callback_url) == ("client-a", "https://hooks.example.com/v")
    assert [m for m, _ in world.queue.sent] == [notification_for(world.stored("gen_big"), EventType.FAILED)]
    assert [event for event, _ in world.bus.events] == [EventType.FAILED]
    assert "gen_big" not in world.jobs.pending
    assert world.stored("gen_b").poll_count == 1


def test_a_finished_job_too_large_to_update_keeps_its_status_and_gets_its_callback_queued():
    world = World()
    world.job(
        "gen_big",
        deliveries=legacy_log(500),
        status="completed",
        outbox_event=EventType.COMPLETED,
        finished_at="2026-11-26T11:59:00Z",
    )
    at_the_limit(world, "gen_big")

    report = world.sweep()

    job = world.stored("gen_big")
    assert report == {"due": 1, "recovered": 1}
    assert job.status is JobStatus.COMPLETED and job.error is None
    # Sent by a run that found it still owed: the notifier reads the job before sending.
    assert [m for m, _ in world.queue.sent] == [
        notification_for(world.stored("gen_big"), EventType.COMPLETED, resent=True)
    ]
    assert "gen_big" not in world.jobs.pending
    assert world.upstream.retrieved == []

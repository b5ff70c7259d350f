"""The poller's sweep against in-memory fakes of its ports: every path a job can take,
without moto or sockets (the same paths run against moto in tests/integration)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.fakes import (
    said,
)
from tests.poller_world import NOW, SETTINGS, TIMING, VIDEO_URL, World
from videohook.errors import (
    StorageError,
    UpstreamNotFound,
    UpstreamUnavailable,
    VideoCopyFailed,
    VideoUnavailable,
)
from videohook.models.clock import iso
from videohook.models.lifecycle import EventType, JobStatus
from videohook.models.outcomes import FailureReason, ProviderOutcome
from videohook.views import notification_for


@pytest.fixture
def world() -> World:
    return World()


def test_a_finished_generation_is_copied_completed_and_notified_once(world: World):
    world.job()
    world.upstream.will_answer("up-gen_1", said(ProviderOutcome.SUCCEEDED, "completed", video_url=VIDEO_URL))

    report = world.sweep()

    job = world.stored()
    assert report == {"due": 1, "completed": 1}
    assert job.status is JobStatus.COMPLETED
    assert job.video is not None and job.video.key == "videos/gen_1.mp4"
    assert world.videos.copies == [VIDEO_URL]
    assert [m for m, _ in world.queue.sent] == [notification_for(world.stored("gen_1"), EventType.COMPLETED)]
    assert job.outbox_event is None and job.lease_owner is None
    assert "gen_1" not in world.jobs.pending
    assert world.sweep() == {"due": 0}


def test_work_started_upstream_moves_the_job_to_generating_and_reschedules_it(world: World):
    world.job(callback_events=[EventType.STARTED, EventType.COMPLETED])
    world.upstream.will_answer("up-gen_1", said(ProviderOutcome.STARTED, "active"))

    report = world.sweep()

    job = world.stored()
    assert report == {"due": 1, "in_flight": 1}
    assert job.status is JobStatus.GENERATING
    assert job.upstream_status == "active"
    assert job.started_at == iso(NOW)
    assert [m.event_type for m, _ in world.queue.sent] == [EventType.STARTED]
    assert job.next_check_at == int(NOW.timestamp()) + TIMING.min_check_interval_seconds
    assert "gen_1" in world.jobs.pending


def test_a_queued_word_keeps_the_job_queued_and_sends_nothing(world: World):
    world.job(callback_events=[EventType.STARTED, EventType.COMPLETED])
    world.upstream.will_answer("up-gen_1", said(ProviderOutcome.QUEUED, "waiting"))

    world.sweep()

    assert world.stored().status is JobStatus.QUEUED
    assert world.queue.sent == []


def test_pacing_checks_a_young_job_often_and_an_old_one_less(world: World):
    world.job()
    world.upstream.will_answer("up-gen_1", said(ProviderOutcome.QUEUED, "queued"))
    delays = []
    for _ in range(5):
        world.sweep()
        job = world.stored()
        delays.append(job.next_check_at - int(world.now.timestamp()))
        world.now = datetime.fromtimestamp(job.next_check_at, UTC)

    assert delays == [15, 30, 60, 120, 120]


def test_the_provider_failing_fails_the_job_with_its_message(world: World):
    world.job()
    world.upstream.will_answer("up-gen_1", said(ProviderOutcome.FAILED, "error", error="NSFW content"))

    assert world.sweep()["failed"] == 1

    job = world.stored()
    assert job.status is JobStatus.FAILED
    assert job.error is not None
    assert (job.error.code, job.error.message) == (FailureReason.GENERATION_FAILED, "NSFW content")
    assert [m.event_type for m, _ in world.queue.sent] == [EventType.FAILED]


def test_an_unknown_word_is_in_flight_until_the_age_limit(world: World):
    world.job(age_seconds=60)
    world.upstream.will_answer("up-gen_1", said(ProviderOutcome.UNKNOWN, "rendering-phase-7"))

    assert world.sweep() == {"due": 1, "in_flight": 1}

    world.now += timedelta(seconds=TIMING.max_age_seconds)
    assert world.sweep()["failed"] == 1
    assert world.stored().error.code == FailureReason.TIMED_OUT  # type: ignore[union-attr]


def test_a_provider_outage_is_retried_and_only_the_age_limit_ends_the_job(world: World):
    world.job()
    world.upstream.will_answer("up-gen_1", UpstreamUnavailable("503"))

    assert world.sweep() == {"due": 1, "in_flight": 1}
    assert world.stored().status is JobStatus.QUEUED

    world.now += timedelta(hours=2)
    world.sweep()
    assert world.stored().error.code == FailureReason.TIMED_OUT  # type: ignore[union-attr]


def test_a_generation_the_provider_forgot_fails_at_once(world: World):
    world.job()
    world.upstream.will_answer("up-gen_1", UpstreamNotFound("unknown generation"))

    world.sweep()

    assert world.stored().error.code == FailureReason.UPSTREAM_NOT_FOUND  # type: ignore[union-attr]


def test_a_submit_that_died_before_recording_the_upstream_id_ends_failed(world: World):
    world.job(status=JobStatus.SUBMITTING, upstream_id=None)

    world.sweep()

    job = world.stored()
    assert job.status is JobStatus.FAILED
    assert job.error.code == FailureReason.SUBMIT_INTERRUPTED  # type: ignore[union-attr]
    assert world.upstream.retrieved == []


def test_success_without_a_video_url_fails_the_job(world: World):
    world.job()
    world.upstream.will_answer("up-gen_1", said(ProviderOutcome.SUCCEEDED, "completed"))

    world.sweep()

    assert world.stored().error.code == FailureReason.NO_VIDEO  # type: ignore[union-attr]


def test_an_expired_video_url_fails_the_job(world: World):
    world.job()
    world.upstream.will_answer("up-gen_1", said(ProviderOutcome.SUCCEEDED, "completed", video_url=VIDEO_URL))
    world.videos.failures.append(VideoUnavailable("410"))

    world.sweep()

    assert world.stored().error.code == FailureReason.VIDEO_EXPIRED  # type: ignore[union-attr]


def test_a_broken_copy_is_retried_at_the_next_tick_then_completes(world: World):
    world.job()
    world.upstream.will_answer("up-gen_1", said(ProviderOutcome.SUCCEEDED, "completed", video_url=VIDEO_URL))
    world.videos.failures.append(VideoCopyFailed("connection reset"))

    assert world.sweep() == {"due": 1, "in_flight": 1}
    assert world.stored().next_check_at == int(NOW.timestamp())

    assert world.sweep()["completed"] == 1


def test_a_copy_still_failing_at_the_age_limit_fails_the_job(world: World):
    world.job(age_seconds=TIMING.max_age_seconds + 1)
    world.upstream.will_answer("up-gen_1", said(ProviderOutcome.SUCCEEDED, "completed", video_url=VIDEO_URL))
    world.videos.failures.append(VideoCopyFailed("connection reset"))

    world.sweep()

    assert world.stored().error.code == FailureReason.VIDEO_COPY_FAILED  # type: ignore[union-attr]


def test_a_job_leased_by_another_poller_is_skipped(world: World):
    world.job()
    assert world.jobs.claim("gen_1", "other-poller", int(NOW.timestamp()), 180) is not None

    assert world.sweep() == {"due": 1, "skipped": 1}
    assert world.upstream.retrieved == []


def test_work_not_started_before_the_deadline_margin_is_deferred(world: World):
    world.job()

    assert world.sweep(remaining=SETTINGS.deadline_margin_seconds - 1) == {"due": 1, "deferred": 1}
    assert world.upstream.retrieved == []


def test_an_outbox_entry_left_by_a_dead_run_is_queued_by_the_next(world: World):
    world.job(status=JobStatus.COMPLETED, outbox_event=EventType.COMPLETED)

    assert world.sweep() == {"due": 1, "recovered": 1}

    assert [m.event_type for m, _ in world.queue.sent] == [EventType.COMPLETED]
    assert world.queue.sent[0][1] == "msg_1_completed"  # the event id: SQS drops a resend
    assert world.stored().outbox_event is None


def test_an_unexpected_error_releases_the_lease_and_the_sweep_goes_on(world: World):
    world.job("gen_1")
    world.job("gen_2")
    world.upstream.will_answer("up-gen_2", said(ProviderOutcome.QUEUED, "queued"))
    # No script for gen_1: the fake raises KeyError, a bug-shaped failure.

    report = world.sweep()

    assert report == {"due": 2, "errored": 1, "in_flight": 1}
    assert world.stored("gen_1").lease_owner is None


def test_a_client_that_wants_no_terminal_event_gets_none_and_the_job_leaves_the_index(world: World):
    world.job(callback_events=[EventType.STARTED])
    world.upstream.will_answer("up-gen_1", said(ProviderOutcome.SUCCEEDED, "completed", video_url=VIDEO_URL))

    world.sweep()

    assert world.stored().status is JobStatus.COMPLETED
    assert world.queue.sent == []
    assert "gen_1" not in world.jobs.pending
    assert world.bus.events[0][0] is EventType.COMPLETED  # the bus hears of it all the same


def test_a_finished_job_puts_one_domain_event_after_writing_its_manifest(world: World):
    world.job(metadata={"order_id": "ord_1"})
    world.upstream.will_answer("up-gen_1", said(ProviderOutcome.SUCCEEDED, "completed", video_url=VIDEO_URL))

    world.sweep()
    world.sweep()

    [(event, detail)] = world.bus.events
    assert event is EventType.COMPLETED
    assert detail["status"] == "completed" and detail["metadata"] == {"order_id": "ord_1"}
    assert detail["video"]["key"] == "videos/gen_1.mp4" and "url" not in detail["video"]
    assert world.videos.manifests == {"gen_1": detail}
    assert world.stored().published_event is EventType.COMPLETED


def test_a_failed_job_puts_its_event_and_writes_no_manifest(world: World):
    world.job()
    world.upstream.will_answer("up-gen_1", said(ProviderOutcome.FAILED, "error"))

    world.sweep()

    assert [(event, detail["error"]["code"]) for event, detail in world.bus.events] == [
        (EventType.FAILED, FailureReason.GENERATION_FAILED)
    ]
    assert world.videos.manifests == {}


def test_a_job_whose_event_could_not_be_put_stays_due_until_it_is(world: World):
    world.job(callback_events=[EventType.STARTED])
    world.upstream.will_answer("up-gen_1", said(ProviderOutcome.SUCCEEDED, "completed", video_url=VIDEO_URL))
    world.bus.publish = failing_publish  # type: ignore[method-assign]

    assert world.sweep() == {"due": 1, "errored": 1}
    assert "gen_1" in world.jobs.pending and world.stored().status is JobStatus.COMPLETED

    del world.bus.publish  # the bus is back
    assert world.sweep() == {"due": 1, "recovered": 1}
    assert [event for event, _ in world.bus.events] == [EventType.COMPLETED]
    assert "gen_1" not in world.jobs.pending


def failing_publish(event: EventType, detail: dict[str, object]) -> None:
    raise StorageError("Could not put the domain event")

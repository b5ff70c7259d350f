"""One callback attempt and what follows it, against in-memory fakes of the notifier's
ports (the same paths run through the handler, moto and a real receiver in
tests/integration)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook

from tests.fakes import InMemoryJobStore, InMemoryQueue, InMemoryVideoStorage, RecordingTransport
from tests.support import WEBHOOK_SECRET, guard_resolving
from videohook.logic.notify import DeliveryRetryScheduled, Notifier, NotifySettings
from videohook.models.clock import iso, utc_now
from videohook.models.jobs import FIRST_ATTEMPTS_KEPT, LATEST_ATTEMPTS_KEPT, DeliveryAttempt, Job, StoredVideo
from videohook.models.lifecycle import CallbackStatus, EventType, JobStatus
from videohook.models.messages import NotificationMessage
from videohook.models.outcomes import DeliveryOutcome
from videohook.ports import DeliveryAppend
from videohook.signing import WebhookSigner
from videohook.views import notification_for

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
DELAYS = (10, 100)
COMPLETED = NotificationMessage(job_id="gen_1", event_type=EventType.COMPLETED)


class CountingJobStore(InMemoryJobStore):
    """Counts the calls a DynamoDB store would answer (each one a request)."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []

    def get(self, job_id: str) -> Job | None:
        self.calls.append("get")
        return super().get(job_id)

    def append_delivery(self, *args: Any, **kwargs: Any) -> DeliveryAppend:
        self.calls.append("append_delivery")
        return super().append_delivery(*args, **kwargs)

    def record_delivery(self, *args: Any, **kwargs: Any) -> bool:
        self.calls.append("record_delivery")
        return super().record_delivery(*args, **kwargs)


class World:
    def __init__(self, *, dns: dict[str, list[str]] | None = None) -> None:
        self.jobs = CountingJobStore()
        self.queue = InMemoryQueue()
        self.transport = RecordingTransport()
        self.notifier = Notifier(
            jobs=self.jobs,
            queue=self.queue,
            videos=InMemoryVideoStorage(),
            transport=self.transport,
            signer=lambda _owner: WebhookSigner((WEBHOOK_SECRET,)),
            guard=guard_resolving(dns),
            settings=NotifySettings(retry_delays=DELAYS, presigned_url_ttl_seconds=600),
            # Signatures carry the clock's time and verifiers refuse stale ones: a real clock.
            clock=utc_now,
        )
        self.jobs.insert(
            Job(
                job_id="gen_1",
                owner_id="client-a",
                status=JobStatus.COMPLETED,
                model="gen4_turbo",
                upstream_model="runway/gen4_turbo",
                upstream_id="up-1",
                input={},
                callback_url="https://hooks.example.com/v",
                metadata={"order": "o-1"},
                created_at=iso(NOW),
                updated_at=iso(NOW),
                finished_at=iso(NOW),
                video=StoredVideo(bucket="videos", key="videos/gen_1.mp4", size=10, sha256="0" * 64),
                callback_status=CallbackStatus.PENDING,
            )
        )

    def deliver(
        self, message: NotificationMessage = COMPLETED, message_id: str = "m-1", receive_count: int = 1
    ) -> DeliveryOutcome:
        return self.notifier.deliver(
            message, message_id=message_id, receipt_handle=f"rh-{message_id}", receive_count=receive_count
        )

    def stored(self) -> Job:
        job = self.jobs.jobs.get("gen_1")
        assert job is not None
        return job

    def queued(self, **flags: bool) -> NotificationMessage:
        """The message the poller (or a redelivery) queues for the job as it stands."""
        return notification_for(self.stored(), EventType.COMPLETED, **flags)


@pytest.fixture
def world() -> World:
    return World()


def test_a_delivered_callback_is_signed_recorded_and_carries_the_job(world: World):
    assert world.deliver() is DeliveryOutcome.DELIVERED

    [(url, address, body, headers)] = world.transport.posts
    assert (url, address) == ("https://hooks.example.com/v", "93.184.215.14")
    payload = Webhook(WEBHOOK_SECRET).verify(body, headers)
    assert payload["type"] == "generation.completed"
    assert payload["data"]["metadata"] == {"order": "o-1"}
    assert payload["data"]["video"]["url"].startswith("https://videos.example.com/videos/gen_1.mp4")
    assert headers["webhook-id"] == "msg_1_completed"
    job = world.stored()
    assert job.callback_status is CallbackStatus.DELIVERED
    assert [(d.attempt, d.status_code) for d in job.deliveries] == [(1, 200)]


def test_a_delivered_event_is_not_sent_again_unless_redelivered(world: World):
    world.deliver()

    assert world.deliver(message_id="m-2") is DeliveryOutcome.DUPLICATE
    redelivery = NotificationMessage(job_id="gen_1", event_type=EventType.COMPLETED, redelivery=True)
    assert world.deliver(redelivery, message_id="m-3") is DeliveryOutcome.DELIVERED
    assert len(world.transport.posts) == 2
    bodies = [json.loads(body) for _, _, body, _ in world.transport.posts]
    assert bodies[0] == bodies[1]


def test_a_failed_attempt_is_recorded_and_retried_after_the_scheduled_delay(world: World):
    world.transport.answers = [503]

    with pytest.raises(DeliveryRetryScheduled) as retry:
        world.deliver()

    assert DELAYS[0] * 0.9 <= retry.value.delay_seconds <= DELAYS[0] * 1.1
    assert world.queue.delays == [("rh-m-1", retry.value.delay_seconds)]
    [attempt] = world.stored().deliveries
    assert attempt.status_code == 503
    assert attempt.next_retry_at is not None
    assert world.stored().callback_status is CallbackStatus.PENDING


def test_attempts_are_counted_per_message_and_the_spent_schedule_dead_letters(world: World):
    world.transport.answers = ["connection failed (ConnectionError)"]
    for _ in DELAYS:
        with pytest.raises(DeliveryRetryScheduled):
            world.deliver()

    assert world.deliver() is DeliveryOutcome.DEAD_LETTERED

    assert world.queue.buried == [COMPLETED]
    job = world.stored()
    assert [d.attempt for d in job.deliveries] == [1, 2, 3]
    assert job.callback_status is CallbackStatus.FAILED


def test_a_receiver_that_says_gone_is_not_retried(world: World):
    world.transport.answers = [410]

    assert world.deliver() is DeliveryOutcome.GONE
    assert world.stored().callback_status is CallbackStatus.GONE
    assert world.queue.delays == []


def test_a_host_that_now_resolves_inside_is_refused_without_a_post():
    world = World(dns={"hooks.example.com": ["10.0.0.7"]})

    assert world.deliver() is DeliveryOutcome.REFUSED

    assert world.transport.posts == []
    assert world.stored().callback_status is CallbackStatus.FAILED


def test_a_host_that_does_not_resolve_now_is_retried():
    world = World(dns={})

    with pytest.raises(DeliveryRetryScheduled):
        world.deliver()

    assert world.transport.posts == []
    assert "does not resolve" in (world.stored().deliveries[0].error or "")


def test_a_message_for_a_job_that_no_longer_exists_is_dropped(world: World):
    message = NotificationMessage(job_id="gen_gone", event_type=EventType.COMPLETED)

    assert world.deliver(message) is DeliveryOutcome.DROPPED
    assert world.transport.posts == []


# --- a message that carries its callback ---------------------------------------------------


def test_a_first_receive_costs_one_store_call_and_sends_the_queued_snapshot(world: World):
    message = world.queued()

    assert world.deliver(message) is DeliveryOutcome.DELIVERED

    assert world.jobs.calls == ["append_delivery"]
    [(url, _, body, headers)] = world.transport.posts
    assert url == "https://hooks.example.com/v"
    payload = Webhook(WEBHOOK_SECRET).verify(body, headers)
    assert message.callback is not None
    expected = message.callback.payload
    assert {**payload, "data": {**payload["data"], "video": None}} == {
        **expected,
        "data": {**expected["data"], "video": None},
    }
    assert payload["data"]["video"]["url"].startswith("https://videos.example.com/videos/gen_1.mp4")
    assert {k: v for k, v in payload["data"]["video"].items() if k != "url"} == {
        k: v for k, v in expected["data"]["video"].items() if k != "url"
    }
    job = world.stored()
    assert job.callback_status is CallbackStatus.DELIVERED
    assert [(d.attempt, d.status_code, d.message_id) for d in job.deliveries] == [(1, 200, "m-1")]


def test_a_later_receive_reads_the_job_and_does_not_send_a_delivered_event_again(world: World):
    message = world.queued()
    world.deliver(message)
    world.jobs.calls.clear()

    # The same message again: its first receive delivered it, then the batch's answer was lost.
    assert world.deliver(message, receive_count=2) is DeliveryOutcome.DUPLICATE

    assert world.jobs.calls == ["get"]
    assert len(world.transport.posts) == 1


def test_a_resent_message_is_checked_against_the_job_first(world: World):
    world.deliver(world.queued())
    world.jobs.calls.clear()

    assert world.deliver(world.queued(resent=True), message_id="m-2") is DeliveryOutcome.DUPLICATE
    assert world.jobs.calls == ["get"]
    assert len(world.transport.posts) == 1


def test_a_retried_message_counts_its_attempts_on_the_job_and_sends_the_same_body(world: World):
    message = world.queued()
    world.transport.answers = [503, 200]
    with pytest.raises(DeliveryRetryScheduled):
        world.deliver(message)
    world.jobs.calls.clear()

    assert world.deliver(message, receive_count=2) is DeliveryOutcome.DELIVERED

    assert world.jobs.calls == ["get", "append_delivery"]
    assert [d.attempt for d in world.stored().deliveries] == [1, 2]
    first, second = (json.loads(body) for _, _, body, _ in world.transport.posts)
    assert first == second


def test_a_full_log_is_capped_with_the_item_the_failed_append_returned(world: World):
    old = [
        DeliveryAttempt(
            event_type=EventType.COMPLETED,
            message_id=f"old-{n}",
            attempt=1,
            at=iso(NOW),
            duration_ms=1,
            status_code=500,
        )
        for n in range(FIRST_ATTEMPTS_KEPT + LATEST_ATTEMPTS_KEPT)
    ]
    world.jobs.jobs["gen_1"] = world.stored().replace(deliveries=old)

    assert world.deliver(world.queued(redelivery=True), message_id="m-new") is DeliveryOutcome.DELIVERED

    # No read: the refused append handed back the job to cap.
    assert world.jobs.calls == ["append_delivery", "record_delivery"]
    job = world.stored()
    assert len(job.deliveries) == FIRST_ATTEMPTS_KEPT + LATEST_ATTEMPTS_KEPT
    assert job.deliveries_omitted == 1
    assert job.deliveries[-1].message_id == "m-new"
    assert [d.message_id for d in job.deliveries[:FIRST_ATTEMPTS_KEPT]] == [f"old-{n}" for n in range(5)]


def test_a_job_deleted_before_its_first_attempt_is_recorded_is_not_retried(world: World):
    message = world.queued()
    del world.jobs.jobs["gen_1"]
    world.transport.answers = [503]

    assert world.deliver(message) is DeliveryOutcome.DROPPED
    assert world.queue.delays == [] and world.queue.buried == []

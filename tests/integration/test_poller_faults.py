"""Invariants 2 and 3 under faults: a poller that dies between any two steps, or two
pollers at once, still end every job exactly once, with one queued event per transition."""

from __future__ import annotations

import threading
import time

import boto3
import pytest

from local.lambdas import invoke
from tests.integration.faults import CrashAt, SimulatedCrash, expire_leases, inject
from tests.integration.flows import (
    age_job,
    job,
    queued_messages,
    received_events,
    submit,
    subscribe_to_bus,
    tick,
)
from tests.support import reconfigure
from videohook.wiring import Container


def downloads(simulator, upstream_id: str) -> int:
    return sum(1 for call in simulator.calls if call.kind == "video" and upstream_id in call.path)


@pytest.mark.parametrize(
    ("adapter", "method", "when"),
    [
        ("upstream", "retrieve", "before"),  # died before asking the provider
        ("jobs", "finish", "before"),  # after the S3 copy, before the status write
        ("videos", "put_manifest", "before"),  # after the status write, before the manifest
        ("domain_events", "publish", "before"),  # after the manifest, before the bus event
        ("jobs", "mark_event_published", "after"),  # after recording the bus event
        ("queue", "send", "before"),  # after the bus event, before the notification
        ("queue", "send", "after"),  # after the notification, before the outbox is cleared
        ("jobs", "mark_notification_queued", "after"),  # after everything, before returning
    ],
)
def test_a_poller_that_dies_between_steps_is_finished_by_the_next_run(
    service: Container, call_api, load_event, simulator, aws, adapter, method, when
):
    # Given a job whose video is ready, a consumer on the bus, and a poller that dies at one step
    consumer = subscribe_to_bus(aws)
    job_id = submit(call_api, metadata={"order_id": "ord_7"})
    tick(load_event)
    upstream_id = job(call_api, job_id)["upstream"]["id"]
    inject(service, adapter, CrashAt(getattr(service, adapter), method, when=when))

    with pytest.raises(SimulatedCrash):
        tick(load_event)

    # When the dead poller's lease runs out and the schedule ticks again
    expire_leases(aws.jobs_table)
    tick(load_event)

    # Then the job is completed, its video was fetched once, its event queued once, and
    # exactly one domain event reached the consumer, after the job was completed
    finished = job(call_api, job_id)
    assert finished["status"] == "completed"
    assert downloads(simulator, upstream_id) == 1
    keys = [o["Key"] for o in boto3.client("s3").list_objects_v2(Bucket=aws.bucket)["Contents"]]
    assert sorted(keys) == [f"videos/{job_id}.json", f"videos/{job_id}.mp4"]
    assert [(m.job_id, m.event_type) for m in queued_messages(aws)] == [(job_id, "generation.completed")]
    [event] = received_events(consumer)
    assert event["detail-type"] == "Generation Completed"
    assert event["detail"]["status"] == "completed"
    assert event["detail"]["metadata"] == {"order_id": "ord_7"}


def test_a_poller_that_dies_after_the_put_repeats_the_event_with_the_same_id(
    service: Container, call_api, load_event, aws
):
    """The one window EventBridge cannot close: PutEvents took the event and the function
    died before recording it. The next run puts it again; both carry one ``event_id``."""
    consumer = subscribe_to_bus(aws)
    job_id = submit(call_api)
    tick(load_event)
    inject(service, "domain_events", CrashAt(service.domain_events, "publish", when="after"))
    with pytest.raises(SimulatedCrash):
        tick(load_event)

    expire_leases(aws.jobs_table)
    tick(load_event)
    tick(load_event)  # nothing more to put: the second put was recorded

    events = received_events(consumer)
    assert len(events) == 2
    assert {e["detail"]["event_id"] for e in events} == {f"msg_{job_id.removeprefix('gen_')}_completed"}
    assert job(call_api, job_id)["status"] == "completed"


def test_a_dead_pollers_lease_holds_until_it_expires(service, call_api, load_event, aws):
    job_id = submit(call_api)
    tick(load_event)
    inject(service, "jobs", CrashAt(service.jobs, "finish"))
    with pytest.raises(SimulatedCrash):
        tick(load_event)

    report = tick(load_event)  # the lease is still held: nobody else may touch the job

    assert report.get("skipped") == 1
    assert job(call_api, job_id)["status"] == "generating"


def test_two_pollers_at_once_copy_each_video_once_and_queue_one_event_per_job(
    service: Container, call_api, load_event, simulator, aws
):
    job_ids = [submit(call_api, prompt=None if i % 3 else "a scene [fail]") for i in range(9)]
    tick(load_event)  # every job is now generating; the next check finishes them
    start = threading.Barrier(2)
    reports = []

    def run() -> None:
        start.wait()
        reports.append(service.poller.sweep(remaining_seconds=lambda: 60.0))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    finished = {job_id: job(call_api, job_id) for job_id in job_ids}
    assert all(view["status"] in ("completed", "failed") for view in finished.values())
    assert sum(r.get("completed", 0) + r.get("failed", 0) for r in reports) == len(job_ids)
    for view in finished.values():
        if view["status"] == "completed":
            assert downloads(simulator, view["upstream"]["id"]) == 1
    messages = queued_messages(aws)
    assert sorted(m.job_id for m in messages) == sorted(job_ids)


def test_jobs_are_checked_less_often_as_they_age(service, call_api, load_event, monkeypatch, aws):
    # gen3a_turbo's timing in the catalog: first check after 30 s, then 15 s doubling to 60 s
    reconfigure(monkeypatch, POLL_PACING_SCALE="1", POLL_MAX_CHECK_INTERVAL_SECONDS="60")
    job_id = submit(call_api, prompt="slow [status:rendering_frames]")
    dynamodb = boto3.client("dynamodb")

    def next_check_in() -> int:
        item = dynamodb.get_item(TableName=aws.jobs_table, Key={"job_id": {"S": job_id}})["Item"]
        return int(item["next_check_at"]["N"]) - int(time.time())

    def make_due() -> None:
        dynamodb.update_item(
            TableName=aws.jobs_table,
            Key={"job_id": {"S": job_id}},
            UpdateExpression="SET next_check_at = :now",
            ExpressionAttributeValues={":now": {"N": str(int(time.time()))}},
        )

    delays = [next_check_in()]
    assert tick(load_event)["due"] == 0  # not due yet: no upstream call spent on it
    for _ in range(4):
        make_due()
        tick(load_event)
        delays.append(next_check_in())

    expected = [30, 15, 30, 60, 60]
    assert all(abs(delay - want) <= 2 for delay, want in zip(delays, expected, strict=True)), delays


def test_the_poller_stops_taking_jobs_before_its_deadline(service, call_api, load_event, simulator):
    job_ids = [submit(call_api) for _ in range(3)]

    # 10 s left is inside the 20 s margin: take nothing, leave it all for the next tick
    report = invoke("poller", load_event("poller_schedule_tick"), timeout_seconds=10)

    assert report == {"due": 3, "deferred": 3}
    assert simulator.count("retrieve") == 0
    assert {job(call_api, j)["status"] for j in job_ids} == {"queued"}


def test_a_job_past_its_age_limit_with_the_provider_down_still_ends(
    service, call_api, load_event, simulator, aws
):
    job_id = submit(call_api)
    simulator.inject("retrieve", 503, count=100)
    age_job(aws, job_id, hours=3)

    tick(load_event)

    ended = job(call_api, job_id)
    assert ended["status"] == "failed"
    assert ended["error"]["code"] == "timed_out"
    assert [m.event_type for m in queued_messages(aws)] == ["generation.failed"]


def test_a_video_that_cannot_be_copied_fails_the_job_at_its_age_limit(
    service, call_api, load_event, simulator, aws
):
    simulator.video_status = 500  # the provider's file server keeps failing
    job_id = submit(call_api)
    tick(load_event)
    tick(load_event)
    assert job(call_api, job_id)["status"] == "generating"  # a failed copy is retried...

    age_job(aws, job_id, hours=3)
    tick(load_event)

    ended = job(call_api, job_id)  # ...until the job is too old
    assert ended["status"] == "failed"
    assert ended["error"]["code"] == "video_copy_failed"
    assert [m.event_type for m in queued_messages(aws)] == ["generation.failed"]

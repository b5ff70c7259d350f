"""The poller function on its schedule event: moto for AWS, the simulator over HTTP."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from pathlib import Path

import boto3
import pytest

from local.drivers import run_notifier_once
from local.upstream_simulator import UpstreamSimulator
from tests.integration.flows import age_job, job, queued_messages, submit, tick
from tests.support import reconfigure
from videohook.adapters.pending_index import pending_partition
from videohook.models.clock import iso, utc_now
from videohook.models.jobs import Job
from videohook.models.lifecycle import JobStatus
from videohook.models.messages import PollWorkMessage

S3_SAMPLE = Path(__file__).resolve().parents[2] / "docs/examples/s3_video_object_created.json"


def test_a_finished_video_is_copied_byte_for_byte_and_one_notification_is_queued(
    call_api, simulator: UpstreamSimulator, aws, load_event
):
    job_id = submit(call_api)
    upstream_id = job(call_api, job_id)["upstream"]["id"]

    first = tick(load_event)
    assert first["in_flight"] == 1
    assert job(call_api, job_id)["status"] == "generating"

    second = tick(load_event)
    assert second["completed"] == 1

    finished = job(call_api, job_id)
    assert finished["status"] == "completed"
    served = simulator.video_bytes_for(upstream_id)
    stored = boto3.client("s3").get_object(Bucket=aws.bucket, Key=finished["video"]["key"])
    assert stored["Body"].read() == served
    assert stored["Metadata"] == {"job-id": job_id, "upstream-id": upstream_id, "model": "gen3a_turbo"}
    assert finished["video"]["size"] == len(served)
    assert finished["video"]["sha256"] == hashlib.sha256(served).hexdigest()
    # S3 holds its own SHA-256 of the object, checked on arrival, equal to the job's.
    head = boto3.client("s3").head_object(
        Bucket=aws.bucket, Key=finished["video"]["key"], ChecksumMode="ENABLED"
    )
    assert base64.b64decode(head["ChecksumSHA256"]).hex() == finished["video"]["sha256"]
    assert finished["video"]["url"].startswith("https://") or finished["video"]["url"].startswith("http")
    assert [(m.job_id, m.event_type) for m in queued_messages(aws)] == [(job_id, "generation.completed")]

    # The job has left the pending index: more ticks do nothing to it.
    assert tick(load_event)["due"] == 0
    assert simulator.count("retrieve") == 2


def test_the_presigned_url_serves_the_copy(call_api, simulator, load_event):
    job_id = submit(call_api)
    tick(load_event)
    tick(load_event)
    finished = job(call_api, job_id)

    import requests  # moto answers presigned URLs in-process

    downloaded = requests.get(finished["video"]["url"], timeout=10)
    assert downloaded.status_code == 200
    assert downloaded.content == simulator.video_bytes_for(finished["upstream"]["id"])


@pytest.mark.parametrize("shape", ["list", "object"])
def test_both_video_shapes_of_the_reference_are_understood(call_api, simulator, load_event, shape):
    simulator.video_shape = shape
    job_id = submit(call_api)

    tick(load_event)
    tick(load_event)

    assert job(call_api, job_id)["status"] == "completed"


def test_an_upstream_failure_fails_the_job_with_the_providers_reason(call_api, aws, load_event):
    job_id = submit(call_api, prompt="a dangerous scene [fail]")

    tick(load_event)
    tick(load_event)

    failed = job(call_api, job_id)
    assert failed["status"] == "failed"
    assert failed["error"]["code"] == "generation_failed"
    assert "Content moderation rejected the prompt" in failed["error"]["message"]
    assert failed["video"] is None
    assert [(m.job_id, m.event_type) for m in queued_messages(aws)] == [(job_id, "generation.failed")]


@pytest.mark.parametrize("final", ["failed", "cancelled", "expired", "timeout"])
def test_every_failure_status_in_the_wild_fails_the_job(call_api, load_event, final):
    job_id = submit(call_api, prompt=f"scene [status:{final}]")

    tick(load_event)
    tick(load_event)

    assert job(call_api, job_id)["status"] == "failed"


def test_succeeded_is_success_too(call_api, load_event):
    job_id = submit(call_api, prompt="scene [status:succeeded]")

    tick(load_event)
    tick(load_event)

    assert job(call_api, job_id)["status"] == "completed"


def test_an_unknown_status_keeps_the_job_in_flight(call_api, load_event, aws):
    job_id = submit(call_api, prompt="scene [status:rendering_frames]")

    for _ in range(4):
        tick(load_event)

    assert job(call_api, job_id)["status"] in ("queued", "generating")
    assert job(call_api, job_id)["upstream"]["status"] == "rendering_frames"
    assert queued_messages(aws) == []


def test_a_job_past_its_age_limit_fails_as_timed_out(call_api, load_event, aws, monkeypatch, service):
    job_id = submit(call_api, prompt="never ends [status:rendering_frames]")
    age_job(aws, job_id, hours=3)

    tick(load_event)

    timed_out = job(call_api, job_id)
    assert timed_out["status"] == "failed"
    assert timed_out["error"]["code"] == "timed_out"
    assert [(m.job_id, m.event_type) for m in queued_messages(aws)] == [(job_id, "generation.failed")]


@pytest.mark.parametrize("gone", [403, 404, 410])
def test_an_expired_video_url_fails_the_job_with_that_reason(call_api, simulator, load_event, gone):
    simulator.video_status = gone
    job_id = submit(call_api)

    tick(load_event)
    tick(load_event)

    failed = job(call_api, job_id)
    assert failed["status"] == "failed"
    assert failed["error"]["code"] == "video_expired"
    assert str(gone) in failed["error"]["message"]


def test_a_truncated_download_is_never_stored_as_completed_and_is_retried(
    call_api, simulator, aws, load_event
):
    simulator.truncate_video_at = 1000
    job_id = submit(call_api)
    tick(load_event)

    tick(load_event)

    assert job(call_api, job_id)["status"] == "generating"
    assert boto3.client("s3").list_objects_v2(Bucket=aws.bucket).get("KeyCount") == 0
    assert queued_messages(aws) == []

    simulator.truncate_video_at = None
    tick(load_event)
    finished = job(call_api, job_id)
    assert finished["status"] == "completed"
    assert finished["video"]["size"] == len(simulator.video_bytes_for(finished["upstream"]["id"]))


def test_a_large_video_is_copied_multipart(call_api, simulator, aws, load_event):
    payload = bytes(range(256)) * (64 * 1024 * 3 // 2)  # 24 MiB: three 8 MiB parts
    simulator.video_bytes = payload
    job_id = submit(call_api)

    tick(load_event)
    tick(load_event)

    finished = job(call_api, job_id)
    assert finished["video"]["size"] == len(payload)
    assert finished["video"]["sha256"] == hashlib.sha256(payload).hexdigest()
    head = boto3.client("s3").head_object(Bucket=aws.bucket, Key=finished["video"]["key"])
    assert head["ETag"].strip('"').endswith("-3")  # a multipart ETag names its part count


def test_upstream_retrieve_errors_are_retried_and_do_not_fail_the_job(call_api, simulator, load_event):
    job_id = submit(call_api)
    simulator.inject("retrieve", 503, count=10)

    report = tick(load_event)

    assert report["in_flight"] == 1
    assert job(call_api, job_id)["status"] == "queued"
    simulator.clear_faults()
    tick(load_event)
    tick(load_event)
    assert job(call_api, job_id)["status"] == "completed"


def test_the_copy_announces_itself_to_downstream_consumers_through_eventbridge(call_api, aws, load_event):
    job_id = submit(call_api)
    tick(load_event)
    tick(load_event)

    messages = boto3.client("sqs").receive_message(
        QueueUrl=aws.video_events_queue_url, MaxNumberOfMessages=10
    )
    events = [json.loads(m["Body"]) for m in messages.get("Messages", [])]
    sample = json.loads(S3_SAMPLE.read_text())
    assert len(events) == 1
    assert events[0]["source"] == sample["source"]
    assert events[0]["detail-type"] == sample["detail-type"]
    assert events[0]["detail"]["bucket"]["name"] == aws.bucket
    assert events[0]["detail"]["object"]["key"] == f"videos/{job_id}.mp4"
    assert set(sample["detail"]["object"]) <= set(events[0]["detail"]["object"]) | {"etag", "sequencer"}


def test_a_check_that_changes_nothing_costs_one_dynamodb_write(service, call_api, load_event):
    # Given jobs the provider keeps reporting in flight, already past their first check
    job_ids = [submit(call_api, prompt="slow [status:rendering_frames]") for _ in range(5)]
    tick(load_event)
    before = [job(call_api, job_id) for job_id in job_ids]
    calls: list[str] = []
    service.dynamodb.meta.events.register("before-call.dynamodb", lambda model, **_: calls.append(model.name))

    # When the schedule ticks and every job is checked again
    report = tick(load_event)

    # Then each check wrote the job once (no claim, no lease) after one read of the index
    assert report == {"due": len(job_ids), "in_flight": len(job_ids)}
    assert calls.count("UpdateItem") == len(job_ids)
    assert calls.count("Query") == service.settings.pending_partitions
    assert set(calls) == {"UpdateItem", "Query"}
    after = [job(call_api, job_id) for job_id in job_ids]
    assert [j["status"] for j in after] == [j["status"] for j in before]
    assert all(a["updated_at"] > b["updated_at"] for a, b in zip(after, before, strict=True))


def test_jobs_handed_to_the_poll_workers_are_checked_by_the_worker_function(
    service, call_api, load_event, aws, monkeypatch, simulator
):
    # Given more due jobs than one round of the poller checks, and a work queue
    reconfigure(monkeypatch, POLL_BATCH_SIZE="2", POLL_WORK_MESSAGE_JOBS="2")
    for _ in range(5):
        submit(call_api, prompt="slow [status:rendering_frames]")

    # When the poller ticks, it checks two and hands three to the workers, two per message
    report = tick(load_event)
    assert report == {"due": 5, "in_flight": 2, "dispatched": 3}

    # Then the worker function, fed by the queue as the event source mapping does, checks them
    sqs = boto3.client("sqs")
    arn = sqs.get_queue_attributes(QueueUrl=aws.poll_work_queue_url, AttributeNames=["QueueArn"])
    answer = run_notifier_once(
        sqs, aws.poll_work_queue_url, arn["Attributes"]["QueueArn"], function="poll_worker", max_messages=4
    )
    assert answer == {"due": 3, "in_flight": 3}
    assert simulator.count("retrieve") == 5  # each job asked about once, by one of them
    assert sqs.receive_message(QueueUrl=aws.poll_work_queue_url).get("Messages") is None


def test_the_poll_worker_event_names_jobs_the_handler_reads(load_event):
    event = load_event("poll_worker_due_jobs")

    assert [len(PollWorkMessage.from_json(r["body"]).job_ids) for r in event["Records"]] == [2]


def test_a_round_reads_every_due_job_that_fits_its_window_however_the_shards_hold_them(service):
    # Given 15 due jobs in one shard of the pending index and 1 in another: more than the one
    # shard's even share of a 16-job window, fewer than the window
    partitions = service.settings.pending_partitions
    crowded = [
        f"gen_{n:032x}" for n in range(5000) if pending_partition(f"gen_{n:032x}", partitions).endswith("#0")
    ]
    lonely = next(
        f"gen_{n:032x}" for n in range(5000) if pending_partition(f"gen_{n:032x}", partitions).endswith("#3")
    )
    now = int(time.time())
    for job_id in [*crowded[:15], lonely]:
        assert service.jobs.insert(
            Job(
                job_id=job_id,
                owner_id="client-a",
                status=JobStatus.GENERATING,
                model="gen3a_turbo",
                upstream_model="gen3a_turbo",
                upstream_id=f"up-{job_id}",
                input={},
                callback_url="https://hooks.example.com/v",
                created_at=iso(utc_now()),
                updated_at=iso(utc_now()),
                next_check_at=now - 10,
            )
        )

    # When a round reads its window
    due = service.jobs.due_jobs(now, 16)

    # Then it holds all sixteen: the crowded shard filled what the others left
    assert sorted(job.job_id for job in due) == sorted([*crowded[:15], lonely])

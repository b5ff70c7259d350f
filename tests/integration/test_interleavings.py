"""Property: whatever the order of poller runs, overlaps and crashes, every job ends in the
status its generation earned, each video is copied once, and each terminal transition has
exactly one queued event."""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from collections.abc import Iterator

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws

from local.resources import provision
from local.upstream_simulator import UpstreamSimulator
from tests.integration.faults import CrashAt, SimulatedCrash, expire_leases, inject
from tests.support import UPSTREAM_KEY, WEBHOOK_SECRET, service_container
from videohook.adapters.pending_index import PENDING_INDEX
from videohook.models.messages import NotificationMessage
from videohook.settings import Settings
from videohook.wiring import Container

CRASH_POINTS = [
    ("upstream", "retrieve", "before"),
    ("videos", "copy_from_url", "after"),
    ("jobs", "finish", "before"),
    ("jobs", "finish", "after"),
    ("queue", "send", "before"),
    ("queue", "send", "after"),
    ("jobs", "mark_notification_queued", "before"),
    ("jobs", "reschedule", "after"),
]
OUTCOMES = {"a calm sea": "completed", "a scene [fail]": "failed", "a lake [status:succeeded]": "completed"}

steps = st.lists(
    st.one_of(
        st.tuples(st.just("sweep"), st.none() | st.sampled_from(CRASH_POINTS)),
        st.just(("race", None)),
        st.just(("time_passes", None)),
    ),
    max_size=8,
)


@pytest.fixture(scope="module")
def upstream() -> Iterator[UpstreamSimulator]:
    with UpstreamSimulator(api_key=UPSTREAM_KEY) as simulator:
        yield simulator


def build_service(upstream: UpstreamSimulator) -> Container:
    resources = provision(
        boto3.Session(), upstream_api_key=UPSTREAM_KEY, client_secrets={"client-a": WEBHOOK_SECRET}
    )
    return service_container(
        Settings(
            **{name.lower(): value for name, value in resources.environment().items()},
            aimlapi_base_url=upstream.base_url,
            local_mode=True,
            poll_pacing_scale=0,
            submit_grace_seconds=0,
            upstream_backoff_base_seconds=0,
        )
    )


def sweep(container: Container, crash: tuple[str, str, str] | None) -> None:
    if crash is None:
        container.poller.sweep(remaining_seconds=lambda: 60.0)
        return
    adapter, method, when = crash
    crashing = inject(container, adapter, CrashAt(getattr(container, adapter), method, when=when))
    with contextlib.suppress(SimulatedCrash):
        crashing.poller.sweep(remaining_seconds=lambda: 60.0)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(prompts=st.lists(st.sampled_from(sorted(OUTCOMES)), min_size=1, max_size=3), plan=steps)
def test_any_interleaving_of_runs_and_crashes_ends_every_job_exactly_once(upstream, prompts, plan):
    upstream.reset()
    with mock_aws():
        container = build_service(upstream)
        body = '{"model": "gen3a_turbo", "image_url": "https://images.example.com/a.png", '
        body += '"callback_url": "https://hooks.example.com/v", "prompt": "%s"}'
        expected = {}
        for prompt in prompts:
            view = container.submissions.submit(body % prompt, "client-a")
            expected[view["id"]] = OUTCOMES[prompt]

        for action, crash in plan:
            if action == "sweep":
                sweep(container, crash)
            elif action == "race":
                racers = [threading.Thread(target=sweep, args=(container, None)) for _ in range(2)]
                for racer in racers:
                    racer.start()
                for racer in racers:
                    racer.join()
            else:
                expire_leases(container.settings.jobs_table_name)

        for _ in range(10):  # then time passes and the schedule keeps ticking
            expire_leases(container.settings.jobs_table_name)
            if container.poller.sweep(remaining_seconds=lambda: 60.0)["due"] == 0:
                break

        jobs = {job_id: container.jobs.get(job_id) for job_id in expected}
        assert {job_id: job.status.value for job_id, job in jobs.items()} == expected
        pending = boto3.client("dynamodb").scan(
            TableName=container.settings.jobs_table_name, IndexName=PENDING_INDEX
        )
        assert pending["Items"] == []

        fetched = Counter(
            call.path.rsplit("/", 1)[-1].removesuffix(".mp4")
            for call in upstream.calls
            if call.kind == "video"
        )
        completed = {job.upstream_id for job in jobs.values() if job.status.value == "completed"}
        assert fetched == Counter(dict.fromkeys(completed, 1))

        sqs = boto3.client("sqs")
        queued: list[NotificationMessage] = []
        while batch := sqs.receive_message(
            QueueUrl=container.settings.notify_queue_url, MaxNumberOfMessages=10
        ).get("Messages", []):
            queued.extend(NotificationMessage.from_json(m["Body"]) for m in batch)
        assert sorted((m.job_id, m.event_type.value) for m in queued) == sorted(
            (job_id, f"generation.{status}") for job_id, status in expected.items()
        )

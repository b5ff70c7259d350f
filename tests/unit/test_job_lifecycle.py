"""The job lifecycle table and the webhook id receivers dedupe on."""

from __future__ import annotations

import pytest

from videohook.models.jobs import Job, new_job_id, webhook_id
from videohook.models.lifecycle import (
    EVENT_FOR_STATUS,
    TERMINAL_STATUSES,
    TRANSITIONS,
    EventType,
    JobStatus,
    sources_of,
)


def test_every_status_has_a_row_in_the_transition_table():
    assert set(TRANSITIONS) == set(JobStatus)


@pytest.mark.parametrize("terminal", sorted(TERMINAL_STATUSES))
def test_a_terminal_status_has_no_way_out(terminal):
    assert TRANSITIONS[terminal] == frozenset()


def test_the_terminal_statuses_are_completed_and_failed():
    assert {JobStatus.COMPLETED, JobStatus.FAILED} == TERMINAL_STATUSES
    assert {status for status, targets in TRANSITIONS.items() if not targets} == TERMINAL_STATUSES


def test_no_status_moves_to_itself_and_only_a_submitting_job_becomes_queued():
    for source, targets in TRANSITIONS.items():
        assert source not in targets
        assert (JobStatus.QUEUED in targets) == (source is JobStatus.SUBMITTING)


def test_a_job_completes_only_from_queued_or_generating():
    sources = sources_of(JobStatus.COMPLETED)

    assert sorted(sources) == sorted([JobStatus.QUEUED, JobStatus.GENERATING])


def test_a_job_can_fail_from_any_unfinished_status():
    # A submit that died before recording its upstream id fails from "submitting".
    sources = sources_of(JobStatus.FAILED)

    assert sorted(sources) == sorted([JobStatus.SUBMITTING, JobStatus.QUEUED, JobStatus.GENERATING])


def test_only_a_queued_job_starts_generating():
    assert sources_of(JobStatus.GENERATING) == [JobStatus.QUEUED]
    assert sources_of(JobStatus.QUEUED) == [JobStatus.SUBMITTING]
    assert sources_of(JobStatus.SUBMITTING) == []


def test_each_terminal_status_owes_its_own_event():
    assert EVENT_FOR_STATUS == {
        JobStatus.COMPLETED: EventType.COMPLETED,
        JobStatus.FAILED: EventType.FAILED,
    }


def job_in(status: JobStatus) -> Job:
    return Job(
        job_id="gen_0123",
        owner_id="client-a",
        status=status,
        model="gen3a_turbo",
        upstream_model="gen3a_turbo",
        upstream_id="up_1",
        input={},
        callback_url="https://hooks.example.com/cb",
        created_at="2025-01-01T00:00:00.000Z",
        updated_at="2025-01-01T00:00:00.000Z",
    )


@pytest.mark.parametrize(
    ("status", "terminal", "event"),
    [
        (JobStatus.QUEUED, False, None),
        (JobStatus.GENERATING, False, None),
        (JobStatus.COMPLETED, True, EventType.COMPLETED),
        (JobStatus.FAILED, True, EventType.FAILED),
    ],
)
def test_a_job_knows_whether_it_is_terminal_and_which_event_it_owes(status, terminal, event):
    job = job_in(status)

    assert job.is_terminal is terminal
    assert EVENT_FOR_STATUS.get(job.status) == event


# --- webhook-id ----------------------------------------------------------------------------


@pytest.mark.parametrize("event", list(EventType))
def test_webhook_id_is_stable_for_one_job_and_event(event):
    job_id = new_job_id()

    assert webhook_id(job_id, event) == webhook_id(job_id, event)
    assert webhook_id(job_id, event).startswith("msg_")


def test_webhook_id_differs_between_events_of_one_job():
    job_id = new_job_id()

    assert webhook_id(job_id, EventType.COMPLETED) != webhook_id(job_id, EventType.FAILED)


def test_webhook_id_differs_between_jobs():
    first, second = new_job_id(), new_job_id()
    assert first != second

    for event in EventType:
        assert webhook_id(first, event) != webhook_id(second, event)


def test_webhook_id_does_not_depend_on_anything_but_job_and_event():
    # Known value: a change here silently breaks every receiver's dedupe across a deploy.
    assert webhook_id("gen_abc123", EventType.COMPLETED) == "msg_abc123_completed"
    assert webhook_id("gen_abc123", EventType.FAILED) == "msg_abc123_failed"

"""One client's backlog of due jobs cannot keep another client's due job out of a round:
a round takes due jobs round-robin by client from a wider window of the index."""

from __future__ import annotations

from dataclasses import replace

from tests.fakes import InMemoryPollWork, said
from tests.poller_world import NOW, SETTINGS, VIDEO_URL, running, world_with
from videohook.logic.fairness import take_fairly
from videohook.models.lifecycle import EventType, JobStatus
from videohook.models.outcomes import ProviderOutcome
from videohook.views import notification_for


def test_a_thousand_due_jobs_of_one_client_leave_the_other_clients_job_in_the_first_round():
    work = InMemoryPollWork()
    world = world_with(replace(SETTINGS, batch_size=100, fanout_max_jobs=200), work=work)
    for index in range(1000):
        world.job(f"gen_a{index}", status="generating", next_check_at=int(NOW.timestamp()) - 1000 + index)
        running(world, f"gen_a{index}")
    world.job("gen_b", owner_id="client-b", status="generating")
    world.upstream.will_answer("up-gen_b", said(ProviderOutcome.SUCCEEDED, "completed", video_url=VIDEO_URL))

    report = world.sweep()

    assert report == {"due": 300, "in_flight": 99, "completed": 1, "dispatched": 200}
    assert world.stored("gen_b").status is JobStatus.COMPLETED
    assert [m for m, _ in world.queue.sent] == [notification_for(world.stored("gen_b"), EventType.COMPLETED)]
    handed_out = [job_id for batch in work.batches for job_id in batch]
    checked = [u.removeprefix("up-") for u in world.upstream.retrieved]
    assert all(job_id.startswith("gen_a") for job_id in handed_out + checked if job_id != "gen_b")
    # client-a's oldest are the ones it gets, checked here or handed out, each once
    assert sorted(handed_out + checked) == sorted(["gen_b"] + [f"gen_a{i}" for i in range(299)])


def test_a_round_takes_each_clients_oldest_in_turn_and_keeps_each_clients_order():
    world = world_with(SETTINGS)
    for job_id, owner in (("a1", "a"), ("a2", "a"), ("a3", "a"), ("b1", "b"), ("c1", "c"), ("b2", "b")):
        world.job(job_id, owner_id=owner)
    due = list(world.jobs.jobs.values())  # oldest due first, as the index reads them

    assert [job.job_id for job in take_fairly(due, 5)] == ["a1", "b1", "c1", "a2", "b2"]
    assert [job.job_id for job in take_fairly(due, 10)] == ["a1", "b1", "c1", "a2", "b2", "a3"]

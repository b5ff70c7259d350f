"""One poller invocation's rounds: it keeps taking due jobs until its loop time is used
up, and hands what it cannot check in time to the poll workers (fan-out)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from tests.fakes import InMemoryPollWork
from tests.poller_world import NOW, SETTINGS, running, world_with


def test_an_invocation_keeps_checking_jobs_that_fall_due_until_its_loop_time_is_used():
    world = world_with(replace(SETTINGS, loop_seconds=30, idle_wait_seconds=1))
    world.job("early", status="generating")
    world.job("later", status="generating", next_check_at=int(NOW.timestamp()) + 12)
    running(world, "early")
    running(world, "later")

    report = world.sweep()

    # "early" at 0 s and again after its 15 s interval; "later" when it fell due at 12 s
    assert world.upstream.retrieved.count("up-early") == 2
    assert world.upstream.retrieved.count("up-later") == 2
    assert report == {"due": 4, "in_flight": 4}
    assert world.now - NOW >= timedelta(seconds=30)
    assert max(world.slept) <= 1  # type: ignore[attr-defined]


def test_a_single_round_when_no_loop_time_is_set():
    world = world_with(SETTINGS)
    world.job("soon", status="generating", next_check_at=int(NOW.timestamp()) + 1)

    assert world.sweep() == {"due": 0}
    assert world.slept == []  # type: ignore[attr-defined]


def test_a_leased_job_is_skipped_once_per_invocation_not_at_every_round():
    world = world_with(replace(SETTINGS, loop_seconds=5))
    world.job()
    assert world.jobs.claim("gen_1", "other-poller", int(NOW.timestamp()), 180) is not None

    assert world.sweep() == {"due": 1, "skipped": 1}
    assert world.upstream.retrieved == []


def test_due_jobs_beyond_one_rounds_batch_go_to_the_workers_oldest_checked_here():
    work = InMemoryPollWork()
    world = world_with(replace(SETTINGS, batch_size=2, fanout_max_jobs=10), work=work)
    for index in range(5):
        world.job(f"gen_{index}", status="generating", next_check_at=int(NOW.timestamp()) - 10 + index)
        running(world, f"gen_{index}")

    report = world.sweep()

    assert report == {"due": 5, "in_flight": 2, "dispatched": 3}
    assert sorted(world.upstream.retrieved) == ["up-gen_0", "up-gen_1"]
    assert work.batches == [["gen_2", "gen_3", "gen_4"]]

    # A worker checks the handed-out jobs the same way, re-reading each one first
    assert world.poller.check(work.batches[0], remaining_seconds=lambda: 60.0) == {"due": 3, "in_flight": 3}
    assert all(world.stored(f"gen_{i}").next_check_at > NOW.timestamp() for i in range(5))


def test_a_worker_skips_a_handed_out_job_that_is_no_longer_due():
    world = world_with(SETTINGS)
    world.job("moved", status="generating", next_check_at=int(NOW.timestamp()) + 60)

    assert world.poller.check(["moved", "gone"], remaining_seconds=lambda: 60.0) == {"due": 0}
    assert world.upstream.retrieved == []


def test_without_a_work_queue_one_round_reads_only_its_batch():
    world = world_with(replace(SETTINGS, batch_size=2, fanout_max_jobs=10))
    for index in range(3):
        world.job(f"gen_{index}", status="generating")
        running(world, f"gen_{index}")

    assert world.sweep() == {"due": 2, "in_flight": 2}


def test_an_unchanged_check_is_one_write_without_a_lease_and_a_transition_takes_one():
    world = world_with(SETTINGS)
    world.job("running", status="generating")
    world.job("starting")  # queued: the provider's "generating" is a transition that acts
    running(world, "running")
    running(world, "starting")
    calls: list[str] = []
    for name in ("claim", "check_in", "reschedule", "finish", "release"):
        method = getattr(world.jobs, name)
        setattr(world.jobs, name, lambda *a, _m=method, _n=name, **k: (calls.append(_n), _m(*a, **k))[1])

    world.sweep()

    assert sorted(calls) == ["check_in", "claim", "reschedule"]
    assert world.stored("running").lease_owner is None

"""A poller in a world of in-memory ports, with a clock the test moves: what the unit
tests of the sweep, its rounds, its fairness and its oversized jobs share."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.fakes import (
    InMemoryJobStore,
    InMemoryQueue,
    InMemoryVideoStorage,
    RecordingEventBus,
    ScriptedUpstream,
    pacing_for,
    said,
)
from videohook.catalog import Timing
from videohook.logic.poll import Poller, PollSettings
from videohook.models.clock import iso
from videohook.models.jobs import Job
from videohook.models.lifecycle import JobStatus
from videohook.models.outcomes import ProviderOutcome

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
VIDEO_URL = "https://cdn.provider.example/out.mp4"
SETTINGS = PollSettings(
    batch_size=10, concurrency=2, lease_seconds=180, deadline_margin_seconds=5, retention_days=30
)
TIMING = Timing(
    max_age_seconds=3600,
    first_check_delay_seconds=30,
    min_check_interval_seconds=15,
    max_check_interval_seconds=120,
)


class World:
    """The poller and its fakes. Its sleeps move the clock (the rounds of one invocation
    wait between themselves), and are recorded in ``slept``."""

    def __init__(self, settings: PollSettings = SETTINGS, work: Any = None) -> None:
        self.slept: list[float] = []
        self.jobs = InMemoryJobStore()
        self.upstream = ScriptedUpstream()
        self.videos = InMemoryVideoStorage()
        self.queue = InMemoryQueue()
        self.bus = RecordingEventBus()
        self.now = NOW
        self.poller = Poller(
            jobs=self.jobs,
            upstream=self.upstream,
            videos=self.videos,
            queue=self.queue,
            events=self.bus,
            pacing=pacing_for(TIMING),
            settings=settings,
            work=work,
            clock=lambda: self.now,
            sleep=self._sleep,
        )

    def _sleep(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
        self.slept.append(seconds)

    def job(self, job_id: str = "gen_1", *, age_seconds: int = 60, **fields: object) -> Job:
        created = self.now - timedelta(seconds=age_seconds)
        defaults: dict[str, object] = {
            "job_id": job_id,
            "owner_id": "client-a",
            "status": JobStatus.QUEUED,
            "model": "gen4_turbo",
            "upstream_model": "runway/gen4_turbo",
            "upstream_id": f"up-{job_id}",
            "input": {"prompt": "a lighthouse"},
            "callback_url": "https://hooks.example.com/v",
            "created_at": iso(created),
            "updated_at": iso(created),
            "next_check_at": int(self.now.timestamp()),
        }
        job = Job.from_dict({**defaults, **fields})
        assert self.jobs.insert(job)
        return job

    def sweep(self, remaining: float = 60.0) -> dict[str, int]:
        return self.poller.sweep(remaining_seconds=lambda: remaining)

    def stored(self, job_id: str = "gen_1") -> Job:
        job = self.jobs.get(job_id)
        assert job is not None
        return job


def world_with(settings: PollSettings, work: Any = None) -> World:
    return World(settings, work)


def running(world: World, job_id: str) -> None:
    world.upstream.will_answer(f"up-{job_id}", *[said(ProviderOutcome.STARTED, "generating")] * 20)

"""What the poller benchmarks share: the upstream simulator in a process of its own (so
its HTTP threads do not share the measuring process's GIL), generations created in it, a
poller built from the production parts around an in-memory job store, the spread of
repeated figures, and the charts for docs/performance.md.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import platform
import socket
import statistics
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# Before Powertools is imported: a benchmark's sweeps would otherwise print metrics and logs.
os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "ERROR")
os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "videohook-bench")

from tests.fakes import InMemoryJobStore, InMemoryQueue, InMemoryVideoStorage, RecordingEventBus
from videohook.adapters.http import new_session
from videohook.adapters.upstream import UpstreamClient
from videohook.catalog import Catalog
from videohook.logic.pacing import Pacing
from videohook.logic.poll import Poller, PollSettings
from videohook.models.clock import iso
from videohook.models.jobs import Job
from videohook.models.lifecycle import JobStatus
from videohook.ports import JobStore, PollWorkQueue
from videohook.settings import Settings

API_KEY = "bench-key"
MODEL = "gen3a_turbo"
CHARTS = Path(__file__).resolve().parent.parent / "docs" / "performance"
CATALOG = Catalog.load()


def machine() -> str:
    system = f"{platform.system()} {platform.machine()}"
    return f"{system}, {os.cpu_count()} cores, Python {platform.python_version()}"


def spread(values: list[float]) -> str:
    return f"{min(values):.0f} / {statistics.median(values):.0f} / {max(values):.0f}"


def verdict(ratio: float, goal: float, *, at_most: bool = False) -> str:
    met = ratio <= goal if at_most else ratio >= goal
    return f"{ratio:.2f} (goal {'≤' if at_most else '≥'} {goal:g}: {'met' if met else 'NOT met'})"


def _serve(options: dict[str, Any], urls: Any, stop: Any) -> None:
    from local.upstream_simulator import UpstreamSimulator

    with UpstreamSimulator(api_key=API_KEY, **options) as simulator:
        urls.put(simulator.base_url)
        stop.wait()


@contextmanager
def simulator_process(**options: Any) -> Iterator[str]:
    """The simulator (``UpstreamSimulator`` options) in a child process; yields its URL."""
    context = multiprocessing.get_context("fork")
    urls, stop = context.Queue(), context.Event()
    child = context.Process(target=_serve, args=(options, urls, stop), daemon=True)
    child.start()
    try:
        yield urls.get(timeout=30)
    finally:
        stop.set()
        child.join(timeout=10)


def upstream_client(base_url: str, concurrency: int) -> UpstreamClient:
    return UpstreamClient(
        catalog=CATALOG,
        base_url=base_url,
        api_key=lambda: API_KEY,
        session=new_session(pool_size=max(10, concurrency)),
        timeout_seconds=15,
        max_attempts=3,
        backoff_base_seconds=0.5,
    )


def create_generations(base_url: str, count: int) -> list[str]:
    client = upstream_client(base_url, 16)
    fields = {"prompt": "a lighthouse", "image_url": "https://images.example.com/a.png"}
    with ThreadPoolExecutor(16) as pool:
        return list(pool.map(lambda _: client.create(MODEL, fields).id, range(count)))


def in_flight_job(index: int, upstream_id: str, next_check_at: int, created: datetime) -> Job:
    return Job.from_dict(
        {
            "job_id": f"gen_{index:06d}",
            "owner_id": "bench",
            "status": JobStatus.GENERATING,
            "model": MODEL,
            "upstream_model": CATALOG.get(MODEL).id,  # type: ignore[union-attr]
            "upstream_id": upstream_id,
            "input": {"prompt": "a lighthouse"},
            "callback_url": "https://hooks.example.com/v",
            "created_at": iso(created),
            "updated_at": iso(created),
            "next_check_at": next_check_at,
        }
    )


def poller(
    jobs: JobStore,
    base_url: str,
    settings: PollSettings,
    *,
    max_interval_seconds: float = Settings.default("poll_max_check_interval_seconds"),
    work: PollWorkQueue | None = None,
    queue: InMemoryQueue | None = None,
) -> Poller:
    """The production Poller and provider client; DynamoDB, S3 and SQS in memory."""
    fallback = replace(CATALOG.default_timing, max_age_seconds=7200)
    return Poller(
        jobs=jobs,
        upstream=upstream_client(base_url, settings.concurrency),
        videos=InMemoryVideoStorage(),
        queue=queue or InMemoryQueue(),
        events=RecordingEventBus(),
        pacing=Pacing(
            catalog=CATALOG, scale=1.0, fallback=fallback, max_interval_seconds=max_interval_seconds
        ),
        settings=settings,
        work=work,
    )


def poll_settings(batch_size: int, concurrency: int, **extra: Any) -> PollSettings:
    return PollSettings(
        batch_size=batch_size,
        concurrency=concurrency,
        lease_seconds=180,
        deadline_margin_seconds=5,
        retention_days=30,
        **extra,
    )


def now() -> datetime:
    return datetime.now(UTC)


class CountingJobStore(InMemoryJobStore):
    """The in-memory store, counting the calls that are DynamoDB writes in production."""

    WRITES = ("check_in", "claim", "reschedule", "finish", "mark_notification_queued", "release")

    def __init__(self) -> None:
        super().__init__()
        self._writes = itertools.count()  # next() on a count is atomic across threads
        for name in self.WRITES:
            setattr(self, name, self._counted(getattr(self, name)))

    @property
    def writes(self) -> int:
        return int(repr(self._writes)[6:-1])

    def _counted(self, method: Any) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            next(self._writes)
            return method(*args, **kwargs)

        return call


def free_port() -> int:
    """A loopback port free right now (for a server started in another process)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def save_chart(figure: Any, name: str, command: str) -> Path:
    """A PNG under docs/performance/, captioned with the machine and the command."""
    figure.text(0.01, -0.04, f"{machine()} - {command}", fontsize=7, color="dimgray")
    CHARTS.mkdir(parents=True, exist_ok=True)
    path = CHARTS / f"{name}.png"
    figure.savefig(path, dpi=110, bbox_inches="tight")
    return path

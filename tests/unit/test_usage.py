"""The usage report over in-memory jobs: counts and sums per status and model, one client's
jobs only, inside the asked range."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.fakes import InMemoryJobStore
from videohook.logic.usage import UsageReports
from videohook.models.clock import iso
from videohook.models.jobs import Job, Usage
from videohook.models.lifecycle import JobStatus

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def store_with(*jobs: tuple[str, str, JobStatus, Usage | None, timedelta]) -> InMemoryJobStore:
    store = InMemoryJobStore()
    for index, (owner, model, status, usage, age) in enumerate(jobs):
        created = iso(NOW - age)
        store.insert(
            Job(
                job_id=f"gen_{index}",
                owner_id=owner,
                status=status,
                model=model,
                upstream_model=model,
                input={},
                callback_url="https://hooks.example.com/v",
                created_at=created,
                updated_at=created,
                usage=usage,
            )
        )
    return store


def test_totals_by_status_and_model_with_credits_and_tokens_summed():
    store = store_with(
        ("a", "kling/x", JobStatus.COMPLETED, Usage(credits_used=12.5), timedelta(hours=1)),
        ("a", "kling/x", JobStatus.FAILED, Usage(credits_used=2.0), timedelta(hours=2)),
        ("a", "gen3a_turbo", JobStatus.COMPLETED, Usage(tokens_used=525_000), timedelta(hours=3)),
        ("a", "gen3a_turbo", JobStatus.QUEUED, None, timedelta(minutes=1)),
        ("b", "kling/x", JobStatus.COMPLETED, Usage(credits_used=99.0), timedelta(hours=1)),
        ("a", "kling/x", JobStatus.COMPLETED, Usage(credits_used=1000.0), timedelta(days=40)),
    )

    report = UsageReports(jobs=store, clock=lambda: NOW).totals("a")

    assert report["jobs"] == 4
    assert report["by_status"] == {"completed": 2, "failed": 1, "queued": 1}
    assert report["credits_used"] == 14.5
    assert report["tokens_used"] == 525_000
    assert report["by_model"]["kling/x"] == {
        "jobs": 2,
        "by_status": {"completed": 1, "failed": 1},
        "credits_used": 14.5,
        "tokens_used": 0,
    }
    assert report["by_model"]["gen3a_turbo"]["tokens_used"] == 525_000
    assert (report["from"], report["to"]) == (iso(NOW - timedelta(days=30)), iso(NOW))


def test_an_explicit_range_includes_only_jobs_created_inside_it():
    store = store_with(
        ("a", "m", JobStatus.COMPLETED, Usage(credits_used=1.0), timedelta(days=40)),
        ("a", "m", JobStatus.COMPLETED, Usage(credits_used=2.0), timedelta(days=10)),
    )

    report = UsageReports(jobs=store, clock=lambda: NOW).totals(
        "a", since=iso(NOW - timedelta(days=50)), until=iso(NOW - timedelta(days=20))
    )

    assert (report["jobs"], report["credits_used"]) == (1, 1.0)

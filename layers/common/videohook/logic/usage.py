"""A client's usage report: its jobs in a time range, by status and model, with what the
provider says they cost."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from videohook.errors import InvalidRequest
from videohook.models.clock import iso, utc_now
from videohook.ports import JobStore

DEFAULT_RANGE = timedelta(days=30)
# A report reads every job of the range; a year is as far as one request may look.
MAX_RANGE = timedelta(days=366)


class UsageReports:
    def __init__(self, *, jobs: JobStore, clock: Callable[[], datetime] = utc_now) -> None:
        self._jobs = jobs
        self._clock = clock

    def totals(self, owner_id: str, *, since: str | None = None, until: str | None = None) -> dict[str, Any]:
        """``since``/``until``: ISO 8601 times (default: the last 30 days, up to now)."""
        end = _moment("to", until) if until else self._clock()
        start = _moment("from", since) if since else end - DEFAULT_RANGE
        if start > end:
            raise InvalidRequest(
                "from is after to", details=[{"field": "from", "reason": "must not be after to"}]
            )
        if end - start > MAX_RANGE:
            reason = f"the range must be at most {MAX_RANGE.days} days"
            raise InvalidRequest(
                f"Invalid usage range: {reason}", details=[{"field": "from", "reason": reason}]
            )

        by_status: Counter[str] = Counter()
        by_model: dict[str, dict[str, Any]] = defaultdict(
            lambda: {"jobs": 0, "by_status": Counter(), "credits_used": 0.0, "tokens_used": 0}
        )
        credits, tokens = 0.0, 0
        for summary in self._jobs.usage_of(owner_id, created_from=iso(start), created_to=iso(end)):
            by_status[summary.status] += 1
            row = by_model[summary.model]
            row["jobs"] += 1
            row["by_status"][summary.status] += 1
            if summary.usage is not None:
                row["credits_used"] += summary.usage.credits_used or 0.0
                row["tokens_used"] += summary.usage.tokens_used or 0
                credits += summary.usage.credits_used or 0.0
                tokens += summary.usage.tokens_used or 0
        return {
            "from": iso(start),
            "to": iso(end),
            "jobs": sum(by_status.values()),
            "by_status": dict(by_status),
            "credits_used": credits,
            "tokens_used": tokens,
            "by_model": {
                model: {**row, "by_status": dict(row["by_status"])} for model, row in sorted(by_model.items())
            },
        }


def _moment(field: str, text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        reason = "must be an ISO 8601 time, e.g. 2026-11-01T00:00:00Z"
        raise InvalidRequest(
            f"Invalid {field}: {reason}", details=[{"field": field, "reason": reason}]
        ) from None
    if moment.tzinfo is None:
        reason = "must carry a time zone (Z or +hh:mm)"
        raise InvalidRequest(f"Invalid {field}: {reason}", details=[{"field": field, "reason": reason}])
    return moment

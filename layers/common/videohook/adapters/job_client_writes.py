"""The job writes a client's actions cause, apart from the poller's: its callbacks' delivery
log and its redeliveries. Both are bounded per job, so no client can grow an item without
end (the caller caps the log; ``take_redelivery`` counts against a window)."""

from __future__ import annotations

from typing import Any, Protocol

from videohook.adapters.job_items import expression_values
from videohook.models.jobs import DeliveryAttempt, Job
from videohook.models.lifecycle import CallbackStatus


class _ConditionalJobWrites(Protocol):
    """What these writes need of the repository they are mixed into."""

    def get(self, job_id: str) -> Job | None: ...

    def _update(
        self,
        job_id: str,
        expression: str,
        *,
        condition: str,
        values: dict[str, Any],
        names: dict[str, str] | None = None,
    ) -> Job | None: ...


class ClientWrites:
    """Mixed into ``JobRepository``, whose conditional ``_update`` and ``get`` these use."""

    def take_redelivery(
        self: _ConditionalJobWrites, job_id: str, *, now: int, window_seconds: int, limit: int
    ) -> int | None:
        opened = self._update(
            job_id,
            "SET redelivery_window_start = :now, redeliveries_in_window = :one",
            condition="attribute_not_exists(redelivery_window_start) OR redelivery_window_start <= :expired",
            values=expression_values(now=now, one=1, expired=now - window_seconds),
        )
        if opened is not None:
            return None
        counted = self._update(
            job_id,
            "SET redeliveries_in_window = redeliveries_in_window + :one",
            condition="redeliveries_in_window < :limit AND redelivery_window_start > :expired",
            values=expression_values(one=1, limit=limit, expired=now - window_seconds),
        )
        if counted is not None:
            return None
        job = self.get(job_id)
        start = job.redelivery_window_start if job and job.redelivery_window_start else now
        return start + window_seconds

    def record_delivery(
        self: _ConditionalJobWrites,
        job_id: str,
        deliveries: list[DeliveryAttempt],
        *,
        omitted: int,
        callback_status: CallbackStatus | None,
        read: tuple[int, int],
    ) -> bool:
        kept, was_omitted = read
        sets = "deliveries = :log, deliveries_omitted = :omitted"
        values = expression_values(
            log=[attempt.model_dump(mode="json", exclude_none=True) for attempt in deliveries],
            omitted=omitted,
            kept=kept,
            was=was_omitted,
        )
        if callback_status is not None:
            sets += ", callback_status = :cs"
            values.update(expression_values(cs=callback_status.value))
        unchanged = "(attribute_not_exists(deliveries) OR size(deliveries) = :kept)"
        unchanged += " AND (attribute_not_exists(deliveries_omitted) OR deliveries_omitted = :was)"
        condition = f"attribute_exists(job_id) AND {unchanged}"
        return self._update(job_id, "SET " + sets, condition=condition, values=values) is not None

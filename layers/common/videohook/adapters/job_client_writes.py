"""The job reads and writes a client's own actions cause, apart from the poller's: the
provider's acceptance of its submit, its usage report, its callbacks' delivery log and its
redeliveries. The log and the redeliveries are bounded per job, so no client can grow an
item without end (the caller caps the log; ``take_redelivery`` counts against a window)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol

from videohook.adapters.aws_errors import ConditionFailed, aws_errors
from videohook.adapters.job_items import expression_values, from_item, json_string, summary_from_item
from videohook.models.jobs import MAX_ATTEMPTS_KEPT, DeliveryAttempt, Job, JobSummary, Usage
from videohook.models.lifecycle import CallbackStatus, JobStatus
from videohook.ports import DeliveryAppend

OWNER_INDEX = "ByOwnerCreated"


class _ConditionalJobWrites(Protocol):
    """What these writes need of the repository they are mixed into."""

    _client: Any
    _table: str

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

    def usage_of(
        self: _ConditionalJobWrites, owner_id: str, *, created_from: str, created_to: str
    ) -> Iterator[JobSummary]:
        """The client's jobs created in the range, through the ``ByOwnerCreated`` index."""
        query: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": OWNER_INDEX,
            "KeyConditionExpression": "owner_id = :owner AND created_at BETWEEN :start AND :end",
            "ExpressionAttributeValues": expression_values(
                owner=owner_id, start=created_from, end=created_to
            ),
        }
        while True:
            with aws_errors("query the client's jobs"):
                page = self._client.query(**query)
            for item in page.get("Items", []):
                yield summary_from_item(item)
            if "LastEvaluatedKey" not in page:
                return
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def mark_submitted(
        self: _ConditionalJobWrites,
        job_id: str,
        *,
        upstream_id: str,
        upstream_status: str,
        next_check_at: int,
        updated_at: str,
        usage: Usage | None = None,
    ) -> Job | None:
        """The provider accepted the generation: the job becomes ``queued``."""
        values = expression_values(
            queued=JobStatus.QUEUED.value,
            submitting=JobStatus.SUBMITTING.value,
            uid=upstream_id,
            us=upstream_status,
            next=next_check_at,
            at=updated_at,
        )
        sets = "SET #status = :queued, upstream_id = :uid, upstream_status = :us, next_check_at = :next"
        sets += ", updated_at = :at"
        if usage is not None and not usage.is_empty:
            values.update(expression_values(usage=json_string(usage)))
            sets += ", #usage = :usage"
        return self._update(
            job_id,
            sets,
            condition="#status = :submitting",
            values=values,
            names={"#status": "status", **({"#usage": "usage"} if ":usage" in values else {})},
        )

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

    def append_delivery(
        self: _ConditionalJobWrites,
        job_id: str,
        attempt: DeliveryAttempt,
        *,
        callback_status: CallbackStatus | None,
    ) -> DeliveryAppend:
        """One UpdateItem: ``list_append`` while the log has room. When the condition fails,
        DynamoDB hands back the item as it stands (``ALL_OLD``), so no read follows."""
        sets = "deliveries = list_append(if_not_exists(deliveries, :empty), :attempt)"
        values = expression_values(empty=[], attempt=[attempt.to_dict()], room=MAX_ATTEMPTS_KEPT)
        if callback_status is not None:
            sets += ", callback_status = :cs"
            values.update(expression_values(cs=callback_status.value))
        try:
            with aws_errors("record the callback attempt"):
                self._client.update_item(
                    TableName=self._table,
                    Key={"job_id": {"S": job_id}},
                    UpdateExpression="SET " + sets,
                    ConditionExpression="attribute_exists(job_id) AND "
                    "(attribute_not_exists(deliveries) OR size(deliveries) < :room)",
                    ExpressionAttributeValues=values,
                    ReturnValues="NONE",
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
        except ConditionFailed as failed:
            return DeliveryAppend(appended=False, job=from_item(failed.item) if failed.item else None)
        return DeliveryAppend(appended=True)

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
            log=[attempt.to_dict() for attempt in deliveries],
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

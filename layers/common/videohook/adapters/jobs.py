"""The DynamoDB adapter for jobs. Every state change is a conditional write, so two
pollers (or a poller and a retry of itself) can never both win the same transition.

Key design: ``job_id`` is the table key. The sparse index ``PendingByNextCheck``
(``pending_partition`` = "pending#<n>", ``next_check_at`` = epoch seconds) holds exactly the
jobs the poller still owes work: in flight, or terminal with its domain event not yet put or
its notification not yet queued. The index is sharded: a job's shard ``n`` is derived from
its id, so neither the writes of a busy minute nor the poller's reads concentrate on one
partition; ``due_jobs`` reads them all.
"""

from __future__ import annotations

import contextlib
from typing import Any

from videohook.adapters.aws_errors import ConditionFailed, aws_errors
from videohook.adapters.job_client_writes import ClientWrites
from videohook.adapters.job_items import (
    expression_values,
    from_item,
    json_string,
    placeholders,
    to_item,
)
from videohook.adapters.job_shedding import BulkShedding
from videohook.adapters.pending_index import PendingIndex, pending_partition
from videohook.errors import JobNotFound
from videohook.models.jobs import Job, JobError, StoredVideo, Usage
from videohook.models.lifecycle import CallbackStatus, EventType, JobStatus, sources_of


class JobRepository(ClientWrites, BulkShedding):
    def __init__(self, *, client: Any, table_name: str, pending_partitions: int = 1) -> None:
        self._client = client
        self._table = table_name
        self._partitions = pending_partitions
        self._pending = PendingIndex(client=client, table_name=table_name, partitions=pending_partitions)

    # --- reads -----------------------------------------------------------------------------

    def get(self, job_id: str) -> Job | None:
        with aws_errors("read the job"):
            answer = self._client.get_item(
                TableName=self._table, Key={"job_id": {"S": job_id}}, ConsistentRead=True
            )
        item = answer.get("Item")
        return from_item(item) if item else None

    def get_for_owner(self, job_id: str, owner_id: str) -> Job:
        """A job another client owns is reported exactly like a missing one."""
        job = self.get(job_id)
        if job is None or job.owner_id != owner_id:
            raise JobNotFound(f"No generation with id {job_id!r}")
        return job

    def due_jobs(self, now: int, limit: int) -> list[Job]:
        return self._pending.due_jobs(now, limit)

    # --- writes ----------------------------------------------------------------------------

    def insert(self, job: Job) -> bool:
        """Store a new job; False if a job with this id already exists."""
        try:
            with aws_errors("store the job"):
                self._client.put_item(
                    TableName=self._table,
                    Item=to_item(job, pending_partition=pending_partition(job.job_id, self._partitions)),
                    ConditionExpression="attribute_not_exists(job_id)",
                )
        except ConditionFailed:
            return False
        return True

    def discard_submission(self, job_id: str) -> None:
        """The provider refused the create: the job never existed for the client."""
        # A failed condition means the job has moved on: nothing to discard.
        with contextlib.suppress(ConditionFailed), aws_errors("discard the job"):
            self._client.delete_item(
                TableName=self._table,
                Key={"job_id": {"S": job_id}},
                ConditionExpression="#status = :submitting",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=expression_values(submitting=JobStatus.SUBMITTING.value),
            )

    def claim(self, job_id: str, owner: str, now: int, lease_seconds: int) -> Job | None:
        """Take the job's lease if it is free or expired (its owner died). ``None``: someone
        else holds it, or the job no longer needs the poller."""
        return self._update(
            job_id,
            "SET lease_owner = :owner, lease_expires_at = :until",
            condition=(
                "attribute_exists(pending_partition) AND "
                "(attribute_not_exists(lease_expires_at) OR lease_expires_at <= :now)"
            ),
            values=expression_values(owner=owner, until=now + lease_seconds, now=now),
        )

    def check_in(
        self,
        job: Job,
        *,
        now: int,
        next_check_at: int,
        upstream_status: str,
        updated_at: str,
    ) -> Job | None:
        """A check that changed nothing, in one write and without a lease: the job is
        rescheduled only if nobody touched it since it was read (same next check, same
        status, no outbox entry, no live lease), so of two pollers checking it one wins."""
        values = expression_values(
            seen=job.next_check_at or 0,
            status=job.status.value,
            now=now,
            next=next_check_at,
            us=upstream_status,
            updated=updated_at,
            one=1,
            zero=0,
        )
        return self._update(
            job.job_id,
            "SET next_check_at = :next, upstream_status = :us, updated_at = :updated, "
            "poll_count = if_not_exists(poll_count, :zero) + :one REMOVE lease_owner, lease_expires_at",
            condition=(
                "next_check_at = :seen AND #status = :status AND attribute_not_exists(outbox_event) AND "
                "(attribute_not_exists(lease_expires_at) OR lease_expires_at <= :now)"
            ),
            values=values,
            names={"#status": "status"},
        )

    def reschedule(
        self,
        job_id: str,
        owner: str,
        *,
        next_check_at: int,
        upstream_status: str,
        status: JobStatus,
        updated_at: str,
        event: EventType | None = None,
    ) -> Job | None:
        """Still in flight: note what the provider said and come back later. Frees the lease,
        unless the change owes an event (``generation.started``): then its outbox entry is
        written here and the owner queues it next."""
        values = expression_values(
            owner=owner,
            next=next_check_at,
            us=upstream_status,
            status=status.value,
            updated=updated_at,
            one=1,
            zero=0,
        )
        sets = (
            "SET next_check_at = :next, upstream_status = :us, #status = :status, "
            "updated_at = :updated, poll_count = if_not_exists(poll_count, :zero) + :one"
        )
        if status is JobStatus.GENERATING:
            sets += ", started_at = if_not_exists(started_at, :updated)"
        if event is None:
            expression = sets + " REMOVE lease_owner, lease_expires_at"
        else:
            values.update(expression_values(event=event.value, pending=CallbackStatus.PENDING.value))
            expression = sets + ", outbox_event = :event, callback_status = :pending"
        allowed = [s.value for s in (JobStatus.QUEUED, JobStatus.GENERATING)]
        return self._update(
            job_id,
            expression,
            condition=f"lease_owner = :owner AND #status IN ({placeholders(allowed, values)})",
            values=values,
            names={"#status": "status"},
        )

    def finish(
        self,
        job_id: str,
        owner: str,
        *,
        status: JobStatus,
        event: EventType | None,
        now: int,
        finished_at: str,
        upstream_status: str | None,
        expires_at: int,
        video: StoredVideo | None = None,
        error: JobError | None = None,
        usage: Usage | None = None,
    ) -> Job | None:
        """The terminal transition, with its outbox entry (if the client asked for this
        event) in the same write. The job stays in the pending index (due now) and keeps its
        lease until its domain event is put and its notification queued."""
        values = expression_values(
            owner=owner,
            status=status.value,
            at=finished_at,
            us=upstream_status or status.value,
            now=now,
            exp=expires_at,
        )
        sets = ["#status = :status", "finished_at = :at", "updated_at = :at", "upstream_status = :us"]
        sets += ["next_check_at = :now", "expires_at = :exp"]
        if event is not None:
            # The callback status turns "pending" here, before the event can be delivered.
            values.update(expression_values(event=event.value, pending=CallbackStatus.PENDING.value))
            sets += ["outbox_event = :event", "callback_status = :pending"]
        if video is not None:
            values.update(expression_values(video=video.to_dict()))
            sets.append("video = :video")
        names = {"#status": "status"}
        if error is not None:
            values.update(expression_values(error=error.to_dict()))
            sets.append("#error = :error")
            names["#error"] = "error"
        if usage is not None and not usage.is_empty:
            values.update(expression_values(usage=json_string(usage)))
            sets.append("#usage = :usage")
            names["#usage"] = "usage"
        allowed = [s.value for s in sources_of(status)]
        return self._update(
            job_id,
            # The lease is kept: the same owner publishes and queues next.
            "SET " + ", ".join(sets),
            condition=f"lease_owner = :owner AND #status IN ({placeholders(allowed, values)})",
            values=values,
            names=names,
        )

    def mark_notification_queued(
        self, job_id: str, owner: str, *, event: EventType, queued_at: str, expires_at: int | None
    ) -> Job | None:
        """The outbox entry is on the queue. After a terminal event (``expires_at`` given) the
        job leaves the pending index and becomes eligible for TTL expiry; after
        ``generation.started`` it stays in the index, still in flight."""
        values = expression_values(owner=owner, event=event.value, at=queued_at)
        # callback_status is left alone: the notifier may already have delivered the event.
        sets = "SET notification_queued_at = :at, notified_event = :event"
        removes = " REMOVE outbox_event, lease_owner, lease_expires_at"
        if expires_at is not None:
            values.update(expression_values(exp=expires_at))
            sets += ", expires_at = :exp"
            removes += ", pending_partition, next_check_at"
        return self._update(
            job_id,
            sets + removes,
            condition="lease_owner = :owner AND outbox_event = :event",
            values=values,
        )

    def mark_event_published(
        self, job_id: str, owner: str, *, event: EventType, published_at: str, done: bool
    ) -> Job | None:
        """The finished job's domain event is on the bus. ``done``: no notification is owed
        either, so the job leaves the pending index (its TTL was set when it finished)."""
        removes = " REMOVE pending_partition, next_check_at, lease_owner, lease_expires_at" if done else ""
        return self._update(
            job_id,
            "SET published_event = :event, published_at = :at" + removes,
            condition="lease_owner = :owner AND attribute_not_exists(published_event)",
            values=expression_values(owner=owner, event=event.value, at=published_at),
        )

    def release(self, job_id: str, owner: str) -> None:
        """Give the lease back early (after a transient failure) so the next tick can retry."""
        self._update(
            job_id,
            "REMOVE lease_owner, lease_expires_at",
            condition="lease_owner = :owner",
            values=expression_values(owner=owner),
        )

    def _update(
        self,
        job_id: str,
        expression: str,
        *,
        condition: str,
        values: dict[str, Any],
        names: dict[str, str] | None = None,
    ) -> Job | None:
        request: dict[str, Any] = {
            "TableName": self._table,
            "Key": {"job_id": {"S": job_id}},
            "UpdateExpression": expression,
            "ConditionExpression": condition,
            "ExpressionAttributeValues": values,
            "ReturnValues": "ALL_NEW",
        }
        if names:
            request["ExpressionAttributeNames"] = names
        try:
            with aws_errors("update the job"):
                answer = self._client.update_item(**request)
        except ConditionFailed:
            return None
        return from_item(answer["Attributes"])

"""In-memory fakes of the ports in ``videohook.ports``: the use cases run against these in
unit tests, fast and without any AWS double. Each keeps the contract its port documents
(conditional writes refuse what DynamoDB's conditions would), so a use case cannot pass
here and fail against the real adapter for a reason the port states."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

from videohook.catalog import Catalog, Timing
from videohook.errors import JobItemTooLarge, JobNotFound, UpstreamError
from videohook.logic.pacing import Pacing
from videohook.models.clients import ClientSecrets
from videohook.models.jobs import (
    MAX_ATTEMPTS_KEPT,
    DeliveryAttempt,
    Job,
    JobError,
    JobSummary,
    StoredVideo,
    Usage,
)
from videohook.models.lifecycle import IN_FLIGHT_STATUSES, CallbackStatus, EventType, JobStatus, sources_of
from videohook.models.messages import NotificationMessage
from videohook.models.outcomes import ProviderOutcome
from videohook.ports import DeliveryAppend, DeliveryResult, UpstreamGeneration


def _log_is(length: int, job: Job) -> bool:
    return len(job.deliveries) == length


class InMemoryJobStore:
    """``item_size_limit``: refuse, as DynamoDB does past 400 KB, any update leaving a job
    larger than this (its JSON length stands in for the item's size)."""

    def __init__(self, item_size_limit: int | None = None) -> None:
        self.item_size_limit = item_size_limit
        self.jobs: dict[str, Job] = {}
        # Job ids the poller still owes work (the sparse pending index).
        self.pending: set[str] = set()
        self._lock = threading.Lock()

    def get(self, job_id: str) -> Job | None:
        return self.jobs.get(job_id)

    def get_for_owner(self, job_id: str, owner_id: str) -> Job:
        job = self.jobs.get(job_id)
        if job is None or job.owner_id != owner_id:
            raise JobNotFound(f"No generation with id {job_id!r}")
        return job

    def due_jobs(self, now: int, limit: int) -> list[Job]:
        due = [self.jobs[i] for i in self.pending if (self.jobs[i].next_check_at or 0) <= now]
        return sorted(due, key=lambda job: job.next_check_at or 0)[:limit]

    def usage_of(self, owner_id: str, *, created_from: str, created_to: str) -> Iterator[JobSummary]:
        for job in self.jobs.values():
            if job.owner_id == owner_id and created_from <= job.created_at <= created_to:
                yield JobSummary(status=job.status.value, model=job.model, usage=job.usage)

    def insert(self, job: Job) -> bool:
        with self._lock:
            if job.job_id in self.jobs:
                return False
            self.jobs[job.job_id] = job
            if job.next_check_at is not None:
                self.pending.add(job.job_id)
            return True

    def mark_submitted(
        self,
        job_id: str,
        *,
        upstream_id: str,
        upstream_status: str,
        next_check_at: int,
        updated_at: str,
        usage: Usage | None = None,
    ) -> Job | None:
        return self._update(
            job_id,
            lambda job: job.status is JobStatus.SUBMITTING,
            status=JobStatus.QUEUED,
            upstream_id=upstream_id,
            upstream_status=upstream_status,
            next_check_at=next_check_at,
            updated_at=updated_at,
            **({"usage": usage} if usage is not None and not usage.is_empty else {}),
        )

    def discard_submission(self, job_id: str) -> None:
        with self._lock:
            job = self.jobs.get(job_id)
            if job is not None and job.status is JobStatus.SUBMITTING:
                del self.jobs[job_id]
                self.pending.discard(job_id)

    def claim(self, job_id: str, owner: str, now: int, lease_seconds: int) -> Job | None:
        return self._update(
            job_id,
            lambda job: (
                job_id in self.pending and (job.lease_expires_at is None or job.lease_expires_at <= now)
            ),
            lease_owner=owner,
            lease_expires_at=now + lease_seconds,
        )

    def check_in(
        self, job: Job, *, now: int, next_check_at: int, upstream_status: str, updated_at: str
    ) -> Job | None:
        return self._update(
            job.job_id,
            lambda current: (
                current.next_check_at == job.next_check_at
                and current.status is job.status
                and current.outbox_event is None
                and (current.lease_expires_at is None or current.lease_expires_at <= now)
            ),
            next_check_at=next_check_at,
            upstream_status=upstream_status,
            updated_at=updated_at,
            poll_count=job.poll_count + 1,
            lease_owner=None,
            lease_expires_at=None,
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
        current = self.jobs.get(job_id)
        changes: dict[str, Any] = {
            "next_check_at": next_check_at,
            "upstream_status": upstream_status,
            "status": status,
            "updated_at": updated_at,
            "poll_count": (current.poll_count if current else 0) + 1,
        }
        if status is JobStatus.GENERATING and current is not None and current.started_at is None:
            changes["started_at"] = updated_at
        if event is None:
            changes.update(lease_owner=None, lease_expires_at=None)
        else:
            changes.update(outbox_event=event, callback_status=CallbackStatus.PENDING)
        return self._update(
            job_id, lambda job: job.lease_owner == owner and job.status in IN_FLIGHT_STATUSES, **changes
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
        changes: dict[str, Any] = {
            "status": status,
            "finished_at": finished_at,
            "updated_at": finished_at,
            "upstream_status": upstream_status or status.value,
        }
        changes.update(next_check_at=now, expires_at=expires_at)
        if event is not None:
            changes.update(outbox_event=event, callback_status=CallbackStatus.PENDING)
        if video is not None:
            changes["video"] = video
        if error is not None:
            changes["error"] = error
        if usage is not None and not usage.is_empty:
            changes["usage"] = usage
        return self._update(
            job_id, lambda job: job.lease_owner == owner and job.status in sources_of(status), **changes
        )

    def mark_notification_queued(
        self, job_id: str, owner: str, *, event: EventType, queued_at: str, expires_at: int | None
    ) -> Job | None:
        changes: dict[str, Any] = {
            "notification_queued_at": queued_at,
            "notified_event": event,
            "outbox_event": None,
            "lease_owner": None,
            "lease_expires_at": None,
        }
        if expires_at is not None:
            changes.update(expires_at=expires_at, next_check_at=None)
        queued = self._update(
            job_id, lambda job: job.lease_owner == owner and job.outbox_event == event, **changes
        )
        if queued is not None and expires_at is not None:
            self.pending.discard(job_id)
        return queued

    def mark_event_published(
        self, job_id: str, owner: str, *, event: EventType, published_at: str, done: bool
    ) -> Job | None:
        changes: dict[str, Any] = {"published_event": event}
        if done:
            changes.update(next_check_at=None, lease_owner=None, lease_expires_at=None)
        published = self._update(
            job_id, lambda job: job.lease_owner == owner and job.published_event is None, **changes
        )
        if published is not None and done:
            self.pending.discard(job_id)
        return published

    def release(self, job_id: str, owner: str) -> None:
        self._update(job_id, lambda job: job.lease_owner == owner, lease_owner=None, lease_expires_at=None)

    def shed_bulk(self, job_id: str, *, input_summary: dict[str, Any]) -> None:
        with self._lock:
            job = self.jobs.get(job_id)
            if job is not None and job_id in self.pending:
                self.jobs[job_id] = job.replace(deliveries=[], input=input_summary)

    def take_redelivery(self, job_id: str, *, now: int, window_seconds: int, limit: int) -> int | None:
        with self._lock:
            job = self.jobs[job_id]
            start = job.redelivery_window_start
            if start is None or start <= now - window_seconds:
                self.jobs[job_id] = job.replace(redelivery_window_start=now, redeliveries_in_window=1)
                return None
            if job.redeliveries_in_window < limit:
                self.jobs[job_id] = job.replace(redeliveries_in_window=job.redeliveries_in_window + 1)
                return None
            return start + window_seconds

    def append_delivery(
        self, job_id: str, attempt: DeliveryAttempt, *, callback_status: CallbackStatus | None
    ) -> DeliveryAppend:
        while True:
            job = self.jobs.get(job_id)
            if job is None or len(job.deliveries) >= MAX_ATTEMPTS_KEPT:
                return DeliveryAppend(appended=False, job=job)
            changes: dict[str, Any] = {"deliveries": [*job.deliveries, attempt]}
            if callback_status is not None:
                changes["callback_status"] = callback_status
            # The append holds only on the log as read: DynamoDB's list_append is atomic.
            if self._update(job_id, partial(_log_is, len(job.deliveries)), **changes):
                return DeliveryAppend(appended=True)

    def record_delivery(
        self,
        job_id: str,
        deliveries: list[DeliveryAttempt],
        *,
        omitted: int,
        callback_status: CallbackStatus | None,
        read: tuple[int, int],
    ) -> bool:
        changes: dict[str, Any] = {"deliveries": deliveries, "deliveries_omitted": omitted}
        if callback_status is not None:
            changes["callback_status"] = callback_status
        unchanged = lambda job: (len(job.deliveries), job.deliveries_omitted) == read  # noqa: E731
        return self._update(job_id, unchanged, **changes) is not None

    def _update(self, job_id: str, condition: Callable[[Job], bool], **changes: Any) -> Job | None:
        with self._lock:
            job = self.jobs.get(job_id)
            if job is None or not condition(job):
                return None
            updated = job.replace(**changes)
            if self.item_size_limit is not None and len(updated.to_json()) > self.item_size_limit:
                raise JobItemTooLarge("Could not update the job: the item is over the size limit")
            self.jobs[job_id] = updated
            return updated


@dataclass
class InMemoryPollWork:
    """The poll workers' queue: each dispatched batch of job ids, in order."""

    batches: list[list[str]] = field(default_factory=list)

    def dispatch(self, job_ids: list[str]) -> None:
        self.batches.append(list(job_ids))


@dataclass
class ScriptedUpstream:
    """The provider, answering each retrieve from a script: ``answers[upstream_id]`` is the
    list of answers still to give (the last one repeats); an exception is raised."""

    answers: dict[str, list[UpstreamGeneration | UpstreamError]] = field(default_factory=dict)
    created: list[tuple[str, Mapping[str, Any]]] = field(default_factory=list)
    retrieved: list[str] = field(default_factory=list)

    def upstream_model(self, model: str) -> str:
        return f"vendor/{model}"

    def create(self, model: str, parameters: Mapping[str, Any]) -> UpstreamGeneration:
        self.created.append((model, parameters))
        return UpstreamGeneration(
            id=f"up-{len(self.created)}", status="queued", outcome=ProviderOutcome.QUEUED
        )

    def retrieve(self, model: str, generation_id: str) -> UpstreamGeneration:
        self.retrieved.append(generation_id)
        script = self.answers[generation_id]
        answer = script.pop(0) if len(script) > 1 else script[0]
        if isinstance(answer, UpstreamError):
            raise answer
        return answer

    def will_answer(self, generation_id: str, *answers: UpstreamGeneration | UpstreamError) -> None:
        self.answers[generation_id] = list(answers)


def said(
    outcome: ProviderOutcome, status: str, *, video_url: str | None = None, error: str | None = None
) -> UpstreamGeneration:
    return UpstreamGeneration(id="", status=status, outcome=outcome, video_url=video_url, error_message=error)


@dataclass
class InMemoryVideoStorage:
    objects: dict[str, StoredVideo] = field(default_factory=dict)
    copies: list[str] = field(default_factory=list)
    manifests: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Raised by the next copies, in order (then copies succeed).
    failures: list[Exception] = field(default_factory=list)

    def key_for(self, job_id: str) -> str:
        return f"videos/{job_id}.mp4"

    def copy_from_url(self, url: str, key: str, metadata: dict[str, str]) -> StoredVideo:
        if self.failures:
            raise self.failures.pop(0)
        self.copies.append(url)
        video = StoredVideo(bucket="videos", key=key, size=len(url), sha256="0" * 64)
        self.objects[key] = video
        return video

    def find_copy(self, key: str, upstream_id: str) -> StoredVideo | None:
        return self.objects.get(key)

    def presigned_url(self, video: StoredVideo, ttl_seconds: int) -> str:
        return f"https://videos.example.com/{video.key}?ttl={ttl_seconds}"

    def put_manifest(self, job_id: str, document: dict[str, Any]) -> None:
        self.manifests[job_id] = document


@dataclass
class RecordingEventBus:
    """The domain event bus: what was put, in order."""

    events: list[tuple[EventType, dict[str, Any]]] = field(default_factory=list)

    def publish(self, event: EventType, detail: dict[str, Any]) -> None:
        self.events.append((event, detail))


@dataclass
class InMemoryQueue:
    sent: list[tuple[NotificationMessage, str]] = field(default_factory=list)
    buried: list[NotificationMessage] = field(default_factory=list)
    delays: list[tuple[str, int]] = field(default_factory=list)
    released: list[str] = field(default_factory=list)

    def send(self, message: NotificationMessage, *, deduplication_id: str) -> None:
        self.sent.append((message, deduplication_id))

    def bury(self, message: NotificationMessage, message_id: str) -> None:
        self.buried.append(message)

    def retry_later(self, receipt_handle: str, delay_seconds: int) -> None:
        self.delays.append((receipt_handle, delay_seconds))

    def release(self, receipt_handles: list[str]) -> None:
        self.released.extend(receipt_handles)


@dataclass
class RecordingTransport:
    """A webhook receiver that answers from a script (status codes, or an error text for
    a transport failure) and records what it was sent."""

    answers: list[int | str] = field(default_factory=lambda: [200])
    posts: list[tuple[str, str, bytes, dict[str, str]]] = field(default_factory=list)

    def post(self, url: str, address: str, body: bytes, headers: dict[str, str]) -> DeliveryResult:
        self.posts.append((url, address, body, headers))
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, str):
            return DeliveryResult(status_code=None, duration_ms=1, error=answer)
        return DeliveryResult(status_code=answer, duration_ms=1)


def pacing_for(timing: Timing, *, model: str = "runway/gen4_turbo", scale: float = 1.0) -> Pacing:
    """The real catalog's ``model`` (and its aliases) with ``timing`` instead of its own."""
    catalog = Catalog.load()
    spec = catalog.get(model)
    assert spec is not None
    return Pacing(
        catalog=Catalog({spec.id: replace(spec, timing=timing)}), scale=scale, fallback=catalog.default_timing
    )


class InMemoryClientSecretStore:
    def __init__(self) -> None:
        self.clients: dict[str, ClientSecrets] = {}
        self.reads = 0

    def get(self, owner_id: str) -> ClientSecrets | None:
        self.reads += 1
        return self.clients.get(owner_id)

    def create(self, secrets: ClientSecrets) -> bool:
        return self.clients.setdefault(secrets.owner_id, secrets) is secrets

    def replace(self, secrets: ClientSecrets, *, expected_current: str) -> bool:
        existing = self.clients.get(secrets.owner_id)
        if existing is None or existing.current != expected_current:
            return False
        self.clients[secrets.owner_id] = secrets
        return True

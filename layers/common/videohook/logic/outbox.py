"""The poller's outbox: what a transition owes the world once its write has landed (the
video's manifest and the domain event on the bus, then the client's notification), sent in
an order that a run dying between any two steps can only repeat, never skip.

Every step is keyed so a repeat is harmless: the manifest is overwritten, the bus event
carries the same ``event_id`` (consumers dedupe on it), and the FIFO queue drops a second
notification with the same deduplication id.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from videohook.models.clock import iso
from videohook.models.jobs import Job, webhook_id
from videohook.models.lifecycle import EVENT_FOR_STATUS
from videohook.ports import DomainEvents, JobStore, NotificationQueue, VideoStorage
from videohook.views import domain_event_detail, notification_for


class Outbox:
    def __init__(
        self,
        *,
        jobs: JobStore,
        queue: NotificationQueue,
        events: DomainEvents,
        videos: VideoStorage,
        clock: Callable[[], datetime],
        retention_days: int,
    ) -> None:
        self._jobs = jobs
        self._queue = queue
        self._events = events
        self._videos = videos
        self._clock = clock
        self._retention_days = retention_days

    def publish(self, job: Job, owner: str, *, resent: bool = False) -> None:
        """Send what ``job`` (held under ``owner``'s lease) still owes, recording each step.
        ``resent``: a later run found the event still owed, so an earlier send may have gone
        out (and been delivered) already."""
        if job.owes_domain_event:
            announced = self.announce(job, owner)
            if announced is None:
                return  # the lease was lost: its new owner publishes
            job = announced
        event = job.outbox_event
        if event is None:
            return
        # The event id doubles as the queue's deduplication id: a run that dies after this
        # send and before the write below sends it again, and the FIFO queue drops the copy.
        message = notification_for(job, event, resent=resent)
        self._queue.send(message, deduplication_id=webhook_id(job.job_id, event))
        self._jobs.mark_notification_queued(
            job.job_id,
            owner,
            event=event,
            queued_at=iso(self._clock()),
            expires_at=self.expiry() if job.is_terminal else None,
        )

    def announce(self, job: Job, owner: str) -> Job | None:
        """The manifest beside the video, then the bus event, then its record on the job (a
        conditional write under the lease). A run that dies before the record puts the event
        again on the next run, with the same ``event_id``; after it, never again."""
        event = EVENT_FOR_STATUS[job.status]
        detail = domain_event_detail(job, event)
        if job.video is not None:
            self._videos.put_manifest(job.job_id, detail)
        self._events.publish(event, detail)
        return self._jobs.mark_event_published(
            job.job_id, owner, event=event, published_at=iso(self._clock()), done=job.outbox_event is None
        )

    def expiry(self) -> int:
        """When a finished job may be deleted by DynamoDB's TTL."""
        return int((self._clock() + timedelta(days=self._retention_days)).timestamp())

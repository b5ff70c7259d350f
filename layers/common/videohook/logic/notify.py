"""Delivering one callback attempt, and deciding what happens after it.

Retries belong to SQS: a failed attempt hides its message for the next delay of the
schedule (no Lambda sleeps) and reports the record as failed; once the schedule is spent
the notifier moves the message to the dead-letter queue and the job records
``callback_failed``.
"""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from aws_lambda_powertools.metrics import MetricUnit

from videohook.errors import CallbackHostUnresolvable, CallbackUrlRejected
from videohook.models.clock import iso, utc_now
from videohook.models.jobs import DeliveryAttempt, Job, webhook_id
from videohook.models.lifecycle import CallbackStatus, EventType
from videohook.models.messages import NotificationMessage
from videohook.models.outcomes import DeliveryOutcome
from videohook.observability import logger, metrics
from videohook.ports import (
    CallbackSigner,
    CallbackUrlChecker,
    DeliveryResult,
    JobStore,
    NotificationQueue,
    VideoStorage,
    WebhookTransport,
)
from videohook.settings import MAX_SQS_VISIBILITY_SECONDS
from videohook.views import event_payload

# SQS caps a message's visibility at 12 h from when it was received, so the delay set at the
# end of an attempt must leave room for the attempt itself.
MAX_RETRY_DELAY_SECONDS = MAX_SQS_VISIBILITY_SECONDS - 300

# A receiver's Retry-After may stretch or shrink a delay, but only this far from the plan.
RETRY_AFTER_CLAMP = (0.5, 2.0)
JITTER = 0.1


# The records of a batch are delivered on threads at once; Powertools' metric set is a plain
# dict, so two first counts of one name at the same moment could lose one.
_metrics_lock = threading.Lock()


class DeliveryRetryScheduled(Exception):
    """The attempt failed and the message will come back after ``delay_seconds``."""

    def __init__(self, delay_seconds: int) -> None:
        super().__init__(f"callback delivery failed; retrying in {delay_seconds} s")
        self.delay_seconds = delay_seconds


@dataclass(frozen=True)
class NotifySettings:
    retry_delays: tuple[int, ...]
    presigned_url_ttl_seconds: int


def retry_delay(attempt: int, delays: tuple[int, ...], retry_after: float | None) -> int | None:
    """Seconds before attempt ``attempt + 1``, or None when the schedule is spent."""
    if attempt > len(delays):
        return None
    planned = delays[attempt - 1]
    if retry_after is not None:
        low, high = RETRY_AFTER_CLAMP
        planned = int(min(max(retry_after, planned * low), planned * high))
    jittered = round(planned * random.uniform(1 - JITTER, 1 + JITTER))
    return max(0, min(jittered, MAX_RETRY_DELAY_SECONDS))


class Notifier:
    def __init__(
        self,
        *,
        jobs: JobStore,
        queue: NotificationQueue,
        videos: VideoStorage,
        transport: WebhookTransport,
        # The job's owner's signer: each client verifies with its own secret only.
        signer: Callable[[str], CallbackSigner],
        guard: CallbackUrlChecker,
        settings: NotifySettings,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._jobs = jobs
        self._queue = queue
        self._videos = videos
        self._transport = transport
        self._signer = signer
        self._guard = guard
        self._settings = settings
        self._clock = clock

    def deliver(
        self, message: NotificationMessage, *, message_id: str, receipt_handle: str
    ) -> DeliveryOutcome:
        """One attempt. Returns the outcome, or raises ``DeliveryRetryScheduled`` so the batch
        reports the record as failed and SQS brings it back after the delay."""
        job = self._jobs.get(message.job_id)
        if job is None:
            logger.warning("Notification for a job that no longer exists", extra={"job_id": message.job_id})
            return DeliveryOutcome.DROPPED
        if not message.redelivery and job.delivered(message.event_type):
            return DeliveryOutcome.DUPLICATE
        # Counted on the job, per queue message: SQS's receive count also counts receives in
        # which a FIFO message was skipped behind a failing one of its group.
        attempt = 1 + job.attempts_for(message_id)

        started = self._clock()
        try:
            # Checked again at every attempt: the host's DNS may have changed since submit.
            addresses = self._guard.check(job.callback_url)
            result = self._send(job, message.event_type, addresses[0])
        except CallbackHostUnresolvable as exc:
            result = DeliveryResult(status_code=None, duration_ms=0, error=exc.message)
        except CallbackUrlRejected as exc:
            result = DeliveryResult(status_code=None, duration_ms=0, error=exc.message, refused=True)
        record = partial(self._record, job, message.event_type, message_id, attempt, started, result)
        if result.refused:
            record(None, CallbackStatus.FAILED)
            with _metrics_lock:
                metrics.add_metric(name="CallbackDeliveryFailed", unit=MetricUnit.Count, value=1)
            return DeliveryOutcome.REFUSED
        if result.succeeded:
            record(None, CallbackStatus.DELIVERED)
            with _metrics_lock:
                metrics.add_metric(name="CallbackDelivered", unit=MetricUnit.Count, value=1)
            return DeliveryOutcome.DELIVERED
        if result.status_code == 410:
            record(None, CallbackStatus.GONE)
            return DeliveryOutcome.GONE

        delay = retry_delay(attempt, self._settings.retry_delays, result.retry_after_seconds)
        if delay is None:
            record(None, CallbackStatus.FAILED)
            with _metrics_lock:
                metrics.add_metric(name="CallbackDeliveryFailed", unit=MetricUnit.Count, value=1)
            logger.error(
                "Callback delivery gave up; message goes to the dead-letter queue",
                extra={"job_id": job.job_id, "attempts": attempt},
            )
            self._queue.bury(message, message_id)
            return DeliveryOutcome.DEAD_LETTERED
        record(started + timedelta(seconds=delay), None)
        self._queue.retry_later(receipt_handle, delay)
        raise DeliveryRetryScheduled(delay)

    def _send(self, job: Job, event_type: EventType, address: str) -> DeliveryResult:
        video_url = (
            self._videos.presigned_url(job.video, self._settings.presigned_url_ttl_seconds)
            if job.video is not None
            else None
        )
        body = json.dumps(event_payload(job, event_type, video_url=video_url), separators=(",", ":"))
        encoded = body.encode()
        # Each attempt is signed afresh: a receiver rejects stale timestamps.
        timestamp = int(self._clock().timestamp())
        headers = self._signer(job.owner_id).headers(webhook_id(job.job_id, event_type), timestamp, encoded)
        return self._transport.post(job.callback_url, address, encoded, headers)

    def _append_to_log(
        self, job: Job, record: DeliveryAttempt, callback_status: CallbackStatus | None
    ) -> None:
        """One conditional write; read again only if the log changed since it was read (one
        message per job is in flight, so that is a notifier whose time ran out)."""
        current: Job | None = job
        while current is not None:
            deliveries, omitted = current.log_with(record)
            read = (len(current.deliveries), current.deliveries_omitted)
            stored = self._jobs.record_delivery(
                job.job_id, deliveries, omitted=omitted, callback_status=callback_status, read=read
            )
            if stored:
                return
            current = self._jobs.get(job.job_id)

    def _record(
        self,
        job: Job,
        event_type: EventType,
        message_id: str,
        attempt: int,
        started: datetime,
        result: DeliveryResult,
        next_retry: datetime | None,
        callback_status: CallbackStatus | None,
    ) -> None:
        record = DeliveryAttempt(
            event_type=event_type,
            message_id=message_id,
            attempt=attempt,
            at=iso(started),
            duration_ms=result.duration_ms,
            status_code=result.status_code,
            error=result.error,
            next_retry_at=iso(next_retry) if next_retry else None,
        )
        self._append_to_log(job, record, callback_status)
        with _metrics_lock:
            metrics.add_metric(name="CallbackAttempt", unit=MetricUnit.Count, value=1)
        logger.info(
            "Callback attempt",
            extra={
                "job_id": job.job_id,
                "event_type": event_type.value,
                "attempt": attempt,
                "status_code": result.status_code,
                "error": result.error,
            },
        )

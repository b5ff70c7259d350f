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
from videohook.models.jobs import DeliveryAttempt, webhook_id
from videohook.models.lifecycle import CallbackStatus
from videohook.models.messages import CallbackSnapshot, NotificationMessage
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
from videohook.views import callback_body, callback_snapshot, snapshot_video

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
        self, message: NotificationMessage, *, message_id: str, receipt_handle: str, receive_count: int = 1
    ) -> DeliveryOutcome:
        """One attempt. Returns the outcome, or raises ``DeliveryRetryScheduled`` so the batch
        reports the record as failed and SQS brings it back after the delay.

        A message's first receive carries everything its first attempt needs, so it costs one
        DynamoDB call: the write that records the attempt. It cannot have been delivered
        before: FIFO hands a message out once per receive, a repeat of the poller's send is
        dropped by the queue's deduplication, and one sent again later says so (``resent``).
        Any other receive reads the job first: an earlier receive may have delivered it."""
        if message.callback is not None and receive_count == 1 and not message.resent:
            return self._attempt(message, message.callback, message_id, receipt_handle, attempt=1)
        job = self._jobs.get(message.job_id)
        if job is None:
            logger.warning("Notification for a job that no longer exists", extra={"job_id": message.job_id})
            return DeliveryOutcome.DROPPED
        if not message.redelivery and job.delivered(message.event_type):
            return DeliveryOutcome.DUPLICATE
        # Counted on the job, per queue message: SQS's receive count also counts receives in
        # which a FIFO message was skipped behind a failing one of its group.
        attempt = 1 + job.attempts_for(message_id)
        callback = message.callback or callback_snapshot(job, message.event_type)
        return self._attempt(message, callback, message_id, receipt_handle, attempt=attempt)

    def _attempt(
        self,
        message: NotificationMessage,
        callback: CallbackSnapshot,
        message_id: str,
        receipt_handle: str,
        *,
        attempt: int,
    ) -> DeliveryOutcome:
        started = self._clock()
        try:
            # Checked again at every attempt: the host's DNS may have changed since submit.
            addresses = self._guard.check(callback.url)
            result = self._send(message, callback, addresses[0])
        except CallbackHostUnresolvable as exc:
            result = DeliveryResult(status_code=None, duration_ms=0, error=exc.message)
        except CallbackUrlRejected as exc:
            result = DeliveryResult(status_code=None, duration_ms=0, error=exc.message, refused=True)
        record = partial(self._record, message, message_id, attempt, started, result)
        if result.refused:
            if not record(None, CallbackStatus.FAILED):
                return DeliveryOutcome.DROPPED
            with _metrics_lock:
                metrics.add_metric(name="CallbackDeliveryFailed", unit=MetricUnit.Count, value=1)
            return DeliveryOutcome.REFUSED
        if result.succeeded:
            if not record(None, CallbackStatus.DELIVERED):
                return DeliveryOutcome.DROPPED
            with _metrics_lock:
                metrics.add_metric(name="CallbackDelivered", unit=MetricUnit.Count, value=1)
            return DeliveryOutcome.DELIVERED
        if result.status_code == 410:
            return DeliveryOutcome.GONE if record(None, CallbackStatus.GONE) else DeliveryOutcome.DROPPED

        delay = retry_delay(attempt, self._settings.retry_delays, result.retry_after_seconds)
        if delay is None:
            if not record(None, CallbackStatus.FAILED):
                return DeliveryOutcome.DROPPED
            with _metrics_lock:
                metrics.add_metric(name="CallbackDeliveryFailed", unit=MetricUnit.Count, value=1)
            logger.error(
                "Callback delivery gave up; message goes to the dead-letter queue",
                extra={"job_id": message.job_id, "attempts": attempt},
            )
            self._queue.bury(message, message_id)
            return DeliveryOutcome.DEAD_LETTERED
        if not record(started + timedelta(seconds=delay), None):
            return DeliveryOutcome.DROPPED
        self._queue.retry_later(receipt_handle, delay)
        raise DeliveryRetryScheduled(delay)

    def _send(self, message: NotificationMessage, callback: CallbackSnapshot, address: str) -> DeliveryResult:
        video = snapshot_video(callback)
        video_url = (
            self._videos.presigned_url(video, self._settings.presigned_url_ttl_seconds)
            if video is not None
            else None
        )
        body = json.dumps(callback_body(callback, video_url), separators=(",", ":"))
        encoded = body.encode()
        # Each attempt is signed afresh: a receiver rejects stale timestamps.
        timestamp = int(self._clock().timestamp())
        event_id = webhook_id(message.job_id, message.event_type)
        headers = self._signer(callback.owner_id).headers(event_id, timestamp, encoded)
        return self._transport.post(callback.url, address, encoded, headers)

    def _store(self, job_id: str, record: DeliveryAttempt, callback_status: CallbackStatus | None) -> bool:
        """Append the attempt in one write while the log has room; once it is full, cap it
        with a conditional rewrite of the log as last read (one message per job is in
        flight, so a lost race means a notifier whose time ran out). False if the job is
        gone."""
        appended = self._jobs.append_delivery(job_id, record, callback_status=callback_status)
        current = appended.job
        if appended.appended:
            return True
        while current is not None:
            deliveries, omitted = current.log_with(record)
            read = (len(current.deliveries), current.deliveries_omitted)
            if self._jobs.record_delivery(
                job_id, deliveries, omitted=omitted, callback_status=callback_status, read=read
            ):
                return True
            current = self._jobs.get(job_id)
        logger.warning("Callback attempt for a job that no longer exists", extra={"job_id": job_id})
        return False

    def _record(
        self,
        message: NotificationMessage,
        message_id: str,
        attempt: int,
        started: datetime,
        result: DeliveryResult,
        next_retry: datetime | None,
        callback_status: CallbackStatus | None,
    ) -> bool:
        record = DeliveryAttempt(
            event_type=message.event_type,
            message_id=message_id,
            attempt=attempt,
            at=iso(started),
            duration_ms=result.duration_ms,
            status_code=result.status_code,
            error=result.error,
            next_retry_at=iso(next_retry) if next_retry else None,
        )
        stored = self._store(message.job_id, record, callback_status)
        with _metrics_lock:
            metrics.add_metric(name="CallbackAttempt", unit=MetricUnit.Count, value=1)
        # A delivered attempt is in the job's log and the CallbackDelivered metric; a log line
        # each (a Powertools JSON line costs about as much CPU as the POST) is for debugging.
        log = logger.debug if result.succeeded else logger.info
        log(
            "Callback attempt",
            extra={
                "job_id": message.job_id,
                "event_type": message.event_type.value,
                "attempt": attempt,
                "status_code": result.status_code,
                "error": result.error,
            },
        )
        return stored

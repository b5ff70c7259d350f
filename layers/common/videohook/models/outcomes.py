"""Closed vocabularies. Each value is shown to clients or becomes a metric name, so each
is written once, here, and never as a string literal elsewhere."""

from __future__ import annotations

from enum import StrEnum


class FailureReason(StrEnum):
    """``error.code`` of a failed job (also the ``Reason`` dimension of its metric)."""

    # The submit died between the upstream create and recording the upstream id.
    SUBMIT_INTERRUPTED = "submit_interrupted"
    UPSTREAM_NOT_FOUND = "upstream_not_found"
    GENERATION_FAILED = "generation_failed"
    NO_VIDEO = "no_video"
    VIDEO_EXPIRED = "video_expired"
    VIDEO_COPY_FAILED = "video_copy_failed"
    TIMED_OUT = "timed_out"
    # The job's stored item grew past what the database can update (its bulk was shed).
    JOB_TOO_LARGE = "job_too_large"


class SweepOutcome(StrEnum):
    """What one poller step did with one job; counted as ``Jobs<Outcome>`` metrics."""

    SKIPPED = "skipped"
    RECOVERED = "recovered"
    IN_FLIGHT = "in_flight"
    COMPLETED = "completed"
    FAILED = "failed"
    LOST_LEASE = "lost_lease"
    DEFERRED = "deferred"
    ERRORED = "errored"
    # Handed to the poll workers (fan-out) because this invocation could not check it in time.
    DISPATCHED = "dispatched"

    @property
    def metric_name(self) -> str:
        return "Jobs" + self.value.title().replace("_", "")


class DeliveryOutcome(StrEnum):
    """What one notifier step did with one queue message."""

    DELIVERED = "delivered"
    DUPLICATE = "duplicate"
    DROPPED = "dropped"
    REFUSED = "refused"
    GONE = "gone"
    DEAD_LETTERED = "dead_lettered"


class ProviderOutcome(StrEnum):
    """What the provider's status word means, in the service's terms. Only the provider
    adapter knows the words; the logic sees these."""

    QUEUED = "queued"
    STARTED = "started"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    # A word nobody has seen: treated as in flight until the job's age limit.
    UNKNOWN = "unknown"

"""The one place configuration is read: environment variables, validated at cold start.

Domain code never touches ``os.environ``; it is handed plain values from a ``Settings``.

A plain pydantic model reads the environment itself rather than through pydantic-settings:
every variable here is a scalar or a comma-separated list, and pydantic-settings' sources
cost a cold start tens of milliseconds (docs/performance.md, "Cold start").
"""

from __future__ import annotations

import os
from functools import cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator

from videohook.callback_guard import DEFAULT_CALLBACK_PORTS
from videohook.models.jobs import LATEST_ATTEMPTS_KEPT

# The delivery specialists' schedule: about 27 hours of retries in all.
DEFAULT_CALLBACK_RETRY_DELAYS = (5, 300, 1800, 7200, 18000, 36000, 36000)

# SQS cannot hide a message for longer than 12 hours.
MAX_SQS_VISIBILITY_SECONDS = 43_200


class Settings(BaseModel):
    """Each field is the environment variable of the same name in capitals (any case is
    read); values passed to the constructor take precedence over the environment."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    jobs_table_name: str = Field(min_length=3)
    videos_bucket_name: str = Field(min_length=3)
    notify_queue_url: str = Field(min_length=1)
    notify_dead_letter_queue_url: str = Field(min_length=1)
    idempotency_table_name: str = Field(min_length=3)
    # The service's own EventBridge bus: one domain event per finished job.
    event_bus_name: str = Field(min_length=1)

    aimlapi_base_url: HttpUrl = HttpUrl("https://api.aimlapi.com")
    aimlapi_api_key_secret_id: str = Field(min_length=1)
    # Each client's webhook signing secrets, keyed by API key id.
    clients_table_name: str = Field(min_length=3)

    # Local mode relaxes exactly one rule: plain-http callbacks to loopback receivers.
    local_mode: bool = False

    upstream_timeout_seconds: float = Field(default=15.0, gt=0, le=60)
    upstream_max_attempts: int = Field(default=3, ge=1, le=10)
    upstream_backoff_base_seconds: float = Field(default=0.5, ge=0, le=30)
    # One provider call, retries included, ends within this (the submit function has 25 s).
    upstream_budget_seconds: float = Field(default=22.0, gt=0)

    poll_batch_size: int = Field(default=100, ge=1, le=1000)
    poll_concurrency: int = Field(default=8, ge=1, le=64)
    # Longer than the poller's timeout (120 s), so a live owner never loses its lease, and short
    # enough that a dead run's job is taken over inside SQS FIFO's 5-minute deduplication window.
    poll_lease_seconds: int = Field(default=180, ge=5)
    # Each model's first check and check intervals come from the catalog, times this scale
    # (0 checks every job at every tick: the local stack and the tests).
    poll_pacing_scale: float = Field(default=1.0, ge=0, le=10)
    # The longest wait between two checks of a job after its first: the bound on how late a
    # finished generation is noticed (the catalog's longer intervals are cut to it).
    poll_max_check_interval_seconds: float = Field(default=6.0, gt=0)
    # How long one poller invocation keeps taking due jobs (0: a single round). The template
    # sets it just under the schedule's minute so invocations follow each other without a gap.
    poll_loop_seconds: float = Field(default=0.0, ge=0, le=840)
    # The pause between two rounds that found nothing due.
    poll_idle_wait_seconds: float = Field(default=1.0, gt=0, le=10)
    # The poll workers' queue (fan-out); empty: one invocation checks everything itself.
    poll_work_queue_url: str = ""
    # Due jobs beyond POLL_BATCH_SIZE one round hands to the workers at most.
    poll_fanout_max_jobs: int = Field(default=5000, ge=0, le=50_000)
    # Job ids in one work queue message (one worker batch item).
    poll_work_message_jobs: int = Field(default=25, ge=1, le=500)
    # Shards of the pending index (template parameter PendingPartitions); only ever raised.
    pending_partitions: int = Field(default=1, ge=1, le=64)
    # Stop taking new jobs when the Lambda has less than this left.
    poll_deadline_margin_seconds: float = Field(default=20.0, ge=0)
    # The age limit of a job whose model has left the catalog (the others' come from it).
    job_max_age_seconds: int = Field(default=7200, ge=60)
    # Longer than the submit function's timeout: a job still "submitting" after this died.
    submit_grace_seconds: int = Field(default=120, ge=0)
    video_download_timeout_seconds: float = Field(default=30.0, gt=0)

    callback_timeout_seconds: float = Field(default=10.0, gt=0, le=30)
    callback_retry_delays: tuple[int, ...] = DEFAULT_CALLBACK_RETRY_DELAYS
    # The ports a callback URL may name (comma-separated); loopback receivers in local mode
    # may use any.
    callback_ports: tuple[int, ...] = DEFAULT_CALLBACK_PORTS

    presigned_url_ttl_seconds: int = Field(default=3600, ge=60, le=604_800)
    job_retention_days: int = Field(default=30, ge=1)
    secrets_max_age_seconds: int = Field(default=300, ge=0)

    def __init__(self, **values: Any) -> None:
        super().__init__(**{**_environment(type(self).model_fields), **values})

    @field_validator("callback_retry_delays", "callback_ports", mode="before")
    @classmethod
    def _parse_numbers(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [part.strip() for part in value.split(",") if part.strip()]
            try:
                return tuple(int(part) for part in parts)
            except ValueError as exc:
                raise ValueError("must be comma-separated whole numbers, e.g. 5,300,1800") from exc
        return value

    @field_validator("callback_retry_delays")
    @classmethod
    def _check_delays(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if not value:
            raise ValueError("needs at least one delay")
        if any(delay < 0 or delay > MAX_SQS_VISIBILITY_SECONDS for delay in value):
            raise ValueError(f"each delay must lie in 0..{MAX_SQS_VISIBILITY_SECONDS} seconds")
        # Attempts are numbered from the delivery log, which keeps the latest ones only.
        if len(value) >= LATEST_ATTEMPTS_KEPT:
            raise ValueError(f"at most {LATEST_ATTEMPTS_KEPT - 1} delays")
        return value

    @field_validator("callback_ports")
    @classmethod
    def _check_ports(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if not value or any(port < 1 or port > 65535 for port in value):
            raise ValueError("must be one or more ports in 1..65535")
        return value


def _environment(fields: dict[str, Any]) -> dict[str, str]:
    """The variables that name a field, case-insensitively, under the field's name."""
    return {name.lower(): value for name, value in os.environ.items() if name.lower() in fields}


@cache
def get_settings() -> Settings:
    return Settings()

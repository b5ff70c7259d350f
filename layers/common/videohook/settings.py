"""The one place configuration is read: environment variables, validated at cold start.

Domain code never touches ``os.environ``; it is handed plain values from a ``Settings``.

A frozen dataclass that reads the environment itself, rather than a pydantic(-settings)
model: every variable here is a scalar or a comma-separated list, and importing pydantic
alone costs a cold start 40-60 ms (docs/performance.md, "Cold start"). Each field declares
its limits next to its default; a bad or missing variable stops the cold start with every
problem named.
"""

from __future__ import annotations

import dataclasses
import os
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from videohook.callback_guard import DEFAULT_CALLBACK_PORTS
from videohook.models.jobs import LATEST_ATTEMPTS_KEPT

# The delivery specialists' schedule: about 27 hours of retries in all.
DEFAULT_CALLBACK_RETRY_DELAYS = (5, 300, 1800, 7200, 18000, 36000, 36000)

# SQS cannot hide a message for longer than 12 hours.
MAX_SQS_VISIBILITY_SECONDS = 43_200

TRUE_WORDS = frozenset({"1", "true", "t", "yes", "y", "on"})
FALSE_WORDS = frozenset({"0", "false", "f", "no", "n", "off"})


class SettingsError(ValueError):
    """Settings that cannot run the service: each problem names its variable."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = tuple(problems)
        listed = "; ".join(f"{name.upper()}: {reason}" for name, reason in problems)
        super().__init__(f"invalid settings: {listed}")

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.problems)


def setting(
    default: Any = dataclasses.MISSING,
    *,
    gt: float | None = None,
    ge: float | None = None,
    le: float | None = None,
    min_length: int | None = None,
) -> Any:
    """A field with the limits its value must keep (``gt``/``ge``/``le`` for numbers,
    ``min_length`` for text); without a default the variable is required."""
    limits = {"gt": gt, "ge": ge, "le": le, "min_length": min_length}
    return field(
        default=default, metadata={name: limit for name, limit in limits.items() if limit is not None}
    )


@dataclass(frozen=True, init=False)
class Settings:
    """Each field is the environment variable of the same name in capitals (any case is
    read); values passed to the constructor take precedence over the environment."""

    jobs_table_name: str = setting(min_length=3)
    videos_bucket_name: str = setting(min_length=3)
    notify_queue_url: str = setting(min_length=1)
    notify_dead_letter_queue_url: str = setting(min_length=1)
    idempotency_table_name: str = setting(min_length=3)
    # The service's own EventBridge bus: one domain event per finished job.
    event_bus_name: str = setting(min_length=1)

    # An http(s) URL with a host.
    aimlapi_base_url: str = "https://api.aimlapi.com"
    aimlapi_api_key_secret_id: str = setting(min_length=1)
    # Each client's webhook signing secrets, keyed by API key id.
    clients_table_name: str = setting(min_length=3)

    # Local mode relaxes exactly one rule: plain-http callbacks to loopback receivers.
    local_mode: bool = False

    upstream_timeout_seconds: float = setting(15.0, gt=0, le=60)
    upstream_max_attempts: int = setting(3, ge=1, le=10)
    upstream_backoff_base_seconds: float = setting(0.5, ge=0, le=30)
    # One provider call, retries included, ends within this (the submit function has 25 s).
    upstream_budget_seconds: float = setting(22.0, gt=0)

    poll_batch_size: int = setting(100, ge=1, le=1000)
    poll_concurrency: int = setting(8, ge=1, le=64)
    # Longer than the poller's timeout (120 s), so a live owner never loses its lease, and short
    # enough that a dead run's job is taken over inside SQS FIFO's 5-minute deduplication window.
    poll_lease_seconds: int = setting(180, ge=5)
    # Each model's first check and check intervals come from the catalog, times this scale
    # (0 checks every job at every tick: the local stack and the tests).
    poll_pacing_scale: float = setting(1.0, ge=0, le=10)
    # The longest wait between two checks of a job after its first: the bound on how late a
    # finished generation is noticed (the catalog's longer intervals are cut to it).
    poll_max_check_interval_seconds: float = setting(6.0, gt=0)
    # How long one poller invocation keeps taking due jobs (0: a single round). The template
    # sets it just under the schedule's minute so invocations follow each other without a gap.
    poll_loop_seconds: float = setting(0.0, ge=0, le=840)
    # The pause between two rounds that found nothing due.
    poll_idle_wait_seconds: float = setting(1.0, gt=0, le=10)
    # The poll workers' queue (fan-out); empty: one invocation checks everything itself.
    poll_work_queue_url: str = ""
    # Due jobs beyond POLL_BATCH_SIZE one round hands to the workers at most.
    poll_fanout_max_jobs: int = setting(5000, ge=0, le=50_000)
    # Job ids in one work queue message (one worker batch item).
    poll_work_message_jobs: int = setting(25, ge=1, le=500)
    # Shards of the pending index (template parameter PendingPartitions); after lowering it,
    # `make reshard-pending` moves the jobs of the shards above it.
    pending_partitions: int = setting(1, ge=1, le=64)
    # Stop taking new jobs when the Lambda has less than this left.
    poll_deadline_margin_seconds: float = setting(20.0, ge=0)
    # The age limit of a job whose model has left the catalog (the others' come from it).
    job_max_age_seconds: int = setting(7200, ge=60)
    # Longer than the submit function's timeout: a job still "submitting" after this died.
    submit_grace_seconds: int = setting(120, ge=0)
    video_download_timeout_seconds: float = setting(30.0, gt=0)

    callback_timeout_seconds: float = setting(10.0, gt=0, le=30)
    callback_retry_delays: tuple[int, ...] = DEFAULT_CALLBACK_RETRY_DELAYS
    # The ports a callback URL may name (comma-separated); loopback receivers in local mode
    # may use any.
    callback_ports: tuple[int, ...] = DEFAULT_CALLBACK_PORTS

    presigned_url_ttl_seconds: int = setting(3600, ge=60, le=604_800)
    job_retention_days: int = setting(30, ge=1)
    secrets_max_age_seconds: int = setting(300, ge=0)

    def __init__(self, **values: Any) -> None:
        kinds = _kinds(type(self))
        unknown = set(values) - set(kinds)
        if unknown:
            raise TypeError(f"Settings got unknown fields: {sorted(unknown)}")
        given = {**_environment(kinds), **values}
        problems: list[tuple[str, str]] = []
        for item in dataclasses.fields(self):
            try:
                value = _read(item, kinds[item.name], given)
                _check(item, value)
                _CHECKS.get(item.name, _unchecked)(value)
            except ValueError as exc:
                problems.append((item.name, str(exc)))
                continue
            object.__setattr__(self, item.name, value)
        if problems:
            raise SettingsError(problems)

    @classmethod
    def default(cls, name: str) -> Any:
        """The value a field takes when its variable is not set."""
        (found,) = [item for item in dataclasses.fields(cls) if item.name == name]
        return found.default


def _environment(fields: dict[str, Any]) -> dict[str, str]:
    """The variables that name a field, case-insensitively, under the field's name."""
    return {name.lower(): value for name, value in os.environ.items() if name.lower() in fields}


_KINDS: dict[str, Any] = {}


def _kinds(cls: type[Settings]) -> dict[str, Any]:
    """Each field's declared type, by name (worked out once)."""
    if not _KINDS:
        hints = typing.get_type_hints(cls)
        _KINDS.update((item.name, hints[item.name]) for item in dataclasses.fields(cls))
    return _KINDS


def _read(item: dataclasses.Field[Any], kind: Any, given: dict[str, Any]) -> Any:
    if item.name not in given:
        if item.default is dataclasses.MISSING:
            raise ValueError("required")
        return item.default
    value = given[item.name]
    if kind is bool:
        return _boolean(value)
    if kind in (int, float):
        return _number(value, kind)
    if kind == tuple[int, ...]:
        return _whole_numbers(value)
    if not isinstance(value, str):
        raise ValueError(f"must be text, got {type(value).__name__}")
    return value


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in TRUE_WORDS | FALSE_WORDS:
        return value.strip().lower() in TRUE_WORDS
    raise ValueError("must be true or false")


def _number(value: Any, kind: type[int] | type[float]) -> int | float:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f"must be a number, got {type(value).__name__}")
    if kind is int and isinstance(value, float) and not value.is_integer():
        raise ValueError("must be a whole number")
    try:
        return kind(value.strip() if isinstance(value, str) else value)
    except ValueError:
        raise ValueError("must be a whole number" if kind is int else "must be a number") from None


def _whole_numbers(value: Any) -> tuple[int, ...]:
    if isinstance(value, str):
        parts = [part.strip() for part in value.split(",") if part.strip()]
        try:
            return tuple(int(part) for part in parts)
        except ValueError:
            raise ValueError("must be comma-separated whole numbers, e.g. 5,300,1800") from None
    if isinstance(value, list | tuple) and all(isinstance(n, int) and not isinstance(n, bool) for n in value):
        return tuple(value)
    raise ValueError("must be whole numbers")


def _check(item: dataclasses.Field[Any], value: Any) -> None:
    limits = item.metadata
    if "min_length" in limits and len(value) < limits["min_length"]:
        raise ValueError(f"must be at least {limits['min_length']} characters")
    if "gt" in limits and not value > limits["gt"]:
        raise ValueError(f"must be greater than {limits['gt']}")
    if "ge" in limits and not value >= limits["ge"]:
        raise ValueError(f"must be at least {limits['ge']}")
    if "le" in limits and not value <= limits["le"]:
        raise ValueError(f"must be at most {limits['le']}")


def _unchecked(_value: Any) -> None:
    """The rule of fields whose limits say everything."""


def _check_base_url(value: str) -> None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http(s) URL with a host")


def _check_delays(value: tuple[int, ...]) -> None:
    if not value:
        raise ValueError("needs at least one delay")
    if any(delay < 0 or delay > MAX_SQS_VISIBILITY_SECONDS for delay in value):
        raise ValueError(f"each delay must lie in 0..{MAX_SQS_VISIBILITY_SECONDS} seconds")
    # Attempts are numbered from the delivery log, which keeps the latest ones only.
    if len(value) >= LATEST_ATTEMPTS_KEPT:
        raise ValueError(f"at most {LATEST_ATTEMPTS_KEPT - 1} delays")


def _check_ports(value: tuple[int, ...]) -> None:
    if not value or any(port < 1 or port > 65535 for port in value):
        raise ValueError("must be one or more ports in 1..65535")


# The rules a field keeps beyond its limits.
_CHECKS: dict[str, Callable[[Any], None]] = {
    "aimlapi_base_url": _check_base_url,
    "callback_retry_delays": _check_delays,
    "callback_ports": _check_ports,
}


@cache
def get_settings() -> Settings:
    return Settings()

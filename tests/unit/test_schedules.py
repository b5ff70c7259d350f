"""The two schedules: when a failed callback is tried again, and when a pending job is
checked again with the provider."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from videohook.logic import notify
from videohook.logic.notify import MAX_RETRY_DELAY_SECONDS, retry_delay
from videohook.logic.poll import PollSettings, next_check_delay
from videohook.settings import DEFAULT_CALLBACK_RETRY_DELAYS, MAX_SQS_VISIBILITY_SECONDS

DELAYS = DEFAULT_CALLBACK_RETRY_DELAYS


class PinnedRandom:
    """Stands in for the ``random`` module: ``uniform`` answers a chosen end of its range."""

    def __init__(self, end: str) -> None:
        self._end = end
        self.ranges: list[tuple[float, float]] = []

    def uniform(self, low: float, high: float) -> float:
        self.ranges.append((low, high))
        return {"low": low, "high": high, "middle": (low + high) / 2}[self._end]


def within_jitter(delay: int, planned: float) -> bool:
    return math.floor(planned * 0.9) <= delay <= math.ceil(planned * 1.1)


# --- callback retries ----------------------------------------------------------------------


@given(attempt=st.integers(min_value=1, max_value=len(DELAYS)))
def test_property_each_retry_follows_the_schedule_within_ten_percent(attempt):
    delay = retry_delay(attempt, DELAYS, None)

    assert delay is not None
    assert within_jitter(delay, DELAYS[attempt - 1])


@pytest.mark.parametrize("end", ["low", "high"])
def test_jitter_spans_exactly_ten_percent_each_way(end):
    pinned = PinnedRandom(end)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(notify, "random", pinned)

        delays = [retry_delay(attempt, DELAYS, None) for attempt in range(1, len(DELAYS) + 1)]

    factor = 0.9 if end == "low" else 1.1
    assert delays == [round(planned * factor) for planned in DELAYS]
    assert set(pinned.ranges) == {(0.9, 1.1)}


def test_jitter_spreads_retries_out():
    spread = {retry_delay(3, DELAYS, None) for _ in range(50)}

    assert len(spread) > 1


@pytest.mark.parametrize("retry_after", [None, 0.0, 5.0, 1e6])
def test_there_is_no_retry_after_the_last_scheduled_delay(retry_after):
    assert retry_delay(len(DELAYS) + 1, DELAYS, retry_after) is None
    assert retry_delay(len(DELAYS) + 5, DELAYS, retry_after) is None
    assert retry_delay(2, (5,), retry_after) is None


@pytest.mark.parametrize(
    ("retry_after", "expected"),
    [(1.0, 150), (150.0, 150), (400.0, 400), (600.0, 600), (86_400.0, 600)],
    ids=["shorter-clamped-up", "half", "inside", "double", "longer-clamped-down"],
)
def test_retry_after_is_clamped_to_half_and_twice_the_planned_delay(retry_after, expected):
    # Attempt 2 of the default schedule plans 300 s; jitter is pinned to its middle.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(notify, "random", PinnedRandom("middle"))

        assert retry_delay(2, DELAYS, retry_after) == expected


@given(
    attempt=st.integers(min_value=1, max_value=len(DELAYS)),
    retry_after=st.floats(min_value=0, max_value=1e7, allow_nan=False),
)
def test_property_retry_after_never_moves_a_delay_outside_the_clamp(attempt, retry_after):
    planned = DELAYS[attempt - 1]

    delay = retry_delay(attempt, DELAYS, retry_after)

    clamped = min(max(retry_after, planned * 0.5), planned * 2.0)
    assert delay is not None
    # SQS hides a message for at most 12 hours, so no delay may exceed that either.
    assert delay <= MAX_RETRY_DELAY_SECONDS < MAX_SQS_VISIBILITY_SECONDS
    low = min(math.floor(math.floor(clamped) * 0.9), MAX_RETRY_DELAY_SECONDS)
    assert low <= delay <= math.ceil(clamped * 1.1)
    assert min(math.floor(planned * 0.5 * 0.9), MAX_RETRY_DELAY_SECONDS) <= delay


# --- poll pacing ---------------------------------------------------------------------------


def poll_settings(min_interval: int = 15, max_interval: int = 120) -> PollSettings:
    return PollSettings(
        batch_size=100,
        concurrency=8,
        lease_seconds=300,
        max_age_seconds=7200,
        min_interval_seconds=min_interval,
        max_interval_seconds=max_interval,
        deadline_margin_seconds=20.0,
        retention_days=30,
    )


def test_a_new_job_is_checked_after_the_minimum_interval():
    assert next_check_delay(0, poll_settings(15, 120)) == 15


def test_checks_space_out_until_the_maximum_interval():
    delays = [next_check_delay(count, poll_settings(15, 120)) for count in range(8)]

    assert delays == [15, 30, 60, 120, 120, 120, 120, 120]


@given(
    min_interval=st.integers(min_value=1, max_value=300),
    extra=st.integers(min_value=0, max_value=3600),
    poll_count=st.integers(min_value=0, max_value=10_000),
)
def test_property_the_delay_grows_with_poll_count_and_never_exceeds_the_maximum(
    min_interval, extra, poll_count
):
    settings = poll_settings(min_interval, min_interval + extra)

    delay = next_check_delay(poll_count, settings)
    following = next_check_delay(poll_count + 1, settings)

    assert min_interval <= delay <= settings.max_interval_seconds
    assert delay <= following
    if poll_count < 10 and delay < settings.max_interval_seconds:
        assert following > delay


@given(min_interval=st.integers(min_value=1, max_value=300), factor=st.integers(min_value=1, max_value=1024))
def test_property_the_maximum_is_reached_within_ten_checks(min_interval, factor):
    settings = poll_settings(min_interval, min_interval * factor)

    assert next_check_delay(10, settings) == settings.max_interval_seconds

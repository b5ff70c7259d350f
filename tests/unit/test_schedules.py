"""The two schedules: when a failed callback is tried again, and when a pending job is
checked again with the provider."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fakes import pacing_for
from videohook.catalog import Catalog, Timing
from videohook.logic import notify
from videohook.logic.notify import MAX_RETRY_DELAY_SECONDS, retry_delay
from videohook.logic.pacing import Pacing
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


def pacing(min_interval: int = 15, max_interval: int = 120, *, scale: float = 1.0) -> Pacing:
    """Pacing for the catalog's ``runway/gen4_turbo`` with the given intervals."""
    return pacing_for(Timing(7200, 45, min_interval, max_interval), scale=scale)


def test_a_new_job_is_first_checked_after_its_models_first_check_delay():
    assert pacing().first_check_delay("runway/gen4_turbo") == 45
    assert pacing().first_check_delay("gen4_turbo") == 45  # the alias has the same timing


def test_checks_space_out_until_the_maximum_interval():
    delays = [pacing(15, 120).next_check_delay("gen4_turbo", count) for count in range(8)]

    assert delays == [15, 30, 60, 120, 120, 120, 120, 120]


def test_the_scale_shortens_every_delay_and_zero_checks_at_every_tick():
    assert [pacing(15, 120, scale=0.5).next_check_delay("gen4_turbo", c) for c in range(4)] == [
        7.5,
        15,
        30,
        60,
    ]
    assert pacing(scale=0).next_check_delay("gen4_turbo", 3) == 0
    assert pacing(scale=0).first_check_delay("gen4_turbo") == 0
    assert pacing(scale=0).max_age_seconds("gen4_turbo") == 7200  # ages are never scaled


def test_a_model_that_left_the_catalog_gets_the_fallback_timing():
    fallback = pacing().fallback

    assert pacing().max_age_seconds("retired/model") == fallback.max_age_seconds
    assert pacing().next_check_delay("retired/model", 0) == fallback.min_check_interval_seconds


def test_every_catalog_model_has_sane_timing():
    for spec in Catalog.load().models():
        timing = spec.timing
        assert 0 < timing.min_check_interval_seconds <= timing.max_check_interval_seconds, spec.id
        assert timing.first_check_delay_seconds < timing.max_age_seconds, spec.id
        assert timing.max_check_interval_seconds < timing.max_age_seconds, spec.id


@given(
    min_interval=st.integers(min_value=1, max_value=300),
    extra=st.integers(min_value=0, max_value=3600),
    poll_count=st.integers(min_value=0, max_value=10_000),
)
def test_property_the_delay_grows_with_poll_count_and_never_exceeds_the_maximum(
    min_interval, extra, poll_count
):
    paced = pacing(min_interval, min_interval + extra)

    delay = paced.next_check_delay("gen4_turbo", poll_count)
    following = paced.next_check_delay("gen4_turbo", poll_count + 1)

    assert min_interval <= delay <= min_interval + extra
    assert delay <= following
    if poll_count < 10 and delay < min_interval + extra:
        assert following > delay


@given(min_interval=st.integers(min_value=1, max_value=300), factor=st.integers(min_value=1, max_value=1024))
def test_property_the_maximum_is_reached_within_ten_checks(min_interval, factor):
    assert (
        pacing(min_interval, min_interval * factor).next_check_delay("gen4_turbo", 10)
        == min_interval * factor
    )

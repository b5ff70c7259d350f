"""The local stack's stand-in for the EventBridge schedule keeps the production cadence:
a tick every interval on the clock, each invoked without waiting for the last to end (an
invocation loops for most of the minute), with the template's timeout; and the simulator's
generation length can be a range, drawn per generation."""

from __future__ import annotations

import threading
import time

from local.drivers import drive_poller
from local.resources import poll_loop_share, poller_timeout
from local.stack_config import StackConfig


def test_ticks_come_on_time_while_earlier_invocations_still_run():
    interval, runs_for = 0.2, 0.5  # each invocation outlasts two intervals
    started: list[float] = []
    timeouts: list[float] = []
    in_flight, most_at_once = [0], [0]
    lock = threading.Lock()

    def invoke(function: str, event: dict, *, timeout_seconds: float) -> None:
        assert function == "poller" and event["detail-type"] == "Scheduled Event"
        with lock:
            started.append(time.monotonic())
            timeouts.append(timeout_seconds)
            in_flight[0] += 1
            most_at_once[0] = max(most_at_once[0], in_flight[0])
        time.sleep(runs_for)
        with lock:
            in_flight[0] -= 1

    stopping = threading.Event()
    driver = threading.Thread(target=drive_poller, args=(stopping, interval, invoke), daemon=True)
    driver.start()
    deadline = time.monotonic() + 5
    while len(started) < 5 and time.monotonic() < deadline:
        time.sleep(0.02)
    stopping.set()
    driver.join(timeout=2)

    assert len(started) >= 5
    for number, at in enumerate(started[:5]):
        # On the clock (0.2 s apart), not after the last invocation ended (0.5 s apart).
        assert abs(at - started[0] - number * interval) < 0.15
    assert most_at_once[0] >= 2
    assert set(timeouts) == {poller_timeout()} == {120.0}


def test_a_tick_loops_for_58_seconds_of_the_minute_as_in_the_template():
    assert poll_loop_share() * 60 == 58


def test_the_simulated_generation_length_is_a_number_or_a_range():
    assert StackConfig.from_environment({}).simulator_seconds_to_complete == 3.0
    config = StackConfig.from_environment({"VIDEOHOOK_SIMULATOR_SECONDS": "30-150"})
    assert config.simulator_seconds_to_complete == (30.0, 150.0)

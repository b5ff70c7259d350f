"""Poller: run once per EventBridge schedule tick; sweeps the jobs that are due."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from videohook.observability import logger, metrics, tracer
from videohook.wiring import get_container


@logger.inject_lambda_context(log_event=False)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    logger.debug("Schedule tick", extra={"event_id": event.get("id"), "time": event.get("time")})
    return get_container().poller.sweep(
        remaining_seconds=lambda: context.get_remaining_time_in_millis() / 1000
    )

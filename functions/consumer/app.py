"""Example consumer of videohook's domain events (deployed with DeployExampleConsumer=true):
an EventBridge rule on ``source: videohook``, ``detail-type: Generation Completed`` invokes
it; it records the video's duration and size on the S3 object (tags)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from videohook.observability import logger, tracer
from videohook.wiring import get_container


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler
@event_source(data_class=EventBridgeEvent)
def lambda_handler(event: EventBridgeEvent, context: LambdaContext) -> dict[str, Any]:  # noqa: ARG001 - Lambda passes it
    logger.debug(
        "Domain event", extra={"detail_type": event.detail_type, "event_id": event.detail.get("event_id")}
    )
    return get_container().video_probe.record(event.detail)

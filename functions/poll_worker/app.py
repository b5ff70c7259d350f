"""Poll worker: checks the due jobs a poller invocation handed out (the fan-out), the same
checks the poller makes, a queue message (a batch of job ids) at a time."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from videohook.models.messages import PollWorkMessage
from videohook.observability import logger, metrics, tracer
from videohook.wiring import get_container


@logger.inject_lambda_context(log_event=False)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    # A job left unchecked (time ran out) is still due: the next poller round hands it out
    # again, so no record is reported failed and nothing is redelivered by SQS.
    job_ids = [
        job_id for record in event["Records"] for job_id in PollWorkMessage.from_json(record["body"]).job_ids
    ]
    return get_container().poller.check(
        job_ids, remaining_seconds=lambda: context.get_remaining_time_in_millis() / 1000
    )

"""Notifier: one signed callback attempt per SQS record, failures reported per record so
SQS retries only those (after the delay the domain set on each message)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from videohook.models.messages import NotificationMessage
from videohook.observability import logger, metrics, tracer
from videohook.wiring import get_container


@tracer.capture_method
def record_handler(record: SQSRecord) -> str:
    message = NotificationMessage.from_json(record.body)
    return get_container().notifier.deliver(
        message,
        message_id=record.message_id,
        receipt_handle=record.receipt_handle,
        receive_count=int(record.attributes.approximate_receive_count),
    )


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_partial_response(
        event=event,
        record_handler=record_handler,
        processor=get_container().notification_batch,
        context=context,
    )

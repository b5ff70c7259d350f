"""Notifier: one signed callback attempt per SQS record, failures reported per record so
SQS retries only those (after the delay the domain set on each message)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from videohook.models import NotificationMessage
from videohook.observability import logger, metrics, tracer
from videohook.wiring import get_container

# FIFO, one message group per job: a job whose callback is failing holds back only its own
# later events, never other jobs'.
processor = SqsFifoPartialProcessor(skip_group_on_error=True)
# A batch whose every record failed is still a normal answer here: each failure already
# set its own retry delay, which an exception for the whole batch would undo.
processor.raise_on_entire_batch_failure = False
# The records this invocation attempted; the other failures were skipped by the processor.
attempted: set[str] = set()


@tracer.capture_method
def deliver_record(record: SQSRecord) -> str:
    attempted.add(record.message_id)
    message = NotificationMessage.model_validate_json(record.body)
    return get_container().notifier.deliver(
        message,
        message_id=record.message_id,
        receipt_handle=record.receipt_handle,
    )


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    attempted.clear()
    answer = process_partial_response(
        event=event, record_handler=deliver_record, processor=processor, context=context
    )
    failed = {item["itemIdentifier"] for item in answer.get("batchItemFailures", [])}
    # A skipped record stays in flight for the queue's visibility timeout and, FIFO, blocks
    # its group meanwhile, even the failed message ahead of it: hand it back at once.
    get_container().queue.release(
        [r["receiptHandle"] for r in event["Records"] if r["messageId"] in failed - attempted]
    )
    return answer

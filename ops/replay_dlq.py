"""Move callbacks that exhausted their retries from the dead-letter queue back to the notify
queue (``make replay-dlq``), once the receiver is fixed. Each gets a fresh retry schedule and
keeps its ``webhook-id``, so receivers that did get an earlier attempt deduplicate it.

    python -m ops.replay_dlq --stack videohook            # a deployed stack's queues
    python -m ops.replay_dlq --queue-url URL --dlq-url URL  # explicit (local: set AWS_ENDPOINT_URL)
"""

from __future__ import annotations

import argparse
import sys

import boto3

from videohook.adapters.notifications import SqsNotificationQueue


def stack_queue_urls(stack: str) -> tuple[str, str]:
    outputs = boto3.client("cloudformation").describe_stacks(StackName=stack)["Stacks"][0]["Outputs"]
    by_key = {output["OutputKey"]: output["OutputValue"] for output in outputs}
    return by_key["NotifyQueueUrl"], by_key["NotifyDeadLetterQueueUrl"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--stack", help="read both queue URLs from this CloudFormation stack's outputs")
    parser.add_argument("--queue-url", help="the notify queue")
    parser.add_argument("--dlq-url", help="its dead-letter queue")
    parser.add_argument("--limit", type=int, default=10_000, help="move at most this many (default 10000)")
    args = parser.parse_args(argv)
    if args.stack:
        queue_url, dlq_url = stack_queue_urls(args.stack)
    elif args.queue_url and args.dlq_url:
        queue_url, dlq_url = args.queue_url, args.dlq_url
    else:
        parser.error("give --stack, or both --queue-url and --dlq-url")
    moved = SqsNotificationQueue(client=boto3.client("sqs"), queue_url=queue_url).replay_dead_letters(
        dlq_url, limit=args.limit
    )
    print(f"moved {moved} message(s) from {dlq_url} back to {queue_url}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

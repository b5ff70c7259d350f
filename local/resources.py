"""Creates the service's AWS resources in moto from ``template.yaml`` itself, so the local
stack and the tests cannot drift from what ``sam deploy`` creates: the tables' keys and
indexes, the queue's redrive policy, the bucket's EventBridge switch all come from there.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import boto3
import yaml

TEMPLATE = Path(__file__).resolve().parent.parent / "template.yaml"
TABLE_PROPERTIES = ("KeySchema", "AttributeDefinitions", "GlobalSecondaryIndexes", "BillingMode")


class _CloudFormationLoader(yaml.SafeLoader):
    """Reads ``!Ref``/``!GetAtt``/``!Sub``... as plain ``{"Fn::...": value}`` mappings."""


def _intrinsic(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if tag_suffix == "Ref" else f"Fn::{tag_suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if tag_suffix == "GetAtt":
            value = str(value).split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


_CloudFormationLoader.add_multi_constructor("!", _intrinsic)


@cache
def template() -> dict[str, Any]:
    return yaml.load(TEMPLATE.read_text(), Loader=_CloudFormationLoader)


def resource_properties(logical_id: str) -> dict[str, Any]:
    return dict(template()["Resources"][logical_id]["Properties"])


@dataclass(frozen=True)
class LocalResources:
    jobs_table: str
    idempotency_table: str
    clients_table: str
    bucket: str
    notify_queue_url: str
    notify_dlq_url: str
    video_events_queue_url: str
    event_bus: str
    upstream_secret_id: str
    poll_work_queue_url: str = ""

    def environment(self) -> dict[str, str]:
        """The variables the functions read in AWS, pointing at these resources."""
        return {
            "JOBS_TABLE_NAME": self.jobs_table,
            "IDEMPOTENCY_TABLE_NAME": self.idempotency_table,
            "VIDEOS_BUCKET_NAME": self.bucket,
            "NOTIFY_QUEUE_URL": self.notify_queue_url,
            "NOTIFY_DEAD_LETTER_QUEUE_URL": self.notify_dlq_url,
            "EVENT_BUS_NAME": self.event_bus,
            "AIMLAPI_API_KEY_SECRET_ID": self.upstream_secret_id,
            "CLIENTS_TABLE_NAME": self.clients_table,
            "PENDING_PARTITIONS": str(template()["Parameters"]["PendingPartitions"]["Default"]),
            **({"POLL_WORK_QUEUE_URL": self.poll_work_queue_url} if self.poll_work_queue_url else {}),
        }


def _create_table(dynamodb: Any, logical_id: str, name: str) -> None:
    properties = resource_properties(logical_id)
    dynamodb.create_table(TableName=name, **{k: properties[k] for k in TABLE_PROPERTIES if k in properties})
    ttl = properties.get("TimeToLiveSpecification")
    if ttl:
        dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)


QUEUE_ATTRIBUTES = (
    "FifoQueue",
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "FifoThroughputLimit",
    "VisibilityTimeout",
    "MessageRetentionPeriod",
)


def _queue_attributes(logical_id: str) -> dict[str, str]:
    properties = resource_properties(logical_id)
    return {
        name: str(properties[name]).lower() if isinstance(properties[name], bool) else str(properties[name])
        for name in QUEUE_ATTRIBUTES
        if name in properties
    }


def max_receive_count() -> int:
    redrive = resource_properties("NotifyQueue")["RedrivePolicy"]
    return int(redrive["maxReceiveCount"])


def poll_loop_share() -> float:
    """The share of the schedule's minute one poller invocation keeps taking due jobs."""
    variables = resource_properties("PollerFunction")["Environment"]["Variables"]
    return float(variables["POLL_LOOP_SECONDS"]) / 60


def poller_timeout() -> float:
    """The poller's timeout in the template: how long one scheduled invocation may run."""
    return float(resource_properties("PollerFunction")["Timeout"])


def poll_worker_batch() -> tuple[int, float]:
    """The poll workers' event source batch size and the function's timeout."""
    worker = resource_properties("PollWorkerFunction")
    return int(worker["Events"]["DueJobs"]["Properties"]["BatchSize"]), float(worker["Timeout"])


def provision(
    session: boto3.Session,
    *,
    upstream_api_key: str,
    client_secrets: Mapping[str, str],
    prefix: str = "videohook",
) -> LocalResources:
    """Create every resource the functions use; ``client_secrets`` (API key id -> ``whsec_``
    secret) seeds the clients' signing secrets, as ``ops/add_client.py`` does in AWS."""
    dynamodb = session.client("dynamodb")
    s3 = session.client("s3")
    sqs = session.client("sqs")
    events = session.client("events")
    secrets = session.client("secretsmanager")

    names = LocalResources(
        jobs_table=f"{prefix}-jobs",
        idempotency_table=f"{prefix}-idempotency",
        clients_table=f"{prefix}-clients",
        bucket=f"{prefix}-videos",
        notify_queue_url="",
        notify_dlq_url="",
        video_events_queue_url="",
        event_bus=f"{prefix}-events",
        upstream_secret_id=f"{prefix}/aimlapi-api-key",
    )
    _create_table(dynamodb, "JobsTable", names.jobs_table)
    _create_table(dynamodb, "IdempotencyTable", names.idempotency_table)
    _create_table(dynamodb, "ClientsTable", names.clients_table)
    for owner_id, secret in client_secrets.items():
        dynamodb.put_item(
            TableName=names.clients_table, Item={"owner_id": {"S": owner_id}, "secret": {"S": secret}}
        )

    dlq_url = sqs.create_queue(
        QueueName=f"{prefix}-notify-dlq.fifo", Attributes=_queue_attributes("NotifyDeadLetterQueue")
    )["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    notify_url = sqs.create_queue(
        QueueName=f"{prefix}-notify.fifo",
        Attributes={
            **_queue_attributes("NotifyQueue"),
            "RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receive_count()}
            ),
        },
    )["QueueUrl"]

    poll_work_url = sqs.create_queue(
        QueueName=f"{prefix}-poll-work", Attributes=_queue_attributes("PollWorkQueue")
    )["QueueUrl"]

    s3.create_bucket(Bucket=names.bucket)
    if resource_properties("VideosBucket")["NotificationConfiguration"]["EventBridgeConfiguration"]:
        s3.put_bucket_notification_configuration(
            Bucket=names.bucket, NotificationConfiguration={"EventBridgeConfiguration": {}}
        )
    # Stands in for a downstream consumer of the bucket's events (not part of the template).
    events_url = sqs.create_queue(QueueName=f"{prefix}-video-events")["QueueUrl"]
    events_arn = sqs.get_queue_attributes(QueueUrl=events_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    events.put_rule(
        Name=f"{prefix}-video-created",
        EventPattern=json.dumps(
            {
                "source": ["aws.s3"],
                "detail-type": ["Object Created"],
                # The videos, not their manifests (videos/<job>.json beside each).
                "detail": {"bucket": {"name": [names.bucket]}, "object": {"key": [{"suffix": ".mp4"}]}},
            }
        ),
    )
    events.put_targets(Rule=f"{prefix}-video-created", Targets=[{"Id": "consumer", "Arn": events_arn}])

    events.create_event_bus(Name=names.event_bus)

    secrets.create_secret(Name=names.upstream_secret_id, SecretString=upstream_api_key)

    return LocalResources(
        jobs_table=names.jobs_table,
        idempotency_table=names.idempotency_table,
        clients_table=names.clients_table,
        bucket=names.bucket,
        notify_queue_url=notify_url,
        notify_dlq_url=dlq_url,
        video_events_queue_url=events_url,
        event_bus=names.event_bus,
        upstream_secret_id=names.upstream_secret_id,
        poll_work_queue_url=poll_work_url,
    )

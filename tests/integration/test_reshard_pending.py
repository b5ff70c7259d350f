"""Jobs the poller cannot see (written to the index before it was sharded, or to a shard
above a lowered count) are moved into their shards by ``make reshard-pending``, and finish."""

from __future__ import annotations

from typing import Any

import boto3

from ops.reshard_pending import main as reshard_pending
from tests.integration.flows import job, submit, tick
from videohook.adapters.pending_index import UNSHARDED_PARTITION, pending_partition
from videohook.settings import get_settings


def strand(aws: Any, job_id: str, partition: str) -> None:
    """Put a job where an older release (or a higher shard count) left it."""
    boto3.client("dynamodb").update_item(
        TableName=aws.jobs_table,
        Key={"job_id": {"S": job_id}},
        UpdateExpression="SET pending_partition = :p",
        ExpressionAttributeValues={":p": {"S": partition}},
    )


def partition_of(aws: Any, job_id: str) -> str | None:
    item = boto3.client("dynamodb").get_item(TableName=aws.jobs_table, Key={"job_id": {"S": job_id}})["Item"]
    return item.get("pending_partition", {}).get("S")


def test_stranded_jobs_are_moved_into_their_shards_and_then_finish(call_api, aws, load_event):
    partitions = get_settings().pending_partitions
    unsharded, above = submit(call_api), submit(call_api)
    strand(aws, unsharded, UNSHARDED_PARTITION)
    strand(aws, above, f"pending#{partitions + 3}")
    # Stranded, the poller never sees them.
    assert tick(load_event)["due"] == 0

    assert reshard_pending(["--table", aws.jobs_table, "--partitions", str(partitions)]) == 0

    assert partition_of(aws, unsharded) == pending_partition(unsharded, partitions)
    assert partition_of(aws, above) == pending_partition(above, partitions)
    assert tick(load_event)["due"] == 2
    tick(load_event)
    assert {job(call_api, unsharded)["status"], job(call_api, above)["status"]} == {"completed"}


def test_a_second_run_moves_nothing_and_sharded_jobs_are_left_alone(call_api, aws, capsys):
    partitions = get_settings().pending_partitions
    sharded, unsharded = submit(call_api), submit(call_api)
    strand(aws, unsharded, UNSHARDED_PARTITION)

    reshard_pending(["--table", aws.jobs_table, "--partitions", str(partitions)])
    reshard_pending(["--table", aws.jobs_table, "--partitions", str(partitions)])

    assert partition_of(aws, sharded) == pending_partition(sharded, partitions)
    assert partition_of(aws, unsharded) == pending_partition(unsharded, partitions)
    first, second = [line for line in capsys.readouterr().out.splitlines() if line.startswith("moved")]
    assert first.startswith("moved 1 pending job(s)")
    assert second.startswith("moved 0 pending job(s)")


def test_a_job_that_left_the_index_meanwhile_is_not_put_back(call_api, aws, capsys):
    partitions = get_settings().pending_partitions
    job_id = submit(call_api)
    strand(aws, job_id, UNSHARDED_PARTITION)
    dynamodb = boto3.client("dynamodb")

    def finish_first(params: dict[str, Any], **_: Any) -> None:
        # The poller finishes the job between the script's read and its move.
        if params.get("UpdateExpression") == "SET pending_partition = :shard":
            dynamodb.update_item(
                TableName=aws.jobs_table,
                Key={"job_id": {"S": job_id}},
                UpdateExpression="REMOVE pending_partition, next_check_at",
            )

    # The script's own client is made inside it: hook every DynamoDB client of the session.
    session_events = boto3.DEFAULT_SESSION._session.get_component("event_emitter")
    session_events.register("before-parameter-build.dynamodb.UpdateItem", finish_first)
    try:
        reshard_pending(["--table", aws.jobs_table, "--partitions", str(partitions)])
    finally:
        session_events.unregister("before-parameter-build.dynamodb.UpdateItem", finish_first)

    assert partition_of(aws, job_id) is None
    report = capsys.readouterr().out
    assert "moved 0 pending job(s)" in report
    assert "1 changed meanwhile" in report

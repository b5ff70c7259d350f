"""The sparse index of jobs the poller still owes work, sharded.

``pending_partition`` = "pending#<n>" with ``n`` derived from the job id, ``next_check_at`` =
epoch seconds. Sharding keeps the writes of a busy minute and the poller's reads off one
partition. The shard count is chosen in the template; a job keeps the shard it was written
to and every shard below the count is read, so raising it is safe, and ``reshard`` moves
the jobs a lower count (or the index before sharding) left where the poller does not look.
"""

from __future__ import annotations

import heapq
import math
import zlib
from typing import Any

from videohook.adapters.aws_errors import ConditionFailed, aws_errors
from videohook.adapters.job_items import expression_values, from_item
from videohook.models.jobs import Job

PENDING_INDEX = "PendingByNextCheck"
PENDING_PARTITION_PREFIX = "pending#"
# The one partition of the index before it was sharded: jobs written then wait there until
# ``reshard`` moves them (the poller reads only ``pending#<n>``).
UNSHARDED_PARTITION = "pending"
# The template's and the settings' upper bound on PendingPartitions.
MAX_PARTITIONS = 64


def pending_partition(job_id: str, partitions: int) -> str:
    """The shard of a job: stable for its life, spread evenly by its id."""
    return f"{PENDING_PARTITION_PREFIX}{zlib.crc32(job_id.encode()) % partitions}"


def reshard(*, client: Any, table_name: str, partitions: int) -> tuple[int, int]:
    """Moves every job the poller cannot see into its shard of ``partitions``: jobs in the
    unsharded partition (written before the index was sharded) and jobs in shards at or
    above the count (left there if the count was ever lowered). Each move is one conditional
    write that holds only while the job is still where it was found, so a job the poller
    finished meanwhile (and took out of the index) is never put back. Safe to run again and
    while the service runs. Answers (moved, left because they changed meanwhile)."""
    stranded = [UNSHARDED_PARTITION] + [
        f"{PENDING_PARTITION_PREFIX}{n}" for n in range(partitions, MAX_PARTITIONS)
    ]
    moved = changed = 0
    for partition in stranded:
        query: dict[str, Any] = {
            "TableName": table_name,
            "IndexName": PENDING_INDEX,
            "KeyConditionExpression": "pending_partition = :p",
            "ExpressionAttributeValues": expression_values(p=partition),
            "ProjectionExpression": "job_id",
        }
        while True:
            with aws_errors("read stranded pending jobs"):
                page = client.query(**query)
            for item in page.get("Items", []):
                job_id = item["job_id"]["S"]
                try:
                    with aws_errors("move a pending job into its shard"):
                        client.update_item(
                            TableName=table_name,
                            Key={"job_id": {"S": job_id}},
                            UpdateExpression="SET pending_partition = :shard",
                            ConditionExpression="pending_partition = :was",
                            ExpressionAttributeValues=expression_values(
                                shard=pending_partition(job_id, partitions), was=partition
                            ),
                        )
                    moved += 1
                except ConditionFailed:
                    changed += 1
            if "LastEvaluatedKey" not in page:
                break
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return moved, changed


class PendingIndex:
    def __init__(self, *, client: Any, table_name: str, partitions: int) -> None:
        self._client = client
        self._table = table_name
        self._partitions = partitions

    def due_jobs(self, now: int, limit: int) -> list[Job]:
        """Jobs whose next check is due, oldest due first: an even share of ``limit`` from
        each shard (ids spread jobs evenly), merged."""
        share = math.ceil(limit / self._partitions)
        partitions = [f"{PENDING_PARTITION_PREFIX}{n}" for n in range(self._partitions)]
        shards = [self._due_in(partition, now, share) for partition in partitions]
        # Ids spread jobs evenly only on average: a shard may hold more than its share while
        # others hold less. The shards that came back full fill the rest of the window, so
        # a round sees every due job whenever they fit in it (the sweep's fairness relies on
        # seeing them).
        missing = limit - sum(len(jobs) for jobs in shards)
        for index, partition in enumerate(partitions):
            if missing <= 0:
                break
            if len(shards[index]) == share:
                # Read on from the last job this shard gave, not from its start again.
                more = self._due_in(partition, now, missing, after=shards[index][-1])
                missing -= len(more)
                shards[index] = shards[index] + more
        return list(heapq.merge(*shards, key=lambda job: job.next_check_at or 0))[:limit]

    def _due_in(self, partition: str, now: int, limit: int, after: Job | None = None) -> list[Job]:
        jobs: list[Job] = []
        query: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": PENDING_INDEX,
            "KeyConditionExpression": "pending_partition = :p AND next_check_at <= :now",
            "ExpressionAttributeValues": expression_values(p=partition, now=now),
            "Limit": limit,
        }
        if after is not None:
            # An index position is the index's key and the table's.
            query["ExclusiveStartKey"] = {
                "pending_partition": {"S": partition},
                "next_check_at": {"N": str(after.next_check_at)},
                "job_id": {"S": after.job_id},
            }
        with aws_errors("query pending jobs"):
            while len(jobs) < limit:
                page = self._client.query(**query)
                jobs.extend(from_item(item) for item in page.get("Items", []))
                if "LastEvaluatedKey" not in page:
                    break
                query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return jobs[:limit]

"""The one write that makes a job item DynamoDB refuses to update (past 400 KB) writable
again: what the job can live without is dropped, what it needs to end is kept."""

from __future__ import annotations

import contextlib
import json
from typing import Any

from videohook.adapters.aws_errors import ConditionFailed, aws_errors
from videohook.adapters.job_items import expression_values


class BulkShedding:
    """Mixed into the job repository (it provides ``_client`` and ``_table``)."""

    _client: Any
    _table: str

    def shed_bulk(self, job_id: str, *, input_summary: dict[str, Any]) -> None:
        """Drop the delivery log and put ``input_summary`` in place of the request's input, in
        one write; identity, owner, callback URL, status and outbox are kept. Only a job the
        poller still owes work is touched."""
        # A removal only shrinks the item, so DynamoDB accepts it whatever the item's size.
        with contextlib.suppress(ConditionFailed), aws_errors("shed the job's bulk"):
            self._client.update_item(
                TableName=self._table,
                Key={"job_id": {"S": job_id}},
                UpdateExpression="SET #input = :input REMOVE deliveries",
                ConditionExpression="attribute_exists(pending_partition)",
                ExpressionAttributeNames={"#input": "input"},
                ExpressionAttributeValues=expression_values(
                    input=json.dumps(input_summary, separators=(",", ":"))
                ),
            )

"""The DynamoDB adapter for clients' webhook signing secrets (the ``Clients`` table, keyed
by API key id, encrypted at rest with KMS). Secrets never leave this module in an error or
a log line: failures are reported by action only."""

from __future__ import annotations

from typing import Any

from videohook.adapters.aws_errors import ConditionFailed, aws_errors
from videohook.adapters.job_items import expression_values
from videohook.models.clients import ClientSecrets


class ClientSecretRepository:
    def __init__(self, *, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def get(self, owner_id: str) -> ClientSecrets | None:
        with aws_errors("read the client's signing secret"):
            answer = self._client.get_item(
                TableName=self._table, Key={"owner_id": {"S": owner_id}}, ConsistentRead=True
            )
        item = answer.get("Item")
        if not item:
            return None
        until = item.get("previous_valid_until")
        return ClientSecrets(
            owner_id=owner_id,
            current=item["secret"]["S"],
            previous=item["previous_secret"]["S"] if "previous_secret" in item else None,
            previous_valid_until=int(until["N"]) if until else None,
        )

    def create(self, secrets: ClientSecrets) -> bool:
        try:
            with aws_errors("store the client's signing secret"):
                self._client.put_item(
                    TableName=self._table,
                    Item={"owner_id": {"S": secrets.owner_id}, "secret": {"S": secrets.current}},
                    ConditionExpression="attribute_not_exists(owner_id)",
                )
        except ConditionFailed:
            return False
        return True

    def replace(self, secrets: ClientSecrets, *, expected_current: str) -> bool:
        values = expression_values(secret=secrets.current, expected=expected_current)
        sets = "SET secret = :secret"
        if secrets.previous is not None and secrets.previous_valid_until is not None:
            values.update(expression_values(previous=secrets.previous, until=secrets.previous_valid_until))
            sets += ", previous_secret = :previous, previous_valid_until = :until"
        try:
            with aws_errors("rotate the client's signing secret"):
                self._client.update_item(
                    TableName=self._table,
                    Key={"owner_id": {"S": secrets.owner_id}},
                    UpdateExpression=sets,
                    ConditionExpression="secret = :expected",
                    ExpressionAttributeValues=values,
                )
        except ConditionFailed:
            return False
        return True

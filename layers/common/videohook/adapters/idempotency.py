"""Idempotent submits on DynamoDB, through Powertools Idempotency.

A client's ``Idempotency-Key`` (scoped to its API key) maps to one stored answer for 24 h:
a repeat with the same body gets that answer and runs nothing; the same key with another
body is refused; a repeat that arrives while the first is still running waits for it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from videohook.errors import IdempotencyKeyInProgress, IdempotencyKeyReused

KEY_LIFETIME_SECONDS = 24 * 60 * 60
WAIT_POLL_SECONDS = 0.2


class DynamoDBIdempotencyStore:
    def __init__(
        self,
        *,
        client: Any,
        table_name: str,
        wait_seconds: float = 10.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._store = DynamoDBPersistenceLayer(table_name=table_name, boto3_client=client)
        self._config = IdempotencyConfig(
            event_key_jmespath="[owner_id, idempotency_key]",
            payload_validation_jmespath="request",
            raise_on_no_idempotency_key=True,
            expires_after_seconds=KEY_LIFETIME_SECONDS,
        )
        self._wait_seconds = wait_seconds
        self._sleep = sleep

    def register_lambda_context(self, context: LambdaContext) -> None:
        """A record left "in progress" by a function that died expires with its deadline,
        instead of blocking the key for a day."""
        self._config.register_lambda_context(context)

    def run(
        self,
        owner_id: str,
        idempotency_key: str,
        request: dict[str, Any],
        action: Callable[[], dict[str, Any]],
    ) -> dict[str, Any]:
        @idempotent_function(
            data_keyword_argument="submission",
            persistence_store=self._store,
            config=self._config,
            key_prefix="videohook.submit",
        )
        def submit_once(submission: dict[str, Any]) -> dict[str, Any]:  # noqa: ARG001 - hashed by Powertools
            return action()

        submission = {"owner_id": owner_id, "idempotency_key": idempotency_key, "request": request}
        deadline = time.monotonic() + self._wait_seconds
        while True:
            try:
                return submit_once(submission=submission)
            except IdempotencyValidationError:
                raise IdempotencyKeyReused(
                    "This Idempotency-Key was already used with a different request body",
                    details=[{"field": "Idempotency-Key", "reason": "reused with a different body"}],
                ) from None
            except IdempotencyAlreadyInProgressError:
                if time.monotonic() >= deadline:
                    raise IdempotencyKeyInProgress(
                        "A request with this Idempotency-Key is still being processed; retry shortly"
                    ) from None
                self._sleep(WAIT_POLL_SECONDS)

"""Each client's webhook signing secret: read, rotated, and used to sign its callbacks.

A client's secret is created with its API key (``ops/add_client.py``); a client that has
none yet (a key made by hand) gets one the first time it is needed, so no callback is ever
left unsigned or signed with someone else's secret.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from videohook.errors import StorageError
from videohook.models.clients import ClientSecrets
from videohook.models.clock import iso, utc_now
from videohook.observability import logger
from videohook.ports import CallbackSigner, ClientSecretStore
from videohook.signing import WebhookSigner, new_signing_secret


class WebhookSecrets:
    def __init__(
        self,
        *,
        store: ClientSecretStore,
        cache_seconds: float,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._store = store
        self._cache_seconds = cache_seconds
        self._clock = clock
        # owner id -> (monotonic time it was read, secrets): the notifier signs many
        # callbacks per client without a read each.
        self._cache: dict[str, tuple[float, ClientSecrets]] = {}
        self._lock = threading.Lock()

    def current(self, owner_id: str) -> dict[str, Any]:
        """What ``GET /v1/webhook-secret`` answers: the secret to verify callbacks with."""
        return _answer(self._secrets(owner_id, fresh=True), self._now())

    def rotate(self, owner_id: str) -> dict[str, Any]:
        """A new current secret; the old one keeps signing (alongside) for 24 hours."""
        existing = self._secrets(owner_id, fresh=True)
        rotated = existing.rotated(new_signing_secret(), self._now())
        if not self._store.replace(rotated, expected_current=existing.current):
            raise StorageError("The secret was rotated by another request at the same time; try again")
        self._remember(rotated)
        logger.info("Webhook signing secret rotated", extra={"owner_id": owner_id})
        return _answer(rotated, self._now())

    def signer_for(self, owner_id: str) -> CallbackSigner:
        return WebhookSigner(self._secrets(owner_id, fresh=False).signing(self._now()))

    def _secrets(self, owner_id: str, *, fresh: bool) -> ClientSecrets:
        if not fresh:
            with self._lock:
                cached = self._cache.get(owner_id)
            if cached is not None and time.monotonic() - cached[0] < self._cache_seconds:
                return cached[1]
        found = self._store.get(owner_id)
        if found is None:
            created = ClientSecrets(owner_id=owner_id, current=new_signing_secret())
            # Lost a race with another creator: theirs is the client's secret.
            found = created if self._store.create(created) else self._store.get(owner_id)
            if found is None:
                raise StorageError("Could not read the client's signing secret")
            logger.info("Webhook signing secret created", extra={"owner_id": owner_id})
        self._remember(found)
        return found

    def _remember(self, secrets: ClientSecrets) -> None:
        with self._lock:
            self._cache[secrets.owner_id] = (time.monotonic(), secrets)

    def _now(self) -> int:
        return int(self._clock().timestamp())


def _answer(secrets: ClientSecrets, now: int) -> dict[str, Any]:
    answer: dict[str, Any] = {"secret": secrets.current}
    if len(secrets.signing(now)) > 1 and secrets.previous_valid_until is not None:
        answer["previous_secret_valid_until"] = iso(datetime.fromtimestamp(secrets.previous_valid_until, UTC))
    return answer

"""Each client's signing secret: made once, rotated with a day of overlap, cached for the
notifier, never shared between clients."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.fakes import InMemoryClientSecretStore
from videohook.errors import StorageError
from videohook.logic.secrets import WebhookSecrets
from videohook.models.clients import ClientSecrets

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def secrets_at(
    store: InMemoryClientSecretStore, moments: list[datetime], cache_seconds: float = 300
) -> WebhookSecrets:
    return WebhookSecrets(store=store, cache_seconds=cache_seconds, clock=lambda: moments[0])


def test_a_client_without_a_secret_gets_one_made_once():
    store = InMemoryClientSecretStore()
    secrets = secrets_at(store, [NOW])

    first = secrets.current("client-a")["secret"]

    assert first.startswith("whsec_")
    assert secrets.current("client-a")["secret"] == first
    assert store.clients["client-a"].current == first


def test_two_clients_never_share_a_secret():
    secrets = secrets_at(InMemoryClientSecretStore(), [NOW])

    assert secrets.current("client-a")["secret"] != secrets.current("client-b")["secret"]


def test_a_rotation_signs_with_both_secrets_for_a_day():
    store = InMemoryClientSecretStore()
    moments = [NOW]
    secrets = secrets_at(store, moments, cache_seconds=0)
    old = secrets.current("client-a")["secret"]

    answer = secrets.rotate("client-a")

    assert answer["secret"] != old
    assert answer["previous_secret_valid_until"] == "2026-11-26T12:00:00.000Z"
    signed = secrets.signer_for("client-a").headers("msg_1", 1, b"{}")["webhook-signature"]
    assert len(signed.split(" ")) == 2
    moments[0] = NOW + timedelta(days=1)
    assert len(secrets.signer_for("client-a").headers("msg_1", 1, b"{}")["webhook-signature"].split(" ")) == 1
    assert "previous_secret_valid_until" not in secrets.current("client-a")


def test_a_rotation_that_lost_a_race_is_refused_not_overwritten():
    store = InMemoryClientSecretStore()
    store.clients["client-a"] = ClientSecrets(owner_id="client-a", current="whsec_" + "A" * 44)
    secrets = secrets_at(store, [NOW])
    original_replace = store.replace

    def rotated_meanwhile(new: ClientSecrets, *, expected_current: str) -> bool:
        store.clients["client-a"] = ClientSecrets(owner_id="client-a", current="whsec_" + "B" * 44)
        return original_replace(new, expected_current=expected_current)

    store.replace = rotated_meanwhile  # type: ignore[method-assign]

    with pytest.raises(StorageError):
        secrets.rotate("client-a")
    assert store.clients["client-a"].current == "whsec_" + "B" * 44


def test_the_notifier_reads_a_clients_secret_once_per_cache_period():
    store = InMemoryClientSecretStore()
    secrets = secrets_at(store, [NOW], cache_seconds=300)
    secrets.current("client-a")
    reads = store.reads

    for _ in range(50):
        secrets.signer_for("client-a")

    assert store.reads == reads

"""Callback signatures: whatever ``WebhookSigner`` produces must verify with the two common
Standard Webhooks libraries, and only with the right secret and body."""

from __future__ import annotations

import base64
import json
import time

import pytest
import standardwebhooks.webhooks
import svix.webhooks
from standardwebhooks.webhooks import WebhookVerificationError as StandardVerificationError
from svix.webhooks import WebhookVerificationError as SvixVerificationError

from videohook.models.clients import ROTATION_OVERLAP_SECONDS, ClientSecrets
from videohook.signing import WebhookSigner, check_signing_secret, new_signing_secret

BODY = json.dumps({"type": "generation.completed", "data": {"id": "gen_1"}}, separators=(",", ":")).encode()
MESSAGE_ID = "msg_1_completed"


def new_secret() -> str:
    return new_signing_secret()


def signed(signer: WebhookSigner, body: bytes = BODY) -> dict[str, str]:
    return signer.headers(MESSAGE_ID, int(time.time()), body)


def verifies_with_standardwebhooks(secret: str, body: bytes, headers: dict[str, str]) -> bool:
    try:
        standardwebhooks.webhooks.Webhook(secret).verify(body, headers)
    except StandardVerificationError:
        return False
    return True


def verifies_with_svix(secret: str, body: bytes, headers: dict[str, str]) -> bool:
    try:
        svix.webhooks.Webhook(secret).verify(body, headers)
    except SvixVerificationError:
        return False
    return True


VERIFIERS = pytest.mark.parametrize(
    "verifies", [verifies_with_standardwebhooks, verifies_with_svix], ids=["standardwebhooks", "svix"]
)


@pytest.fixture
def secret() -> str:
    return new_secret()


@VERIFIERS
def test_a_signed_callback_verifies_with_a_standard_webhooks_library(secret, verifies):
    signer = WebhookSigner((check_signing_secret(secret),))

    assert verifies(secret, BODY, signed(signer))


def test_headers_carry_the_message_id_and_the_timestamp():
    signer = WebhookSigner((new_secret(),))

    headers = signer.headers(MESSAGE_ID, 1_700_000_000, BODY)

    assert headers["webhook-id"] == MESSAGE_ID
    assert headers["webhook-timestamp"] == "1700000000"
    assert headers["webhook-signature"].startswith("v1,")


def test_each_timestamp_gets_its_own_signature():
    signer = WebhookSigner((new_secret(),))

    first = signer.headers(MESSAGE_ID, 1_700_000_000, BODY)
    again = signer.headers(MESSAGE_ID, 1_700_000_000, BODY)
    later = signer.headers(MESSAGE_ID, 1_700_000_300, BODY)

    assert first == again
    assert later["webhook-signature"] != first["webhook-signature"]


@VERIFIERS
def test_a_tampered_body_fails_verification(secret, verifies):
    headers = signed(WebhookSigner((secret,)))
    tampered = BODY.replace(b"gen_1", b"gen_2")

    assert not verifies(secret, tampered, headers)


@VERIFIERS
def test_a_receiver_with_another_secret_cannot_verify(secret, verifies):
    headers = signed(WebhookSigner((secret,)))

    assert not verifies(new_secret(), BODY, headers)


# --- rotation ------------------------------------------------------------------------------


def test_a_rotation_signs_with_both_secrets_for_24_hours_then_the_new_one_only():
    first = ClientSecrets(owner_id="client-a", current=new_secret())
    rotated = first.rotated(new_secret(), now=1_000)

    assert rotated.signing(1_000) == (rotated.current, first.current)
    assert rotated.signing(1_000 + ROTATION_OVERLAP_SECONDS - 1) == (rotated.current, first.current)
    assert rotated.signing(1_000 + ROTATION_OVERLAP_SECONDS) == (rotated.current,)


def test_a_plain_secret_is_one_secret_with_surrounding_whitespace_ignored():
    secret = new_secret()

    assert check_signing_secret(f"  {secret}\n") == secret


def test_a_new_secret_holds_32_random_bytes():
    secret = new_secret()

    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
    assert secret != new_secret()


def test_client_secrets_never_show_the_secrets():
    secrets = ClientSecrets(owner_id="client-a", current=new_secret()).rotated(new_secret(), now=0)

    shown = f"{secrets!r} {secrets}"

    assert secrets.current not in shown
    assert secrets.previous is not None and secrets.previous not in shown


@VERIFIERS
def test_during_rotation_receivers_holding_either_secret_verify(verifies):
    # Given a rotation in progress
    current, previous = new_secret(), new_secret()
    signer = WebhookSigner((current, previous))

    # When a callback is signed
    headers = signed(signer)

    # Then it carries one v1 signature per secret, and either secret verifies it
    entries = headers["webhook-signature"].split(" ")
    assert len(entries) == 2
    assert all(entry.startswith("v1,") for entry in entries)
    assert verifies(current, BODY, headers)
    assert verifies(previous, BODY, headers)
    assert not verifies(new_secret(), BODY, headers)


# --- malformed secrets ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "whsec_not base64 at all!",
        "whsec_@@@@",
        "whsec_abc",
        "",
        "   ",
        "whsec_" + base64.b64encode(b"k" * 8).decode(),
    ],
    ids=["spaces", "symbols", "bad-padding", "empty", "blank", "too-short"],
)
def test_a_malformed_secret_is_refused_when_checked(value):
    with pytest.raises(ValueError):
        check_signing_secret(value)


def test_a_secret_with_an_empty_key_is_refused_when_parsed():
    # "whsec_" decodes to zero key bytes: an HMAC anyone can compute. Standard Webhooks
    # libraries refuse such a secret on the receiving side too.
    with pytest.raises(ValueError, match="secret"):
        check_signing_secret("whsec_")


def test_a_signer_needs_at_least_one_secret():
    with pytest.raises(ValueError, match="At least one"):
        WebhookSigner(())


@pytest.mark.parametrize("count", [1, 2])
def test_the_signer_never_shows_its_secrets(count):
    secrets = tuple(new_secret() for _ in range(count))
    signer = WebhookSigner(secrets)

    shown = " ".join([repr(signer), str(signer), f"{signer!r}", f"{signer}"])

    for secret in secrets:
        assert secret not in shown
        assert secret.removeprefix("whsec_") not in shown
    assert f"{count} secret" in shown

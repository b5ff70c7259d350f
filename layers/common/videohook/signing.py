"""Standard Webhooks signatures (https://www.standardwebhooks.com): receivers verify with
any Standard Webhooks library and the ``whsec_`` secret."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

SECRET_PREFIX = "whsec_"
# Standard Webhooks libraries want 24 to 64 bytes; fewer would make signatures guessable.
MIN_KEY_BYTES = 24


def check_signing_secret(value: str) -> str:
    """``value`` without surrounding whitespace, if it is a usable ``whsec_`` secret; a
    secret that cannot sign is refused where it enters (the ops script, the store)."""
    secret = value.strip()
    _key_bytes(secret)
    return secret


def new_signing_secret() -> str:
    """A fresh ``whsec_`` secret: 32 random bytes, as Standard Webhooks libraries expect."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _key_bytes(secret: str) -> bytes:
    try:
        key = base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except ValueError:
        raise ValueError("A webhook signing secret must be whsec_ followed by base64") from None
    if len(key) < MIN_KEY_BYTES:
        raise ValueError(f"A webhook signing secret must hold at least {MIN_KEY_BYTES} bytes")
    return key


@dataclass(frozen=True)
class WebhookSigner:
    secrets: tuple[str, ...]

    def __post_init__(self) -> None:
        if not self.secrets:
            raise ValueError("At least one signing secret is needed")

    def headers(self, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
        signed = f"{message_id}.{timestamp}.".encode() + body
        signatures = [
            "v1," + base64.b64encode(hmac.new(_key_bytes(s), signed, hashlib.sha256).digest()).decode()
            for s in self.secrets
        ]
        return {
            "webhook-id": message_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": " ".join(signatures),
        }

    def __repr__(self) -> str:  # the secrets must never reach a log line
        return f"WebhookSigner(<{len(self.secrets)} secret(s)>)"

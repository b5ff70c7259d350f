"""A client's webhook signing secrets: one current, and during a rotation the previous one
until its overlap ends."""

from __future__ import annotations

from dataclasses import dataclass

# How long a rotated-out secret keeps signing, so receivers can switch without a gap.
ROTATION_OVERLAP_SECONDS = 24 * 60 * 60


@dataclass(frozen=True)
class ClientSecrets:
    owner_id: str
    current: str
    previous: str | None = None
    # Epoch seconds after which ``previous`` no longer signs.
    previous_valid_until: int | None = None

    def signing(self, now: int) -> tuple[str, ...]:
        """The secrets each callback is signed with at ``now`` (current first)."""
        if self.previous and self.previous_valid_until is not None and now < self.previous_valid_until:
            return (self.current, self.previous)
        return (self.current,)

    def rotated(self, new_secret: str, now: int) -> ClientSecrets:
        return ClientSecrets(
            owner_id=self.owner_id,
            current=new_secret,
            previous=self.current,
            previous_valid_until=now + ROTATION_OVERLAP_SECONDS,
        )

    def __repr__(self) -> str:  # secrets must never reach a log line
        return f"ClientSecrets(owner_id={self.owner_id!r}, <hidden>)"

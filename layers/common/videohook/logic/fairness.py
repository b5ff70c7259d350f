"""Fair shares of a poller round between clients.

The pending index is read oldest due first, so a client with thousands of due jobs would
fill every round and its fan-out before another client's single due job. A round therefore
reads a wider window of due jobs and takes them round-robin by owner: each client with a
due job in the window gets at least an even share of what the round checks and hands out.
"""

from __future__ import annotations

from itertools import zip_longest

from videohook.models.jobs import Job


def take_fairly(due: list[Job], limit: int) -> list[Job]:
    """Up to ``limit`` of ``due`` (oldest due first): each owner's oldest, then each owner's
    next, and so on; owners in the order of their oldest due job."""
    by_owner: dict[str, list[Job]] = {}
    for job in due:
        by_owner.setdefault(job.owner_id, []).append(job)
    turns = zip_longest(*by_owner.values())
    return [job for turn in turns for job in turn if job is not None][:limit]

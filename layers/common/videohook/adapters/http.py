"""HTTP plumbing shared by the provider and webhook adapters: sessions and Retry-After."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import requests
from requests.adapters import HTTPAdapter

USER_AGENT = "videohook/1.0 (+https://github.com/videohook)"


def new_session(
    *, user_agent: str = USER_AGENT, pool_size: int = 10, adapter: HTTPAdapter | None = None
) -> requests.Session:
    """A session with our User-Agent and a connection pool as large as the threads that
    share it (requests' default of 10 discards connections under more)."""
    session = requests.Session()
    session.headers["User-Agent"] = user_agent
    mounted = adapter or HTTPAdapter(pool_connections=pool_size, pool_maxsize=pool_size, max_retries=0)
    session.mount("https://", mounted)
    session.mount("http://", mounted)
    return session


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds from now: delta-seconds or an HTTP-date; None if absent
    or unreadable."""
    if value is None:
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())

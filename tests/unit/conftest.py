"""Unit tests never touch the network: every socket is refused, so a test that would
reach DNS or a server fails loudly instead of quietly depending on the machine."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _no_sockets(socket_disabled: None) -> None:
    """pytest-socket's ``socket_disabled``, applied to every unit test."""

"""Unit tests never touch the network: every socket is refused, so a test that would
reach DNS or a server fails loudly instead of quietly depending on the machine."""

from __future__ import annotations

import aws_xray_sdk.core  # noqa: F401
import pytest

# The X-Ray SDK creates its UDP emitter's socket when it is first imported (a handler's
# Tracer imports it); nothing is sent. Imported here, before sockets are refused, a unit test
# file run on its own behaves as it does in the whole suite.


@pytest.fixture(autouse=True)
def _no_sockets(socket_disabled: None) -> None:
    """pytest-socket's ``socket_disabled``, applied to every unit test."""

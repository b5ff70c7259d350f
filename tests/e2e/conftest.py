from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.running import RunningStack, launch_stack


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """One stack for a test module, started as ``make run`` starts it."""
    with launch_stack(tmp_path_factory.mktemp("stack")) as running:
        yield running

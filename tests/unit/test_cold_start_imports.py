"""Each function's init, in a fresh process as Lambda runs it, builds the clients its first
event uses and nothing heavier: no validation library is imported before a request needs it
(the cold-start benchmark measures the same program; docs/performance.md, "Cold start")."""

from __future__ import annotations

import pytest

from benchmarks import cold_start


@pytest.mark.parametrize("function", sorted(cold_start.FUNCTIONS))
def test_a_functions_init_imports_no_validation_library(function):
    result = cold_start.run(cold_start.init_code(function))

    assert result["heavy"] == []
    assert result["clients"] == sorted(cold_start.FUNCTIONS[function][1])
    assert str(result["layer"]).startswith(str(cold_start.LAYER))

"""``make build`` leaves bytecode that Lambda's read-only code directories can use: hash-checked,
so the dates a deployment package gives its files do not matter (ops/compile_build.py)."""

from __future__ import annotations

import compileall
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ops.compile_build import compile_build, runtime_version

# 1980-01-01, the date SAM's packager gives every file (aws/aws-lambda-builders#924).
ZIP_EPOCH = 315_532_800


def build_output(root: Path) -> Path:
    """A ``sam build`` output in small: a layer (``python/``) and a function."""
    package = root / "build" / "CommonLayer" / "python" / "vhpkg"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "mod.py").write_text("def answer():\n    return 42\n")
    function = root / "build" / "SubmitFunction"
    function.mkdir()
    (function / "app.py").write_text("import vhpkg.mod\n")
    return root / "build"


def date_as_packaged(build: Path) -> None:
    for path in build.rglob("*.py"):
        os.utime(path, (ZIP_EPOCH, ZIP_EPOCH))


def import_trace(build: Path) -> str:
    """``python -v`` importing the function's module as Lambda would, unable to write bytecode."""
    environment = {
        **os.environ,
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONPATH": f"{build / 'CommonLayer' / 'python'}{os.pathsep}{build / 'SubmitFunction'}",
    }
    done = subprocess.run(
        [sys.executable, "-v", "-c", "import app"],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stderr


def test_the_bytecode_is_used_whatever_the_packaged_files_dates(tmp_path):
    build = build_output(tmp_path)

    assert [folder.name for folder in compile_build(build, workers=1)] == ["CommonLayer", "SubmitFunction"]
    date_as_packaged(build)

    trace = import_trace(build)

    assert f"code object from '{build}/CommonLayer/python/vhpkg/__pycache__/mod.cpython-" in trace
    assert f"code object from '{build}/SubmitFunction/__pycache__/app.cpython-" in trace


def test_bytecode_checked_by_date_would_be_thrown_away(tmp_path):
    # The control: what pip's or compileall's default bytecode does once packaged.
    build = build_output(tmp_path)
    assert compileall.compile_dir(build, quiet=1)
    date_as_packaged(build)

    trace = import_trace(build)

    assert "bytecode is stale for 'vhpkg.mod'" in trace
    assert f"code object from {build}/CommonLayer/python/vhpkg/mod.py" in trace


def test_a_source_changed_after_the_build_is_recompiled_not_run_stale(tmp_path):
    build = build_output(tmp_path)
    compile_build(build, workers=1)
    (build / "CommonLayer" / "python" / "vhpkg" / "mod.py").write_text("def answer():\n    return 43\n")

    trace = import_trace(build)

    assert f"code object from {build}/CommonLayer/python/vhpkg/mod.py" in trace


def test_the_runtime_is_read_from_the_template():
    assert runtime_version() == (3, 13)


def test_bytecode_of_another_python_is_refused(tmp_path, monkeypatch):
    from ops import compile_build as module

    monkeypatch.setattr(module, "runtime_version", lambda: (3, 99))

    with pytest.raises(SystemExit, match=r"python3\.99"):
        module.main([str(tmp_path)])

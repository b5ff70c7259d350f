"""Runs the functions' handlers in this process, as Lambda would: the handler modules are
loaded from ``functions/<name>/app.py`` (each Lambda sees its own ``app`` module) and called
with a Lambda-shaped context."""

from __future__ import annotations

import importlib.util
import time
import uuid
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

FUNCTIONS = Path(__file__).resolve().parent.parent / "functions"


@cache
def load_function(name: str) -> ModuleType:
    """``functions/<name>/app.py`` as module ``videohook_function_<name>``."""
    spec = importlib.util.spec_from_file_location(f"videohook_function_{name}", FUNCTIONS / name / "app.py")
    if spec is None or spec.loader is None:
        raise ImportError(f"No function named {name!r}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class LambdaContext:
    function_name: str = "videohook-local"
    timeout_seconds: float = 60.0
    memory_limit_in_mb: int = 256
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    _started: float = field(default_factory=time.monotonic)

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:us-east-1:123456789012:function:{self.function_name}"

    @property
    def function_version(self) -> str:
        return "$LATEST"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.timeout_seconds - (time.monotonic() - self._started)) * 1000))


def invoke(name: str, event: dict[str, Any], *, timeout_seconds: float = 60.0) -> Any:
    context = LambdaContext(function_name=f"videohook-{name}", timeout_seconds=timeout_seconds)
    return load_function(name).lambda_handler(event, context)

"""The no-Docker, no-AWS local stack: moto server, upstream simulator, API front, drivers.

The stack runs this checkout's code: its own ``layers/common`` (the ``videohook`` package
the functions import) goes first on ``sys.path``, ahead of whatever a virtualenv's ``.pth``
points at (a worktree sharing another checkout's ``.venv`` would otherwise run that
checkout's package). The execution environments' processes (multiprocessing, spawn) start
with this ``sys.path``.
"""

import sys
from pathlib import Path

_LAYER = str(Path(__file__).resolve().parent.parent / "layers" / "common")
if _LAYER not in sys.path:
    sys.path.insert(0, _LAYER)

"""Writes the public API's OpenAPI document (``docs/openapi.json``) from the submit
function's routes: ``make openapi``. ``--check`` exits 1 when the committed file is stale."""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DOCUMENT = ROOT / "docs" / "openapi.json"


def generated() -> str:
    """The document as the code describes it, serialised stably."""
    from videohook.api_document import api_document
    from videohook.catalog import Catalog

    spec = importlib.util.spec_from_file_location("videohook_submit_app", ROOT / "functions/submit/app.py")
    if spec is None or spec.loader is None:
        raise RuntimeError("functions/submit/app.py cannot be loaded")
    module: Any = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return json.dumps(api_document(module.app, Catalog.load()), indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if docs/openapi.json is stale")
    args = parser.parse_args(argv)
    text = generated()
    if args.check:
        if not DOCUMENT.exists() or DOCUMENT.read_text() != text:
            print(f"{DOCUMENT.relative_to(ROOT)} is stale: run make openapi", file=sys.stderr)
            return 1
        print(f"{DOCUMENT.relative_to(ROOT)} is up to date")
        return 0
    DOCUMENT.write_text(text)
    print(f"wrote {DOCUMENT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

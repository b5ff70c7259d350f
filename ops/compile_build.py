"""Compile the bytecode of a ``sam build`` output (``make build`` runs it after the build).

``sam build`` ships no bytecode: it unpacks wheels without compiling them and leaves the
functions' sources as they are. Lambda's code directories are read-only, so every cold start
would compile every module it imports, the libraries' included (boto3, botocore, Powertools,
requests: about 660 ms against 255 ms with bytecode on the development machine). Bytecode
compiled the usual way would not help either: its check is the source's modification time,
and SAM zips every file dated 1980-01-01 (aws/aws-lambda-builders#924), so it would never
match. This writes hash-checked bytecode (PEP 552): valid whatever the dates say, and
recompiled only if a source really changed.

Run it with the functions' runtime (``python3.13``): bytecode is specific to its Python.

    python3.13 ops/compile_build.py [.aws-sam/build]
"""

from __future__ import annotations

import compileall
import py_compile
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"


def runtime_version(template: Path = TEMPLATE) -> tuple[int, int]:
    """The functions' Python, from the template's ``Runtime: python3.N``."""
    found = re.search(r"^\s+Runtime:\s*python(\d+)\.(\d+)\s*$", template.read_text(), re.MULTILINE)
    if found is None:
        raise SystemExit(f"no 'Runtime: python3.N' in {template}")
    return int(found.group(1)), int(found.group(2))


def compile_build(build: Path, *, workers: int = 0) -> list[Path]:
    """Compiles every artifact folder of ``build`` (on ``workers`` processes, 0: one per
    core); answers the folders compiled."""
    artifacts = sorted(folder for folder in build.iterdir() if folder.is_dir())
    for folder in artifacts:
        compiled = compileall.compile_dir(
            folder,
            quiet=1,
            workers=workers,
            invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH,
        )
        if not compiled:
            raise SystemExit(f"could not compile {folder}")
    return artifacts


def main(argv: list[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else argv
    build = Path(arguments[0]) if arguments else ROOT / ".aws-sam" / "build"
    wanted = runtime_version()
    if sys.version_info[:2] != wanted:
        raise SystemExit(
            f"run this with python{wanted[0]}.{wanted[1]}, the functions' runtime "
            f"(this is {sys.version_info[0]}.{sys.version_info[1]}): bytecode is specific to its Python"
        )
    if not build.is_dir():
        raise SystemExit(f"{build} does not exist: run sam build first")
    folders = compile_build(build)
    print(f"compiled hash-checked bytecode in {len(folders)} build folder(s) of {build}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""What the model catalog costs: validating one request, per model, and loading the catalog on
a cold start. Targets: validation under 1 ms median for every model; load under 50 ms.

    .venv/bin/python -m benchmarks.catalog_validation [--runs 300] [--starts 15]

Validation is timed per model on two bodies (only the required fields, and every field the
schema has) after a first call that compiles the model's schema, against a bare baseline:
``json.loads`` of the same body. Loading is timed in fresh processes, against a process that
only imports ``json``, and from inside the process (import plus ``Catalog.load()``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path
from typing import Any

LAYER = Path(__file__).resolve().parent.parent / "layers" / "common"
LOAD_SNIPPET = (
    "import time; t = time.perf_counter(); "
    "from videohook.catalog import Catalog; Catalog.load(); "
    "print((time.perf_counter() - t) * 1000)"
)
# A function already imports the domain models and its settings (dataclasses, enums, json and
# more of the stdlib) by the time it loads the catalog: the catalog's own share of its cold start.
LOAD_IN_FUNCTION_SNIPPET = (
    "import videohook.models.jobs, videohook.models.messages, videohook.settings; " + LOAD_SNIPPET
)
FIRST_VALIDATION_SNIPPET = (
    "import time; from videohook.catalog import Catalog; c = Catalog.load(); "
    "t = time.perf_counter(); c.validate('gen4_turbo', {'image_url': 'https://a.example/b.png'}); "
    "print((time.perf_counter() - t) * 1000)"
)
BASELINE_SNIPPET = "import json"


def median_us(call: Callable[[], object], runs: int) -> float:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1e6


def every_field(schema: Mapping[str, Any]) -> Any:
    from videohook.catalog.examples import example_value

    return example_value({**schema, "required": list(schema.get("properties", {}))})


def spread(values: list[float]) -> str:
    return f"min {min(values):8.1f}  median {statistics.median(values):8.1f}  max {max(values):8.1f}"


def validation(runs: int) -> None:
    from videohook.catalog import Catalog
    from videohook.catalog.examples import minimal_request

    catalog = Catalog.load()
    for label, make_body in (
        ("required fields", minimal_request),
        ("every field", lambda s: every_field(s.parameters)),
    ):
        costs, baselines, compiles, worst = [], [], [], ("", 0.0)
        for spec in catalog.models():
            body = make_body(spec)
            started = time.perf_counter()
            assert catalog.validate(spec.id, body) == [], spec.id  # compiles on first use
            compiles.append((time.perf_counter() - started) * 1e3)
            cost = median_us(partial(catalog.validate, spec.id, body), runs)
            baselines.append(median_us(partial(json.loads, json.dumps(body)), runs))
            costs.append(cost)
            worst = max(worst, (spec.id, cost), key=lambda pair: pair[1])
        ratios = [cost / base for cost, base in zip(costs, baselines, strict=True)]
        print(f"validation, {label} ({len(costs)} models, median of {runs} runs each):")
        print(f"  validate       us  {spread(costs)}   (slowest: {worst[0]})")
        print(f"  json.loads     us  {spread(baselines)}")
        print(f"  ratio              {spread(ratios)}")
        print(f"  first call     ms  {spread(compiles)}   (compiles the model's schema)")


def fresh_process_ms(snippet: str, starts: int) -> tuple[list[float], list[float]]:
    """Wall-clock of ``python -c snippet`` and, if it prints one, the figure it measured."""
    env = {**os.environ, "PYTHONPATH": str(LAYER)}
    walls, inner = [], []
    for _ in range(starts):
        started = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-c", snippet], env=env, check=True, capture_output=True, text=True
        )
        walls.append((time.perf_counter() - started) * 1e3)
        if out.stdout.strip():
            inner.append(float(out.stdout))
    return walls, inner


def loading(starts: int) -> None:
    baseline, _ = fresh_process_ms(BASELINE_SNIPPET, starts)
    walls, inside = fresh_process_ms(LOAD_SNIPPET, starts)
    _, in_function = fresh_process_ms(LOAD_IN_FUNCTION_SNIPPET, starts)
    _, first = fresh_process_ms(FIRST_VALIDATION_SNIPPET, starts)
    added = statistics.median(walls) - statistics.median(baseline)
    print(f"catalog load in a fresh process ({starts} starts):")
    print(f"  python -c 'import json'            ms  {spread(baseline)}")
    print(f"  python -c 'Catalog.load()'         ms  {spread(walls)}")
    print(f"  added to a cold start (medians)    ms  {added:8.1f}")
    print(f"  import + load, measured inside     ms  {spread(inside)}")
    print(f"  after the models and settings      ms  {spread(in_function)}")
    print(f"  first validation (jsonschema import + one schema) ms  {spread(first)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=300, help="timed validations per model and body")
    parser.add_argument("--starts", type=int, default=15, help="fresh processes per load measurement")
    args = parser.parse_args(argv)
    validation(args.runs)
    loading(args.starts)
    return 0


if __name__ == "__main__":
    sys.exit(main())

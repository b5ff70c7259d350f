"""``make invoke FUNCTION=<logical id> EVENT=<file>``: one event, one handler, against the
running ``make run`` stack (same ``VIDEOHOOK_PORT``), as ``sam local invoke`` runs it but
without Docker: a fresh execution environment in its own process, the function's timeout
from ``template.yaml``, the stack's environment from ``.videohook/stack-<port>.json``. The
handler's return value is printed as JSON on stdout; a handler that raised exits 1.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from local.lambda_process import FunctionError
from local.lambdas import Lambdas
from local.resources import template
from local.state import StackNotRunning, read


def function_folder(logical_id: str) -> tuple[str, float]:
    """``functions/<name>/`` and the timeout of the template's function ``logical_id``."""
    resources = template()["Resources"]
    resource = resources.get(logical_id)
    if resource is None or resource.get("Type") != "AWS::Serverless::Function":
        functions = sorted(k for k, v in resources.items() if v.get("Type") == "AWS::Serverless::Function")
        raise SystemExit(f"No function {logical_id!r} in template.yaml; one of {', '.join(functions)}")
    properties = resource["Properties"]
    timeout = properties.get("Timeout", template()["Globals"]["Function"]["Timeout"])
    return Path(properties["CodeUri"]).name, float(timeout)


def with_api_key_id(event: dict[str, Any], api_key_id: str | None) -> dict[str, Any]:
    """An API Gateway event's caller, as API Gateway sets it after checking the key: events
    from ``sam local generate-event`` carry none."""
    identity = event.get("requestContext", {}).get("identity")
    if api_key_id and isinstance(identity, dict) and not identity.get("apiKeyId"):
        identity["apiKeyId"] = api_key_id
    return event


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make invoke", description=__doc__.split("\n\n")[0])
    parser.add_argument("function", help="the function's logical id in template.yaml, e.g. SubmitFunction")
    parser.add_argument("event", type=Path, help="a JSON event file, e.g. events/poller_schedule_tick.json")
    parser.add_argument("--port", type=int, default=int(os.environ.get("VIDEOHOOK_PORT", "3000")))
    parser.add_argument("--api-key-id", default=os.environ.get("API_KEY_ID") or None)
    args = parser.parse_args(argv)
    folder, timeout = function_folder(args.function)
    event = with_api_key_id(json.loads(args.event.read_text()), args.api_key_id)
    try:
        os.environ.update(read(args.port)["environment"])
    except StackNotRunning as exc:
        print(f"make invoke: {exc}", file=sys.stderr)
        return 2
    # The handler's logs go to stderr (the environment inherits this process's descriptors),
    # so stdout carries the answer alone, as `sam local invoke` prints it.
    answer_out = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    sys.stdout.flush()
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    lambdas = Lambdas("process", size=1)
    try:
        answer = lambdas.invoke(folder, event, timeout_seconds=timeout)
    except (FunctionError, TimeoutError) as exc:
        print(f"make invoke: {exc}", file=sys.stderr)
        return 1
    finally:
        lambdas.close()
    with answer_out:
        print(json.dumps(answer, indent=2), file=answer_out)
    return 0


if __name__ == "__main__":
    sys.exit(main())

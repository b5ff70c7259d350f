"""One generation end to end against the local stack (``make demo``).

Submits a gen3a_turbo request whose callback points at a receiver on loopback, waits for
the signed callback, verifies it with the Standard Webhooks reference library, then shows
the job and checks the S3 copy against the checksum the job recorded. Starts the local stack
itself when none answers on ``VIDEOHOOK_PORT``.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from contextlib import ExitStack
from typing import Any

import requests
from standardwebhooks.webhooks import Webhook

from local.receiver import WebhookReceiver
from local.stack import DEFAULT_API_KEY, DEFAULT_WEBHOOK_SECRET, LocalStack, StackConfig

CALLBACK_TIMEOUT_SECONDS = 90


def _stack_is_up(base_url: str) -> bool:
    try:
        requests.get(f"{base_url}/v1/generations/ping", timeout=1)
    except requests.ConnectionError:
        return False
    return True


def _show(title: str, value: Any) -> None:
    print(f"\n== {title}")
    print(json.dumps(value, indent=2) if not isinstance(value, str) else value)


def run(base_url: str, api_key: str, webhook_secret: str) -> int:
    with WebhookReceiver() as receiver:
        request: dict[str, Any] = {
            "model": "gen3a_turbo",
            "prompt": "A jellyfish drifting through a sunlit ocean",
            "image_url": "https://upload.wikimedia.org/wikipedia/commons/3/35/Maldivesfish2.jpg",
            "ratio": "16:9",
            "duration": 5,
            "callback_url": receiver.url,
            "metadata": {"demo": True},
        }
        answer = requests.post(
            f"{base_url}/v1/generations", json=request, headers={"x-api-key": api_key}, timeout=30
        )
        _show(f"POST /v1/generations -> {answer.status_code}", answer.json())
        if answer.status_code != 202:
            return 1
        job_id = answer.json()["id"]

        print(f"\nwaiting up to {CALLBACK_TIMEOUT_SECONDS} s for the callback at {receiver.url} ...")
        started = time.monotonic()
        [callback] = receiver.wait_for(1, timeout=CALLBACK_TIMEOUT_SECONDS)
        headers = {name.lower(): value for name, value in callback.headers.items()}
        payload = Webhook(webhook_secret).verify(callback.body, headers)
        _show(
            f"callback received after {time.monotonic() - started:.1f} s; signature VERIFIED",
            {name: headers[name] for name in ("webhook-id", "webhook-timestamp", "webhook-signature")},
        )
        _show("callback body", payload)

    job = requests.get(
        f"{base_url}/v1/generations/{job_id}", headers={"x-api-key": api_key}, timeout=30
    ).json()
    _show(f"GET /v1/generations/{job_id}", job)
    if job["status"] != "completed":
        return 1
    video = job["video"]
    content = requests.get(video["url"], timeout=30).content
    matches = hashlib.sha256(content).hexdigest() == video["sha256"] and len(content) == video["size"]
    _show(
        "S3 object",
        f"s3://{video['bucket']}/{video['key']}: {len(content)} bytes, sha256 {video['sha256']} "
        f"({'matches the job' if matches else 'DOES NOT MATCH the job'})",
    )
    return 0 if matches else 1


def main() -> int:
    config = StackConfig.from_environment()
    base_url = f"http://127.0.0.1:{config.port}"
    api_key = (config.api_keys or [DEFAULT_API_KEY])[0]
    with ExitStack() as cleanup:
        if not _stack_is_up(base_url):
            print(f"No stack answers on {base_url}; starting one for this demo.")
            stack = LocalStack(config).start()
            cleanup.callback(stack.stop)
        return run(base_url, api_key, os.environ.get("WEBHOOK_SECRET", DEFAULT_WEBHOOK_SECRET))


if __name__ == "__main__":
    sys.exit(main())

"""Issue 12: hundreds of submits in flight at once, from several clients, through the local
stack. Each job must keep its own request's body and owner, complete, and get exactly one
callback on its own URL. A front that let two requests share one handler module (and so one
resolver's ``current_event``) mixes bodies and owners here."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from local.receiver import WebhookReceiver
from tests.e2e.running import SECRET, RunningStack, launch_stack

pytestmark = pytest.mark.e2e

CLIENT_KEYS = [f"e2e-tenant-{n}-key" for n in range(4)]
JOBS_PER_CLIENT = 60
CLIENT_THREADS = 48
SETTLE_SECONDS = 3  # after the last expected callback, how long a duplicate has to show up


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    with launch_stack(tmp_path_factory.mktemp("stack"), VIDEOHOOK_API_KEY=",".join(CLIENT_KEYS)) as running:
        yield running


def request_for(receiver: WebhookReceiver, client: int, n: int) -> dict[str, Any]:
    return {
        "model": "gen3a_turbo",
        "prompt": f"client {client} job {n}: a lighthouse at dusk",
        "image_url": f"https://images.example.com/{client}/{n}.png",
        "callback_url": f"{receiver.base_url}/hooks/{client}/{n}",
        "metadata": {"client": client, "n": n},
    }


@pytest.mark.timeout(300)
def test_concurrent_submits_keep_their_own_body_owner_and_callback(stack: RunningStack):
    with WebhookReceiver() as receiver, requests.Session() as http:
        http.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=CLIENT_THREADS))
        wanted = [(client, n) for n in range(JOBS_PER_CLIENT) for client in range(len(CLIENT_KEYS))]

        def submit(client_and_n: tuple[int, int]) -> tuple[int, int, requests.Response]:
            client, n = client_and_n
            answer = http.post(
                f"{stack.api}/v1/generations",
                json=request_for(receiver, client, n),
                headers={"x-api-key": CLIENT_KEYS[client]},
                timeout=60,
            )
            return client, n, answer

        # When: every submit is sent at once, many in flight together.
        with ThreadPoolExecutor(CLIENT_THREADS) as pool:
            submitted = list(pool.map(submit, wanted))

        # Then: each answer describes its own request.
        job_of: dict[str, tuple[int, int]] = {}
        for client, n, answer in submitted:
            assert answer.status_code == 202, answer.text
            job = answer.json()
            sent = request_for(receiver, client, n)
            assert job["input"]["prompt"] == sent["prompt"]
            assert job["metadata"] == sent["metadata"]
            assert job["callback"]["url"] == sent["callback_url"]
            job_of[job["id"]] = (client, n)
        assert len(job_of) == len(wanted)

        # And: each job belongs to the client that sent it, and to no other.
        def owners(job_id: str) -> list[int]:
            return [
                client
                for client, key in enumerate(CLIENT_KEYS)
                if http.get(
                    f"{stack.api}/v1/generations/{job_id}", headers={"x-api-key": key}, timeout=60
                ).status_code
                == 200
            ]

        with ThreadPoolExecutor(CLIENT_THREADS) as pool:
            for job_id, seen_by in zip(job_of, pool.map(owners, job_of), strict=True):
                assert seen_by == [job_of[job_id][0]], job_id

        # And: each client holds its own signing secret (the first key's is WEBHOOK_SECRET).
        secrets = [
            http.get(f"{stack.api}/v1/webhook-secret", headers={"x-api-key": key}, timeout=60).json()[
                "secret"
            ]
            for key in CLIENT_KEYS
        ]
        assert secrets[0] == SECRET
        assert len(set(secrets)) == len(CLIENT_KEYS)

        # And: every job completes with exactly one callback, on its own URL.
        receiver.wait_for(len(wanted), timeout=240)
        time.sleep(SETTLE_SECONDS)
        callbacks = list(receiver.received)
    assert Counter(callback.path for callback in callbacks) == Counter(
        f"/hooks/{client}/{n}" for client, n in wanted
    )
    for callback in callbacks:
        headers = {name.lower(): value for name, value in callback.headers.items()}
        sender = int(callback.path.split("/")[2])
        # Signed with its own client's secret, and with no other client's.
        payload = Webhook(secrets[sender]).verify(callback.body, headers)
        other = secrets[(sender + 1) % len(secrets)]
        with pytest.raises(WebhookVerificationError):
            Webhook(other).verify(callback.body, headers)
        client, n = job_of[payload["data"]["id"]]
        assert callback.path == f"/hooks/{client}/{n}"
        assert payload["type"] == "generation.completed", json.dumps(payload)[:500]
        assert payload["data"]["metadata"] == {"client": client, "n": n}

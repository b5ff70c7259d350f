"""`make run`'s stack with one model for each way the provider answers (a family on each
route), all submitted at once: each gets its own verified callback and a byte-exact copy."""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from standardwebhooks.webhooks import Webhook

from local.receiver import WebhookReceiver
from local.simulator.families import one_model_per_answer
from tests.e2e.running import API_KEY, SECRET, RunningStack
from videohook.catalog import Catalog
from videohook.catalog.examples import minimal_request

pytestmark = pytest.mark.e2e

CATALOG = Catalog.load()
MODELS = one_model_per_answer(CATALOG)


@pytest.mark.timeout(240)
def test_one_model_of_each_family_ends_in_a_verified_callback(stack: RunningStack):
    with WebhookReceiver() as receiver, requests.Session() as http:

        def submit(label_and_model: tuple[str, str]) -> requests.Response:
            label, model_id = label_and_model
            spec = CATALOG.get(model_id)
            assert spec is not None
            body = {
                "model": model_id,
                **minimal_request(spec),
                "callback_url": f"{receiver.base_url}/hooks/{label}",
            }
            return http.post(
                f"{stack.api}/v1/generations", json=body, headers={"x-api-key": API_KEY}, timeout=60
            )

        with ThreadPoolExecutor(len(MODELS)) as pool:
            answers = list(pool.map(submit, MODELS.items()))
        model_of_job = {}
        for (label, model_id), answer in zip(MODELS.items(), answers, strict=True):
            assert answer.status_code == 202, (label, answer.text)
            model_of_job[answer.json()["id"]] = (label, model_id)

        callbacks = receiver.wait_for(len(MODELS), timeout=180)

        seen = set()
        for callback in callbacks:
            headers = {name.lower(): value for name, value in callback.headers.items()}
            payload = Webhook(SECRET).verify(callback.body, headers)
            label, model_id = model_of_job[payload["data"]["id"]]
            assert callback.path == f"/hooks/{label}"
            assert payload["type"] == "generation.completed", payload
            assert payload["data"]["model"] == model_id
            seen.add(payload["data"]["id"])
        assert seen == set(model_of_job)

        for job_id in model_of_job:
            job = http.get(f"{stack.api}/v1/generations/{job_id}", headers={"x-api-key": API_KEY}, timeout=30)
            video = job.json()["video"]
            copy = http.get(video["url"], timeout=30)
            assert hashlib.sha256(copy.content).hexdigest() == video["sha256"]

"""`make run`'s stack in its own process, driven over real HTTP like a client would."""

from __future__ import annotations

import hashlib
import time

import pytest
import requests
from standardwebhooks.webhooks import Webhook

from local.receiver import WebhookReceiver
from tests.e2e.running import API_KEY, OTHER_API_KEY, SECRET, UPSTREAM_KEY, RunningStack

pytestmark = pytest.mark.e2e


def post_generation(
    stack: RunningStack, callback_url: str, api_key: str = API_KEY, **changes
) -> requests.Response:
    body = {
        "model": "gen4_turbo",
        "prompt": "A paper boat on a rainy street",
        "image_url": "https://images.example.com/boat.png",
        "ratio": "16:9",
        "callback_url": callback_url,
        "metadata": {"order": 7},
        **changes,
    }
    return requests.post(f"{stack.api}/v1/generations", json=body, headers={"x-api-key": api_key}, timeout=30)


def test_a_generation_ends_in_a_verified_callback_and_a_byte_exact_s3_copy(stack: RunningStack):
    with WebhookReceiver() as receiver:
        accepted = post_generation(stack, receiver.url)
        assert accepted.status_code == 202, accepted.text
        job_id = accepted.json()["id"]

        [callback] = receiver.wait_for(1, timeout=60)

    headers = {name.lower(): value for name, value in callback.headers.items()}
    payload = Webhook(SECRET).verify(callback.body, headers)
    assert payload["type"] == "generation.completed"
    assert payload["data"]["id"] == job_id
    assert payload["data"]["metadata"] == {"order": 7}

    # The notifier records the attempt once it has the receiver's answer, just after the
    # receiver has the callback.
    deadline = time.monotonic() + 10
    while True:
        job = requests.get(
            f"{stack.api}/v1/generations/{job_id}", headers={"x-api-key": API_KEY}, timeout=30
        ).json()
        if job["callback"]["status"] != "pending" or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert job["status"] == "completed"
    assert job["callback"]["status"] == "delivered"
    copy = requests.get(job["video"]["url"], timeout=30)
    served = requests.get(f"{stack.simulator}/files/{job['upstream']['id']}.mp4", timeout=30)
    assert copy.status_code == served.status_code == 200
    assert copy.content == served.content
    assert hashlib.sha256(copy.content).hexdigest() == job["video"]["sha256"]


def test_a_missing_or_wrong_api_key_is_refused_like_api_gateway(stack: RunningStack):
    missing = requests.post(f"{stack.api}/v1/generations", json={}, timeout=10)
    wrong = requests.get(f"{stack.api}/v1/generations/gen_x", headers={"x-api-key": "nope"}, timeout=10)

    assert missing.status_code == wrong.status_code == 403
    # The body is the template's DEFAULT_4XX gateway response, as the deployed API writes it.
    expected = {"error": {"code": "INVALID_API_KEY", "message": "Forbidden", "details": None}}
    assert missing.json() == wrong.json() == expected


def test_bad_input_is_a_400_naming_the_fields(stack: RunningStack):
    answer = post_generation(stack, "http://10.0.0.5/hook", ratio="2:1", duration=3)

    assert answer.status_code == 400
    fields = {d["field"] for d in answer.json()["error"]["details"]}
    assert fields == {"ratio", "duration", "callback_url"}


def test_a_private_callback_host_is_refused_even_in_local_mode(stack: RunningStack):
    answer = post_generation(stack, "https://169.254.169.254/latest/meta-data/")

    assert answer.status_code == 400
    assert answer.json()["error"]["details"][0]["field"] == "callback_url"


def test_one_client_cannot_see_anothers_job(stack: RunningStack):
    with WebhookReceiver() as receiver:
        job_id = post_generation(stack, receiver.url).json()["id"]

        other = requests.get(
            f"{stack.api}/v1/generations/{job_id}", headers={"x-api-key": OTHER_API_KEY}, timeout=10
        )

    assert other.status_code == 404


def test_secrets_never_reach_the_stack_output(stack: RunningStack):
    with WebhookReceiver() as receiver:
        post_generation(stack, receiver.url)
        receiver.wait_for(1, timeout=60)

    output = stack.output.read_text()
    assert "Generation accepted" in output  # the log is really being captured
    assert SECRET not in output
    assert SECRET.removeprefix("whsec_") not in output
    assert UPSTREAM_KEY not in output

"""What downstream teams and engineers do with `make run`: subscribe their own consumer to
the domain events through the AWS API, and run single events with `make invoke`."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import boto3
import pytest
import requests

from local.receiver import WebhookReceiver
from local.state import read, sam_env_file
from tests.e2e.running import API_KEY, ROOT, RunningStack

pytestmark = pytest.mark.e2e

# Every event file (env.*.json are `--env-vars` files, not events).
EVENTS = sorted(e for e in (ROOT / "events").glob("*.json") if not e.name.startswith("env."))
FUNCTION_BY_PREFIX = {
    "submit": "SubmitFunction",
    "poller": "PollerFunction",
    "poll_worker": "PollWorkerFunction",
    "notifier": "NotifierFunction",
    "consumer": "ConsumerFunction",
}


def port_of(stack: RunningStack) -> int:
    return int(stack.api.rsplit(":", 1)[1])


def aws_client(stack: RunningStack, service: str) -> object:
    """A client as another team would make one: endpoint and credentials from what the
    stack publishes, nothing from this project's code."""
    environment = read(port_of(stack))["environment"]
    return boto3.client(
        service,
        endpoint_url=environment["AWS_ENDPOINT_URL"],
        region_name=environment["AWS_DEFAULT_REGION"],
        aws_access_key_id=environment["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=environment["AWS_SECRET_ACCESS_KEY"],
    )


def make_invoke(
    stack: RunningStack, function: str, event: Path, **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", "-s", "invoke", f"FUNCTION={function}", f"EVENT={event}"],
        cwd=ROOT,
        env={**_plain_environment(), "VIDEOHOOK_PORT": str(port_of(stack)), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _plain_environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}


def test_a_consumer_nobody_here_wrote_gets_one_event_per_finished_job(stack: RunningStack):
    # Given a team's own rule and queue on videohook's bus, added through the AWS API
    sqs, events = aws_client(stack, "sqs"), aws_client(stack, "events")
    bus = read(port_of(stack))["environment"]["EVENT_BUS_NAME"]
    queue_url = sqs.create_queue(QueueName="orders-team-videos")["QueueUrl"]  # type: ignore[attr-defined]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]  # type: ignore[attr-defined]
    pattern = {"source": ["videohook"], "detail-type": ["Generation Completed", "Generation Failed"]}
    events.put_rule(Name="orders-team", EventBusName=bus, EventPattern=json.dumps(pattern))  # type: ignore[attr-defined]
    events.put_targets(Rule="orders-team", EventBusName=bus, Targets=[{"Id": "q", "Arn": queue_arn}])  # type: ignore[attr-defined]

    # When two generations finish, one of them failing
    with WebhookReceiver() as receiver:
        ids = []
        for order, prompt in (("ord_1", "A kite over dunes"), ("ord_2", "A kite [fail]")):
            body = {
                "model": "gen4_turbo",
                "prompt": prompt,
                "image_url": "https://images.example.com/kite.png",
                "callback_url": receiver.url,
                "metadata": {"order_id": order},
            }
            answer = requests.post(
                f"{stack.api}/v1/generations", json=body, headers={"x-api-key": API_KEY}, timeout=30
            )
            assert answer.status_code == 202, answer.text
            ids.append(answer.json()["id"])
        receiver.wait_for(2, timeout=60)

    # Then the team's queue holds exactly one event per job, with the client's metadata
    received: list[dict] = []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        batch = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)  # type: ignore[attr-defined]
        received += [json.loads(m["Body"]) for m in batch.get("Messages", [])]
    by_job = {e["detail"]["id"]: e for e in received}
    assert len(received) == 2 and set(by_job) == set(ids)
    done, failed = by_job[ids[0]], by_job[ids[1]]
    assert (done["detail-type"], done["detail"]["metadata"]) == (
        "Generation Completed",
        {"order_id": "ord_1"},
    )
    assert (failed["detail-type"], failed["detail"]["metadata"]) == (
        "Generation Failed",
        {"order_id": "ord_2"},
    )
    # and the video describes itself: metadata on the object, the manifest beside it
    s3 = aws_client(stack, "s3")
    video = done["detail"]["video"]
    head = s3.head_object(Bucket=video["bucket"], Key=video["key"])  # type: ignore[attr-defined]
    assert head["Metadata"]["meta-order_id"] == "ord_1" and head["Metadata"]["job-id"] == ids[0]
    manifest = s3.get_object(Bucket=video["bucket"], Key=f"videos/{ids[0]}.json")["Body"].read()  # type: ignore[attr-defined]
    assert json.loads(manifest) == done["detail"]


@pytest.mark.parametrize("event", EVENTS, ids=[e.name for e in EVENTS])
def test_make_invoke_runs_every_event_file(stack: RunningStack, event: Path):
    [function] = [f for prefix, f in FUNCTION_BY_PREFIX.items() if event.name.startswith(f"{prefix}_")]

    ran = make_invoke(stack, function, event)

    assert ran.returncode == 0, ran.stderr
    answer = json.loads(ran.stdout)
    if function == "SubmitFunction":
        assert answer["statusCode"] in (200, 202, 400, 404, 409), answer
    elif function == "PollerFunction":
        assert "due" in answer
    elif function == "ConsumerFunction":
        assert answer["status"] == "missing"  # its example video is not in the local bucket


def test_make_invoke_takes_a_base64_event_from_sam_local_generate_event(stack: RunningStack, tmp_path: Path):
    body = {
        "model": "gen4_turbo",
        "prompt": "A lantern on a pier",
        "image_url": "https://images.example.com/lantern.png",
        "callback_url": "http://127.0.0.1:9/hook",
    }
    generated = subprocess.run(
        [
            str(ROOT / ".tools/bin/sam"),
            "local",
            "generate-event",
            "apigateway",
            "aws-proxy",
            "--method",
            "POST",
            "--path",
            "v1/generations",
            "--resource",
            "/v1/generations",
            "--body",
            json.dumps(body),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    event_file = tmp_path / "generated.json"
    event_file.write_text(generated.stdout)
    assert json.loads(generated.stdout)["isBase64Encoded"] is True

    anonymous = json.loads(make_invoke(stack, "SubmitFunction", event_file).stdout)
    accepted = json.loads(make_invoke(stack, "SubmitFunction", event_file, API_KEY_ID="local-team").stdout)

    assert anonymous["statusCode"] == 401  # API Gateway would have refused it: no key
    assert accepted["statusCode"] == 202, accepted["body"]
    assert json.loads(accepted["body"])["status"] == "queued"


def test_the_stack_publishes_an_env_vars_file_for_sam_local_invoke(stack: RunningStack):
    parameters = json.loads(sam_env_file(port_of(stack)).read_text())["Parameters"]

    assert parameters["AWS_ENDPOINT_URL"].startswith("http://host.docker.internal:")
    assert parameters["EVENT_BUS_NAME"] == read(port_of(stack))["environment"]["EVENT_BUS_NAME"]
    assert "AWS_SECRET_ACCESS_KEY" not in parameters  # not declared by the template

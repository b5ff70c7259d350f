"""``template.yaml`` against the code: what the handlers and settings rely on must be what
``sam deploy`` creates. Read with the same CloudFormation-aware loader the local stack uses."""

from __future__ import annotations

import re
from typing import Any

import pytest

from local.resources import max_receive_count, template
from videohook.adapters.jobs import PENDING_INDEX
from videohook.models.jobs import Job
from videohook.settings import DEFAULT_CALLBACK_RETRY_DELAYS, MAX_SQS_VISIBILITY_SECONDS, Settings

FUNCTIONS = ("SubmitFunction", "PollerFunction", "NotifierFunction")


@pytest.fixture(scope="module")
def cfn() -> dict[str, Any]:
    return template()


def resource(cfn: dict[str, Any], logical_id: str) -> dict[str, Any]:
    return cfn["Resources"][logical_id]


def properties(cfn: dict[str, Any], logical_id: str) -> dict[str, Any]:
    return resource(cfn, logical_id)["Properties"]


def test_the_template_has_exactly_the_three_functions(cfn):
    functions = {name for name, res in cfn["Resources"].items() if res["Type"] == "AWS::Serverless::Function"}

    assert functions == set(FUNCTIONS)


@pytest.mark.parametrize("function", FUNCTIONS)
def test_every_function_runs_python_3_13_with_the_common_layer(cfn, function):
    globals_ = cfn["Globals"]["Function"]
    own = properties(cfn, function)

    assert own.get("Runtime", globals_["Runtime"]) == "python3.13"
    assert {"Ref": "CommonLayer"} in own.get("Layers", globals_["Layers"])


def test_the_common_layer_is_built_for_the_functions_runtime_and_architecture(cfn):
    layer = resource(cfn, "CommonLayer")
    globals_ = cfn["Globals"]["Function"]

    assert globals_["Runtime"] in layer["Properties"]["CompatibleRuntimes"]
    assert layer["Metadata"]["BuildMethod"] == globals_["Runtime"]
    assert layer["Properties"]["CompatibleArchitectures"] == globals_["Architectures"]


def test_the_queues_own_dead_lettering_is_only_a_safety_net_behind_the_schedule(cfn):
    # The notifier moves a callback to the DLQ after its last attempt; SQS's redrive must not
    # act first, even for a FIFO message received (and skipped) more often than attempted.
    redrive = properties(cfn, "NotifyQueue")["RedrivePolicy"]

    assert redrive["maxReceiveCount"] >= 2 * (len(DEFAULT_CALLBACK_RETRY_DELAYS) + 1)
    assert max_receive_count() == redrive["maxReceiveCount"]
    assert redrive["deadLetterTargetArn"] == {"Fn::GetAtt": ["NotifyDeadLetterQueue", "Arn"]}


def test_the_retry_delays_parameter_defaults_to_the_settings_default(cfn):
    default = cfn["Parameters"]["CallbackRetryDelays"]["Default"]

    assert tuple(int(part) for part in str(default).split(",")) == DEFAULT_CALLBACK_RETRY_DELAYS


def test_the_notify_queue_keeps_messages_longer_than_the_whole_schedule(cfn):
    retention = properties(cfn, "NotifyQueue")["MessageRetentionPeriod"]

    assert retention > sum(DEFAULT_CALLBACK_RETRY_DELAYS) * 1.1


def test_the_pending_index_is_the_one_the_repository_queries(cfn):
    jobs = properties(cfn, "JobsTable")
    indexes = {index["IndexName"]: index for index in jobs["GlobalSecondaryIndexes"]}

    assert PENDING_INDEX == "PendingByNextCheck"
    assert indexes[PENDING_INDEX]["KeySchema"] == [
        {"AttributeName": "pending_partition", "KeyType": "HASH"},
        {"AttributeName": "next_check_at", "KeyType": "RANGE"},
    ]
    types = {d["AttributeName"]: d["AttributeType"] for d in jobs["AttributeDefinitions"]}
    assert types == {"job_id": "S", "pending_partition": "S", "next_check_at": "N"}
    assert jobs["KeySchema"] == [{"AttributeName": "job_id", "KeyType": "HASH"}]


def test_the_jobs_table_expires_items_on_the_job_expiry_attribute_and_keeps_backups(cfn):
    jobs = properties(cfn, "JobsTable")

    assert jobs["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert "expires_at" in Job.model_fields
    assert jobs["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert resource(cfn, "JobsTable")["DeletionPolicy"] == "Retain"


def test_the_videos_bucket_is_private_and_announces_new_objects(cfn):
    bucket = properties(cfn, "VideosBucket")

    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert bucket["NotificationConfiguration"]["EventBridgeConfiguration"]["EventBridgeEnabled"] is True


def test_the_poller_runs_every_minute(cfn):
    events = properties(cfn, "PollerFunction")["Events"]
    schedules = [event["Properties"]["Schedule"] for event in events.values() if event["Type"] == "Schedule"]

    assert schedules == ["rate(1 minute)"]


def test_every_required_setting_is_set_for_every_function(cfn):
    variables = cfn["Globals"]["Function"]["Environment"]["Variables"]
    required = {name.upper() for name, field in Settings.model_fields.items() if field.is_required()}

    assert required == {
        "JOBS_TABLE_NAME",
        "IDEMPOTENCY_TABLE_NAME",
        "VIDEOS_BUCKET_NAME",
        "NOTIFY_QUEUE_URL",
        "NOTIFY_DEAD_LETTER_QUEUE_URL",
        "AIMLAPI_API_KEY_SECRET_ID",
        "WEBHOOK_SECRET_ID",
    }
    assert required <= set(variables)
    assert variables["CALLBACK_RETRY_DELAYS"] == {"Ref": "CallbackRetryDelays"}
    for function in FUNCTIONS:
        own = properties(cfn, function).get("Environment", {}).get("Variables", {})
        assert not required & set(own), f"{function} overrides a required setting"


def _allowed_actions(cfn, function: str) -> set[str]:
    actions: set[str] = set()
    for policy in properties(cfn, function)["Policies"]:
        for statement in policy.get("Statement", []):
            granted = statement["Action"]
            actions.update([granted] if isinstance(granted, str) else granted)
    return actions


@pytest.mark.parametrize(
    ("function", "needed"),
    [
        # put (insert), update (mark_submitted), delete (discard_submission), get (reads)
        (
            "SubmitFunction",
            {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:GetItem"},
        ),
        # query (due_jobs), update (claim/finish), put + get on objects (copy, find_copy)
        # ListBucket: HeadObject on a missing key is a 404 only with it (a 403 without)
        (
            "PollerFunction",
            {"dynamodb:Query", "dynamodb:UpdateItem", "s3:PutObject", "s3:GetObject", "s3:ListBucket"},
        ),
        # get + update (record_delivery), get on objects (presigned URL in the callback)
        ("NotifierFunction", {"dynamodb:GetItem", "dynamodb:UpdateItem", "s3:GetObject"}),
    ],
)
def test_each_function_may_make_the_calls_its_adapters_make(cfn, function, needed):
    assert needed <= _allowed_actions(cfn, function)


@pytest.mark.parametrize(
    ("delays", "accepted"),
    [
        ("5,300,1800,7200,18000,36000,36000", True),
        ("0", True),
        ("42999", True),
        ("43000", False),
        ("99999", False),
        ("5,,3", False),
    ],
)
def test_the_retry_delay_parameter_admits_only_what_sqs_and_the_settings_accept(cfn, delays, accepted):
    pattern = cfn["Parameters"]["CallbackRetryDelays"]["AllowedPattern"]

    assert bool(re.fullmatch(pattern, delays)) is accepted
    if accepted:
        assert all(int(d) < MAX_SQS_VISIBILITY_SECONDS for d in delays.split(","))

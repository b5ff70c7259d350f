"""``template.yaml`` against the code: what the handlers and settings rely on must be what
``sam deploy`` creates. Read with the same CloudFormation-aware loader the local stack uses."""

from __future__ import annotations

import ast
import dataclasses
import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

import videohook
from local.resources import TEMPLATE, max_receive_count, template
from videohook.adapters.job_client_writes import OWNER_INDEX
from videohook.adapters.pending_index import PENDING_INDEX
from videohook.models.jobs import Job, JobSummary
from videohook.models.outcomes import SweepOutcome
from videohook.models.records import field_names
from videohook.settings import DEFAULT_CALLBACK_RETRY_DELAYS, MAX_SQS_VISIBILITY_SECONDS, Settings

FUNCTIONS = ("SubmitFunction", "PollerFunction", "PollWorkerFunction", "NotifierFunction")
ROOT = TEMPLATE.parent
LAYER_PACKAGE = Path(videohook.__file__).resolve().parent
STACK = "videohook-prod"
REGION = "us-east-1"
TOPIC_ACTIONS = {"Fn::If": ["HasAlarmTopic", [{"Ref": "AlarmTopicArn"}], {"Ref": "AWS::NoValue"}]}


@pytest.fixture(scope="module")
def cfn() -> dict[str, Any]:
    return template()


def resource(cfn: dict[str, Any], logical_id: str) -> dict[str, Any]:
    return cfn["Resources"][logical_id]


def properties(cfn: dict[str, Any], logical_id: str) -> dict[str, Any]:
    return resource(cfn, logical_id)["Properties"]


def test_the_template_has_the_listed_functions_and_the_optional_example_consumer(cfn):
    functions = {name for name, res in cfn["Resources"].items() if res["Type"] == "AWS::Serverless::Function"}

    assert functions == {*FUNCTIONS, "ConsumerFunction"}
    assert resource(cfn, "ConsumerFunction")["Condition"] == "HasExampleConsumer"
    assert cfn["Parameters"]["DeployExampleConsumer"]["Default"] == "false"


def test_the_example_consumer_subscribes_to_completed_generations_on_the_stacks_bus(cfn):
    [rule] = properties(cfn, "ConsumerFunction")["Events"].values()

    assert rule["Type"] == "EventBridgeRule"
    assert rule["Properties"]["EventBusName"] == {"Ref": "EventBus"}
    assert rule["Properties"]["Pattern"] == {"source": ["videohook"], "detail-type": ["Generation Completed"]}


def test_videos_expire_only_when_a_retention_is_given(cfn):
    rules = properties(cfn, "VideosBucket")["LifecycleConfiguration"]["Rules"]
    condition, expire, otherwise = rules[-1]["Fn::If"]

    assert (condition, otherwise) == ("HasVideoRetention", {"Ref": "AWS::NoValue"})
    assert expire["ExpirationInDays"] == {"Ref": "VideoRetentionDays"}
    assert cfn["Parameters"]["VideoRetentionDays"]["Default"] == 0


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


def test_the_indexes_are_the_ones_the_repository_queries(cfn):
    jobs = properties(cfn, "JobsTable")
    indexes = {index["IndexName"]: index for index in jobs["GlobalSecondaryIndexes"]}

    assert PENDING_INDEX == "PendingByNextCheck"
    assert indexes[PENDING_INDEX]["KeySchema"] == [
        {"AttributeName": "pending_partition", "KeyType": "HASH"},
        {"AttributeName": "next_check_at", "KeyType": "RANGE"},
    ]
    assert indexes[OWNER_INDEX]["KeySchema"] == [
        {"AttributeName": "owner_id", "KeyType": "HASH"},
        {"AttributeName": "created_at", "KeyType": "RANGE"},
    ]
    # The usage report reads exactly these of each job (JobSummary).
    assert set(indexes[OWNER_INDEX]["Projection"]["NonKeyAttributes"]) == set(field_names(JobSummary))
    types = {d["AttributeName"]: d["AttributeType"] for d in jobs["AttributeDefinitions"]}
    assert types == {
        "job_id": "S",
        "pending_partition": "S",
        "next_check_at": "N",
        "owner_id": "S",
        "created_at": "S",
    }
    assert jobs["KeySchema"] == [{"AttributeName": "job_id", "KeyType": "HASH"}]


def test_the_jobs_table_expires_items_on_the_job_expiry_attribute_and_keeps_backups(cfn):
    jobs = properties(cfn, "JobsTable")

    assert jobs["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert "expires_at" in field_names(Job)
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
    required = {
        field.name.upper() for field in dataclasses.fields(Settings) if field.default is dataclasses.MISSING
    }

    assert required == {
        "JOBS_TABLE_NAME",
        "IDEMPOTENCY_TABLE_NAME",
        "VIDEOS_BUCKET_NAME",
        "NOTIFY_QUEUE_URL",
        "NOTIFY_DEAD_LETTER_QUEUE_URL",
        "AIMLAPI_API_KEY_SECRET_ID",
        "EVENT_BUS_NAME",
        "CLIENTS_TABLE_NAME",
    }
    assert required <= set(variables)
    assert variables["CALLBACK_RETRY_DELAYS"] == {"Ref": "CallbackRetryDelays"}
    for function in FUNCTIONS:
        own = properties(cfn, function).get("Environment", {}).get("Variables", {})
        assert not required & set(own), f"{function} overrides a required setting"


def test_no_function_records_its_responses_in_traces(cfn):
    # API answers carry presigned URLs and clients' signing secrets.
    variables = cfn["Globals"]["Function"]["Environment"]["Variables"]

    assert variables["POWERTOOLS_TRACER_CAPTURE_RESPONSE"] == "false"
    for function in FUNCTIONS:
        own = properties(cfn, function).get("Environment", {}).get("Variables", {})
        assert "POWERTOOLS_TRACER_CAPTURE_RESPONSE" not in own


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
        # get (a handed-out job re-read), update (check_in/claim/finish), the same S3 copy
        (
            "PollWorkerFunction",
            {"dynamodb:GetItem", "dynamodb:UpdateItem", "s3:PutObject", "s3:GetObject", "s3:ListBucket"},
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


# ---------------------------------------------------------------- observability


def _sub(cfn: dict[str, Any], value: Any) -> str:
    """An ``!Sub`` string as CloudFormation would render it for stack ``STACK``: parameters
    take their defaults, other references stay as their own text (``NotifyQueue.QueueName``)."""
    text = value["Fn::Sub"]
    known = {"AWS::StackName": STACK, "AWS::Region": REGION}
    known |= {name: str(p["Default"]) for name, p in cfn["Parameters"].items() if "Default" in p}
    return re.sub(r"\$\{([^}!]+)\}", lambda match: known.get(match[1], match[1]), text)


def _stack_namespace(cfn: dict[str, Any]) -> str:
    return _sub(cfn, cfn["Globals"]["Function"]["Environment"]["Variables"]["POWERTOOLS_METRICS_NAMESPACE"])


@pytest.fixture(scope="module")
def dashboard(cfn) -> dict[str, Any]:
    return json.loads(_sub(cfn, properties(cfn, "OperationsDashboard")["DashboardBody"]))


def _graphed(dashboard: dict[str, Any]) -> list[tuple[str, str, dict[str, str]]]:
    """(namespace, metric name, dimensions) of every metric the dashboard graphs; a SEARCH
    expression counts with the namespace, metric name and dimension names it searches."""
    graphed = []
    for widget in dashboard["widgets"]:
        for row in widget["properties"].get("metrics", []):
            if isinstance(row[0], dict):
                search = re.fullmatch(
                    r"SEARCH\('\{\"([^\"]+)\",([^}]*)\} MetricName=\"(\w+)\"', '\w+', \d+\)",
                    row[0]["expression"],
                )
                assert search, row[0]["expression"]
                namespace, dimension_names, name = search.groups()
                graphed.append((namespace, name, dict.fromkeys(dimension_names.split(","), "*")))
            else:
                namespace, name, *rest = [part for part in row if not isinstance(part, dict)]
                graphed.append((namespace, name, dict(zip(rest[::2], rest[1::2], strict=True))))
    return graphed


def _own_metrics(cfn, dashboard) -> dict[str, dict[str, str]]:
    own = {name: dims for namespace, name, dims in _graphed(dashboard) if namespace == _stack_namespace(cfn)}
    assert own, "the dashboard graphs none of the stack's own metrics"
    return own


def _emitted_metric_names() -> tuple[set[str], list[str]]:
    """Names passed to ``add_metric``/``single_metric`` anywhere in the functions and the layer:
    literal names, and f-string names as patterns (``Jobs{outcome}`` -> ``Jobs\\w+``)."""
    literal: set[str] = set()
    patterns: list[str] = []
    sources = [*LAYER_PACKAGE.rglob("*.py"), *(ROOT / "functions").rglob("*.py")]
    for source in sources:
        for node in ast.walk(ast.parse(source.read_text(), filename=str(source))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute | ast.Name)):
                continue
            callee = node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id
            if callee not in ("add_metric", "single_metric"):
                continue
            name = next((kw.value for kw in node.keywords if kw.arg == "name"), None)
            name = name or (node.args[0] if node.args else None)
            if isinstance(name, ast.Constant):
                literal.add(name.value)
            elif isinstance(name, ast.JoinedStr):
                patterns.append(
                    "".join(
                        re.escape(part.value) if isinstance(part, ast.Constant) else r"\w+"
                        for part in name.values
                    )
                )
            elif isinstance(name, ast.Attribute) and name.attr == "metric_name":
                # A sweep outcome's own metric: every outcome is one.
                literal.update(outcome.metric_name for outcome in SweepOutcome)
            else:
                pytest.fail(f"{source.name}:{node.lineno}: a metric name the test cannot read")
    return literal, patterns


def _documented_metrics() -> set[str]:
    """The metric contract: the first column of the table under docs/observability.md's
    "The metrics" heading."""
    text = (ROOT / "docs" / "observability.md").read_text()
    section = text.split("\n## The metrics", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `(\w+)` \|", section, flags=re.MULTILINE))


def test_every_stack_measures_into_its_own_namespace(cfn):
    variables = cfn["Globals"]["Function"]["Environment"]["Variables"]

    assert "${AWS::StackName}" in variables["POWERTOOLS_METRICS_NAMESPACE"]["Fn::Sub"]
    assert _stack_namespace(cfn) == f"videohook/{STACK}"
    for function in FUNCTIONS:
        own = properties(cfn, function).get("Environment", {}).get("Variables", {})
        assert "POWERTOOLS_METRICS_NAMESPACE" not in own


def test_the_functions_publish_to_the_namespace_the_template_gives_them(cfn):
    # A fresh interpreter, as at a Lambda cold start: the namespace must come from the
    # environment, not be fixed in code (that would put every stack's metrics together).
    show = "from videohook.observability import metrics; print(metrics.namespace)"
    environment = {
        **os.environ,
        "POWERTOOLS_METRICS_NAMESPACE": _stack_namespace(cfn),
        "PYTHONPATH": str(LAYER_PACKAGE.parent),
    }

    cold_start = subprocess.run(
        [sys.executable, "-c", show], env=environment, capture_output=True, text=True, check=True
    )

    assert cold_start.stdout.strip() == f"videohook/{STACK}"


def test_the_dashboard_graphs_every_metric_the_code_emits(cfn, dashboard):
    literal, patterns = _emitted_metric_names()
    graphed = set(_own_metrics(cfn, dashboard))

    assert {"GenerationAccepted", "CallbackDelivered", "CallbackDeliveryFailed"} <= literal
    assert literal <= graphed, f"emitted but not on the dashboard: {literal - graphed}"
    for pattern in patterns:
        assert any(re.fullmatch(pattern, name) for name in graphed), f"nothing graphed matches {pattern}"


def test_the_dashboard_and_the_documented_contract_name_the_same_metrics(cfn, dashboard):
    documented = _documented_metrics()

    assert set(_own_metrics(cfn, dashboard)) == documented
    gauges = {"PendingJobs", "OldestPendingAgeSeconds"}
    assert {"JobsCompleted", "JobsFailed", "GenerationFailed", *gauges} <= documented


def test_the_dashboard_reads_the_service_dimension_powertools_adds(cfn, dashboard):
    for name, dimensions in _own_metrics(cfn, dashboard).items():
        assert dimensions.get("service") in ("videohook", "*"), name
    assert _own_metrics(cfn, dashboard)["GenerationFailed"] == {"Reason": "*", "service": "*"}


def test_the_dashboard_shows_the_dead_letter_queue_depth_and_the_apis_errors(cfn, dashboard):
    graphed = _graphed(dashboard)
    api = {"ApiName": _sub(cfn, properties(cfn, "VideohookApi")["Name"]), "Stage": "prod"}

    dead_letter_queue = {"QueueName": "NotifyDeadLetterQueue.QueueName"}
    assert ("AWS/SQS", "ApproximateNumberOfMessagesVisible", dead_letter_queue) in graphed
    for metric in ("4XXError", "5XXError", "Count"):
        assert ("AWS/ApiGateway", metric, api) in graphed


def _alarms(cfn) -> dict[str, dict[str, Any]]:
    resources = cfn["Resources"].items()
    return {name: res["Properties"] for name, res in resources if res["Type"] == "AWS::CloudWatch::Alarm"}


def test_every_alarm_notifies_the_topic_when_one_is_given_and_nothing_otherwise(cfn):
    assert cfn["Conditions"]["HasAlarmTopic"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmTopicArn"}, ""]}]}
    assert cfn["Parameters"]["AlarmTopicArn"]["Default"] == ""
    assert len(_alarms(cfn)) >= 7
    for name, alarm in _alarms(cfn).items():
        assert alarm["AlarmActions"] == TOPIC_ACTIONS, name
        assert alarm["OKActions"] == TOPIC_ACTIONS, name


def test_alarms_on_the_stacks_own_metrics_watch_its_namespace_and_documented_names(cfn):
    documented = _documented_metrics()
    # Alarms on metric math (no Namespace of their own) read AWS's metrics, tested apart.
    watched = {
        name: alarm
        for name, alarm in _alarms(cfn).items()
        if not str(alarm.get("Namespace", "AWS/")).startswith("AWS/")
    }

    assert {"CallbackDeliveryFailedAlarm", "OldestPendingJobAlarm"} <= set(watched)
    for name, alarm in watched.items():
        assert _sub(cfn, alarm["Namespace"]) == _stack_namespace(cfn), name
        assert alarm["MetricName"] in documented, name
        assert alarm["Dimensions"] == [{"Name": "service", "Value": "videohook"}], name


def test_the_oldest_pending_job_alarm_uses_the_threshold_parameter_and_hears_silence(cfn):
    alarm = _alarms(cfn)["OldestPendingJobAlarm"]

    assert alarm["MetricName"] == "OldestPendingAgeSeconds"
    assert alarm["Threshold"] == {"Ref": "OldestPendingAgeAlarmSeconds"}
    assert alarm["TreatMissingData"] == "breaching"
    threshold = cfn["Parameters"]["OldestPendingAgeAlarmSeconds"]["Default"]
    assert threshold < cfn["Parameters"]["JobMaxAgeSeconds"]["Default"]


def test_the_api_error_rate_alarm_divides_the_apis_5xx_by_its_requests(cfn):
    alarm = _alarms(cfn)["ApiServerErrorRateAlarm"]
    queries = {query["Id"]: query for query in alarm["Metrics"]}
    api = [
        {"Name": "ApiName", "Value": properties(cfn, "VideohookApi")["Name"]},
        {"Name": "Stage", "Value": properties(cfn, "VideohookApi")["StageName"]},
    ]

    assert queries["serverErrors"]["MetricStat"]["Metric"]["MetricName"] == "5XXError"
    assert queries["requests"]["MetricStat"]["Metric"]["MetricName"] == "Count"
    for source in ("serverErrors", "requests"):
        assert queries[source]["MetricStat"]["Metric"]["Dimensions"] == api
        assert queries[source]["ReturnData"] is False
    assert "serverErrors / requests" in queries["serverErrorRate"]["Expression"]
    assert [query["Id"] for query in alarm["Metrics"] if query.get("ReturnData", True)] == ["serverErrorRate"]
    assert 0 < alarm["Threshold"] < 1


@pytest.mark.parametrize(
    ("topic", "accepted"),
    [
        ("", True),
        ("arn:aws:sns:us-east-1:123456789012:videohook-alarms", True),
        ("arn:aws:sns:us-east-1:123456789012", False),
        ("REPLACE_WITH_PROD_ALARM_TOPIC_ARN", False),
    ],
)
def test_the_alarm_topic_parameter_admits_an_sns_topic_or_nothing(cfn, topic, accepted):
    assert bool(re.fullmatch(cfn["Parameters"]["AlarmTopicArn"]["AllowedPattern"], topic)) is accepted


def test_prod_names_an_alarm_topic_and_dev_does_not():
    config = tomllib.loads((ROOT / "samconfig.toml").read_text())

    def overrides(environment: str) -> dict[str, str]:
        text = config[environment]["deploy"]["parameters"].get("parameter_overrides", "")
        return dict(pair.split("=", 1) for pair in text.split())

    assert "AlarmTopicArn" in overrides("prod")
    assert "AlarmTopicArn" not in overrides("default")

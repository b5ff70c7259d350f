"""What the poller tells a client when it ends a job failed for a reason of its own (the
provider's failures carry the provider's words), and the metric each failure counts in."""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit, single_metric

from videohook.observability import metrics

SUBMIT_INTERRUPTED_MESSAGE = (
    "The submit did not finish; the provider may have started this generation, but it is never sent again"
)
# What a job too large to update keeps of its request once its bulk is shed.
SHED_INPUT = {"omitted": "the request's input was dropped with the job's delivery log"}
SHED_MESSAGE = "The job's stored record grew too large to update, so it was ended"


def age_message(max_age_seconds: int) -> str:
    return f"The generation did not finish within {max_age_seconds} s"


def count_failure(reason: str) -> None:
    """``GenerationFailed`` with the reason as a dimension, so a dashboard splits by it."""
    with single_metric(
        name="GenerationFailed",
        unit=MetricUnit.Count,
        value=1,
        default_dimensions=metrics.default_dimensions,
    ) as metric:
        metric.add_dimension(name="Reason", value=reason)

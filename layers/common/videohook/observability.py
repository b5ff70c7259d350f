"""The Powertools singletons every module logs, traces and measures through.

Metrics go to the namespace in ``POWERTOOLS_METRICS_NAMESPACE``, which Powertools reads
itself: the template sets it to ``videohook/<stack name>``, so a dev and a prod stack in one
account never feed each other's dashboard or alarms. docs/observability.md lists the metrics.
"""

from aws_lambda_powertools import Logger, Metrics, Tracer

SERVICE = "videohook"

logger = Logger(service=SERVICE)
tracer = Tracer(service=SERVICE)
metrics = Metrics(service=SERVICE)
if metrics.namespace is None:
    # Outside a deployed stack (tests, the local stack) nothing names one; Powertools refuses
    # to flush metrics without a namespace.
    metrics.namespace = SERVICE

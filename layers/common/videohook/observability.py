"""The Powertools singletons every module logs, traces and measures through."""

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger(service="videohook")
tracer = Tracer(service="videohook")
metrics = Metrics(namespace="videohook", service="videohook")

"""Operator tools that act on a deployed stack (or on the local stack via AWS_ENDPOINT_URL)."""

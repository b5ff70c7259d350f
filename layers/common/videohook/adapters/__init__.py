"""One adapter per external system: DynamoDB (jobs), S3 (videos), SQS (notifications),
the provider's HTTP API (upstream) and receivers' HTTP endpoints (webhooks)."""

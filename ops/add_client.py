"""Add a client to a deployed stack (``make add-client``): a new API key, added to the
stack's usage plan, and that key's own webhook signing secret. Prints the key's value and
id; the secret is not printed: the client reads it with its key (``GET /v1/webhook-secret``).

    python -m ops.add_client --stack videohook --name acme
    python -m ops.add_client --stack videohook --name acme --secret whsec_...   # keep a secret

``--secret`` hands the new key a secret the client already holds (an existing receiver
moving to its own key); without it a fresh one is made.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from typing import Any

import boto3

from videohook.adapters.clients import ClientSecretRepository
from videohook.models.clients import ClientSecrets
from videohook.signing import check_signing_secret, new_signing_secret


@dataclass(frozen=True)
class NewClient:
    api_key_id: str
    api_key: str


def add_client(
    *, apigateway: Any, dynamodb: Any, usage_plan_id: str, clients_table: str, name: str, secret: str | None
) -> NewClient:
    key = apigateway.create_api_key(name=name, enabled=True, description="videohook client")
    apigateway.create_usage_plan_key(usagePlanId=usage_plan_id, keyId=key["id"], keyType="API_KEY")
    current = check_signing_secret(secret) if secret else new_signing_secret()
    stored = ClientSecretRepository(client=dynamodb, table_name=clients_table).create(
        ClientSecrets(owner_id=key["id"], current=current)
    )
    if not stored:  # API Gateway key ids are unique: this is a table shared by mistake
        raise RuntimeError(f"API key {key['id']} already has a signing secret")
    return NewClient(api_key_id=key["id"], api_key=key["value"])


def stack_outputs(stack: str) -> dict[str, str]:
    outputs = boto3.client("cloudformation").describe_stacks(StackName=stack)["Stacks"][0]["Outputs"]
    return {output["OutputKey"]: output["OutputValue"] for output in outputs}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--stack", required=True, help="the deployed CloudFormation stack")
    parser.add_argument("--name", required=True, help="a name for the client's API key")
    parser.add_argument("--secret", help="a whsec_ secret the client already holds (default: a new one)")
    args = parser.parse_args(argv)
    outputs = stack_outputs(args.stack)
    client = add_client(
        apigateway=boto3.client("apigateway"),
        dynamodb=boto3.client("dynamodb"),
        usage_plan_id=outputs["UsagePlanId"],
        clients_table=outputs["ClientsTableName"],
        name=args.name,
        secret=args.secret,
    )
    print(f"api key id: {client.api_key_id}")
    print(f"api key:    {client.api_key}  (send as x-api-key)")
    print(f"its signing secret: curl -H 'x-api-key: <key>' {outputs['ApiUrl']}/v1/webhook-secret")
    return 0


if __name__ == "__main__":
    sys.exit(main())

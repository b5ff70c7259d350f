"""Move pending jobs the poller cannot see into their shard of the pending index
(``make reshard-pending``).

Run it once after upgrading a stack deployed before the index was sharded (its in-flight
jobs wait in the single ``pending`` partition, which the poller no longer reads), and after
lowering ``PendingPartitions`` (jobs in shards at or above the new count). Each move is a
conditional write, so it is safe while the service runs and safe to run again.

    python -m ops.reshard_pending --stack videohook                 # a deployed stack
    python -m ops.reshard_pending --table NAME --partitions 8       # explicit (local: set AWS_ENDPOINT_URL)
"""

from __future__ import annotations

import argparse
import sys

import boto3

from videohook.adapters.pending_index import MAX_PARTITIONS, reshard


def stack_table_and_partitions(stack: str) -> tuple[str, int]:
    described = boto3.client("cloudformation").describe_stacks(StackName=stack)["Stacks"][0]
    outputs = {output["OutputKey"]: output["OutputValue"] for output in described["Outputs"]}
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in described.get("Parameters", [])}
    # A stack deployed with the template's default has the parameter listed with that value.
    return outputs["JobsTableName"], int(parameters.get("PendingPartitions", "8"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--stack", help="read the jobs table and the shard count from this stack")
    parser.add_argument("--table", help="the jobs table")
    parser.add_argument("--partitions", type=int, help=f"the stack's PendingPartitions (1-{MAX_PARTITIONS})")
    args = parser.parse_args(argv)
    if args.stack:
        table, partitions = stack_table_and_partitions(args.stack)
    elif args.table and args.partitions:
        table, partitions = args.table, args.partitions
    else:
        parser.error("give --stack, or both --table and --partitions")
    if not 1 <= partitions <= MAX_PARTITIONS:
        parser.error(f"--partitions must be 1-{MAX_PARTITIONS}")
    moved, changed = reshard(client=boto3.client("dynamodb"), table_name=table, partitions=partitions)
    print(
        f"moved {moved} pending job(s) of {table} into their shards of {partitions}; "
        f"{changed} changed meanwhile and were left as they are"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Reads a file system policy from the EFS emulator, for assertions in the shell tiers.

`emulator_query.py policy FS_ID` prints the policy JSON, or `none` when there is none.
Endpoint and credentials come from the sandbox's env file (EFS_EMULATOR_URL, AWS_*).
"""

from __future__ import annotations

import json
import os
import sys

import boto3


def main(argv: list[str]) -> int:
    what, fs_id = argv
    if what != "policy":
        raise SystemExit(f"unknown query {what!r}")
    efs = boto3.client(
        "efs", endpoint_url=os.environ["EFS_EMULATOR_URL"], region_name=os.environ.get("AWS_REGION", "us-east-1")
    )
    try:
        print(json.dumps(json.loads(efs.describe_file_system_policy(FileSystemId=fs_id)["Policy"]), sort_keys=True))
    except efs.exceptions.PolicyNotFound:
        print("none")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

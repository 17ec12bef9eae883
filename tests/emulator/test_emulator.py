"""Checks that the emulator behaves as its README says. Needs a running emulator:
EFS_EMULATOR_URL=$(tests/emulator/emulator.sh url) pytest tests/emulator/test_emulator.py
(tests/tiers/policy.sh runs it)."""

from __future__ import annotations

import json
import os
import urllib.request

import boto3
import botocore.config
import botocore.exceptions
import pytest

URL = os.environ.get("EFS_EMULATOR_URL")
pytestmark = pytest.mark.skipif(not URL, reason="EFS_EMULATOR_URL not set (start tests/emulator/emulator.sh)")

SEED = {
    "Version": "2012-10-17",
    "Id": "ExamplePolicy01",
    "Statement": [
        {
            "Sid": "VisualEditior0",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": [
                "elasticfilesystem:ClientRootAccess",
                "elasticfilesystem:ClientMount",
                "elasticfilesystem:ClientWrite",
            ],
            "Condition": {"Bool": {"aws:SecureTransport": "true"}},
        }
    ],
}


def control(path, method="POST"):
    req = urllib.request.Request(f"{URL}/_emulator/{path}", method=method)
    with urllib.request.urlopen(req) as resp:
        return json.loads(resp.read())


@pytest.fixture
def efs():
    return boto3.client(
        "efs",
        endpoint_url=URL,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=botocore.config.Config(retries={"total_max_attempts": 1}),
    )


@pytest.fixture
def fs_id(efs):
    # Created through the real API, as the sandbox does.
    return efs.create_file_system(CreationToken=f"test-{os.urandom(4).hex()}")["FileSystemId"]


def error_code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def test_put_returns_policy_reserialised(efs, fs_id):
    sent = json.dumps(SEED)
    stored = efs.put_file_system_policy(FileSystemId=fs_id, Policy=sent)["Policy"]
    described = efs.describe_file_system_policy(FileSystemId=fs_id)["Policy"]
    assert stored == described
    assert described != sent
    doc = json.loads(described)
    assert doc["Id"] == "ExamplePolicy01"
    assert list(doc) == sorted(doc)
    assert doc["Statement"][0]["Condition"] == {"Bool": {"aws:SecureTransport": "true"}}


def test_reserialisation_collapses_and_expands_like_the_service(efs, fs_id):
    policy = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": ["elasticfilesystem:ClientMount"],
                "Condition": {"Bool": {"aws:SecureTransport": True}},
            },
            {"Effect": "Allow", "Principal": {"AWS": ["123456789012"]}, "Action": "elasticfilesystem:ClientWrite"},
        ]
    }
    efs.put_file_system_policy(FileSystemId=fs_id, Policy=json.dumps(policy))
    doc = json.loads(efs.describe_file_system_policy(FileSystemId=fs_id)["Policy"])
    first, second = doc["Statement"]
    # Filled in where the request had none, as the EFS API reference shows.
    assert doc["Id"] == "1"
    assert first["Sid"].startswith("efs-statement-") and first["Sid"] != second["Sid"]
    assert first["Resource"].endswith(f":file-system/{fs_id}")
    assert first["Principal"] == {"AWS": "*"}
    assert first["Action"] == "elasticfilesystem:ClientMount"
    assert first["Condition"]["Bool"]["aws:SecureTransport"] == "true"
    assert second["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"}


def test_delete_and_policy_not_found(efs, fs_id):
    efs.put_file_system_policy(FileSystemId=fs_id, Policy=json.dumps(SEED))
    efs.delete_file_system_policy(FileSystemId=fs_id)
    with pytest.raises(botocore.exceptions.ClientError) as err:
        efs.describe_file_system_policy(FileSystemId=fs_id)
    assert error_code(err) == "PolicyNotFound"
    efs.delete_file_system_policy(FileSystemId=fs_id)  # none: still fine


@pytest.mark.parametrize("call", ["describe_file_system_policy", "delete_file_system_policy", "put_file_system_policy"])
def test_unknown_file_system(efs, call):
    kwargs = {"FileSystemId": "fs-0000000f"}
    if call.startswith("put"):
        kwargs["Policy"] = json.dumps(SEED)
    with pytest.raises(botocore.exceptions.ClientError) as err:
        getattr(efs, call)(**kwargs)
    assert error_code(err) == "FileSystemNotFound"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


@pytest.mark.parametrize(
    "policy",
    [
        "not json",
        "[]",
        json.dumps({"Version": "2012-10-17"}),
        json.dumps({"Statement": [{"Effect": "allow", "Principal": "*", "Action": "*"}]}),
        json.dumps({"Statement": [{"Sid": "x" * 20000, "Effect": "Allow", "Principal": "*", "Action": "*"}]}),
        json.dumps({"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "*"}]}),
    ],
)
def test_invalid_policies_are_refused_and_leave_the_old_one(efs, fs_id, policy):
    efs.put_file_system_policy(FileSystemId=fs_id, Policy=json.dumps(SEED))
    before = efs.describe_file_system_policy(FileSystemId=fs_id)["Policy"]
    with pytest.raises(botocore.exceptions.ClientError) as err:
        efs.put_file_system_policy(FileSystemId=fs_id, Policy=policy)
    assert error_code(err) == "InvalidPolicyException"
    assert efs.describe_file_system_policy(FileSystemId=fs_id)["Policy"] == before


def test_lockout_check_can_be_bypassed(efs, fs_id):
    deny_all = json.dumps({"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "*"}]})
    efs.put_file_system_policy(FileSystemId=fs_id, Policy=deny_all, BypassPolicyLockoutSafetyCheck=True)
    assert "Deny" in efs.describe_file_system_policy(FileSystemId=fs_id)["Policy"]


def test_counters_throttling_and_failed_put(efs, fs_id):
    control("calls/reset")
    control("throttle?action=DescribeFileSystemPolicy&count=2")
    for dummy in range(2):
        with pytest.raises(botocore.exceptions.ClientError) as err:
            efs.describe_file_system_policy(FileSystemId=fs_id)
        assert error_code(err) == "ThrottlingException"
    with pytest.raises(botocore.exceptions.ClientError) as err:
        efs.describe_file_system_policy(FileSystemId=fs_id)
    assert error_code(err) == "PolicyNotFound"
    control("fail-next-put")
    with pytest.raises(botocore.exceptions.ClientError) as err:
        efs.put_file_system_policy(FileSystemId=fs_id, Policy=json.dumps(SEED))
    assert error_code(err) == "IncorrectFileSystemLifeCycleState"
    efs.put_file_system_policy(FileSystemId=fs_id, Policy=json.dumps(SEED))
    counts = control("calls", method="GET")
    assert counts["calls"] == {"DescribeFileSystemPolicy": 3, "PutFileSystemPolicy": 2}
    assert counts["throttled"] == {"DescribeFileSystemPolicy": 2}
    assert counts["failed"] == {"PutFileSystemPolicy": 1}


def test_stale_describes_after_a_write(efs, fs_id):
    control("stale-describes?count=1")
    try:
        efs.put_file_system_policy(FileSystemId=fs_id, Policy=json.dumps(SEED))
        with pytest.raises(botocore.exceptions.ClientError):
            efs.describe_file_system_policy(FileSystemId=fs_id)  # still "no policy"
        assert efs.describe_file_system_policy(FileSystemId=fs_id)["Policy"]
    finally:
        control("stale-describes?count=0")


def test_control_file_systems_and_raw_policy(efs):
    ids = control("file-systems?count=2")["FileSystemIds"]
    assert len(set(ids)) == 2
    pages = efs.get_paginator("describe_file_systems").paginate()
    listed = {fs["FileSystemId"] for page in pages for fs in page["FileSystems"]}
    assert set(ids) <= listed
    req = urllib.request.Request(f"{URL}/_emulator/policy?fs={ids[0]}", data=b'{"raw":  true}', method="PUT")
    urllib.request.urlopen(req).read()
    assert control(f"policy?fs={ids[0]}", method="GET")["Policy"] == '{"raw":  true}'
    assert efs.describe_file_system_policy(FileSystemId=ids[0])["Policy"] == '{"raw":  true}'


def test_describe_file_systems_pages_of_100_like_efs(efs):
    control("file-systems?count=101")
    seen, pages, marker = [], 0, None
    while True:
        page = efs.describe_file_systems(**({"Marker": marker} if marker else {}))
        pages += 1
        assert len(page["FileSystems"]) <= 100
        seen += [f["FileSystemId"] for f in page["FileSystems"]]
        marker = page.get("NextMarker")
        if not marker:
            break
    assert pages >= 2 and len(seen) == len(set(seen)) >= 101
    assert len(efs.describe_file_systems(MaxItems=3)["FileSystems"]) == 3

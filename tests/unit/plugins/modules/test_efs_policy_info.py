# -*- coding: utf-8 -*-
from __future__ import annotations

import json

import pytest

from ansible_collections.aws_efs.transit.plugins.module_utils import _policy as pol
from ansible_collections.aws_efs.transit.plugins.modules import efs_policy_info as info

ARN = "arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/fs-12345678"
DESCRIPTION = {"FileSystemId": "fs-12345678", "FileSystemArn": ARN, "Name": "data"}
CONSOLE = {
    "Statement": [
        {
            "Sid": "efs-statement-1",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": [pol.ACTION_ROOT, pol.ACTION_WRITE, pol.ACTION_MOUNT],
            "Resource": ARN,
            "Condition": {"Bool": {"elasticfilesystem:AccessedViaMountTarget": "true"}},
        },
        {
            "Sid": "efs-statement-2",
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": "*",
            "Resource": ARN,
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
    ]
}


def desired(**overrides):
    base = {name: spec.get("default") for name, spec in info.argument_spec()["desired_policies"]["options"].items()}
    base["file_system_id"] = "fs-12345678"
    base.update(overrides)
    return base


def test_argument_spec_desired_entries_take_the_efs_policy_options():
    options = info.argument_spec()["desired_policies"]["options"]
    assert {"file_system_id", "policy", "grants", "purge_statements", "allow_mount_lockout"} <= set(options)
    assert {"wait", "wait_timeout", "bypass_policy_lockout_safety_check"}.isdisjoint(options)
    assert set(pol.PRESETS) <= set(options)


def test_wanted_ids_merge_ids_and_desired_in_order():
    params = {
        "file_system_ids": ["fs-87654321", ARN, "fs-87654321"],
        "desired_policies": [
            desired(enforce_in_transit_encryption=True),
            desired(file_system_id="fs-0000000a", state="absent"),
        ],
    }
    order, wanted = info.wanted_ids(params, "us-east-1")
    assert order == ["fs-87654321", "fs-12345678", "fs-0000000a"]
    assert set(wanted) == {"fs-12345678", "fs-0000000a"}


@pytest.mark.parametrize(
    "params, message",
    [
        ({"file_system_ids": ["fs-nope"]}, "malformed"),
        ({"file_system_ids": [ARN.replace("us-east-1", "eu-west-1")]}, "region eu-west-1"),
        ({"desired_policies": [desired()]}, r"desired_policies\[0\].*needs at least one of"),
        ({"desired_policies": [desired(prevent_root_access=True)] * 2}, "twice"),
        ({"desired_policies": [desired(policy="{nope")]}, "not valid JSON"),
    ],
)
def test_wanted_ids_refuse_bad_input(params, message):
    with pytest.raises(pol.PolicyError, match=message):
        info.wanted_ids(params, "us-east-1")


def test_entry_without_policy_is_the_efs_default():
    entry = info.entry_for(DESCRIPTION, None, None, "us-east-1")
    assert entry["policy"] == {} and entry["name"] == "data" and entry["file_system_arn"] == ARN
    assert entry["verdict"]["enforces_tls"] is False
    assert "drift" not in entry


def test_entry_with_console_policy_and_the_same_desired_is_no_drift():
    entry = info.entry_for(DESCRIPTION, json.dumps(CONSOLE), desired(enforce_in_transit_encryption=True), "us-east-1")
    assert entry["verdict"]["enforces_tls"] is True
    assert entry["drift"] is False
    assert pol.policies_equal(entry["desired_policy"], CONSOLE)


def test_entry_drift_and_plan_error():
    entry = info.entry_for(DESCRIPTION, None, desired(enforce_in_transit_encryption=True), "us-east-1")
    assert entry["drift"] is True and entry["desired_policy"]["Statement"]
    locked = info.entry_for(DESCRIPTION, None, desired(prevent_anonymous_access=True), "us-east-1")
    assert locked["drift"] is None and "no client could mount" in locked["plan_error"]
    absent = info.entry_for(DESCRIPTION, json.dumps(CONSOLE), desired(state="absent"), "us-east-1")
    assert absent["drift"] is True and absent["desired_policy"] == {}


def test_entry_with_unparsable_policy_is_unknown():
    entry = info.entry_for(DESCRIPTION, "{nope", None, "us-east-1")
    assert entry["verdict"]["enforces_tls"] is None
    assert entry["error"]["code"] == "UnparsablePolicy"

# -*- coding: utf-8 -*-
from __future__ import annotations

import pytest

from ansible_collections.aws_efs.transit.plugins.module_utils import _policy as pol
from ansible_collections.aws_efs.transit.plugins.modules import efs_policy


def params(**overrides):
    base = {name: spec.get("default") for name, spec in efs_policy.argument_spec().items()}
    base["file_system_id"] = "fs-12345678"
    base.update(overrides)
    return base


def test_argument_spec_has_every_preset_as_tristate_bool():
    spec = efs_policy.argument_spec()
    for name in pol.PRESETS:
        assert spec[name] == {"type": "bool"}


def test_presets_and_policy_combine():
    fs_id, region, given, generated, manage = efs_policy.plan_inputs(
        params(
            policy={
                "Statement": [
                    {"Sid": "Mine", "Effect": "Allow", "Principal": "*", "Action": "elasticfilesystem:ClientMount"}
                ]
            },
            enforce_in_transit_encryption=True,
        )
    )
    assert (fs_id, region, manage) == ("fs-12345678", None, True)
    assert [s["Sid"] for s in given["Statement"]] == ["Mine"]
    assert {s["Sid"] for s in generated} == {pol.SID_ALLOW_VIA_MOUNT_TARGET, pol.SID_DENY_INSECURE_TRANSPORT}


def test_policy_alone_does_not_manage_generated_statements():
    dummy, dummy2, given, generated, manage = efs_policy.plan_inputs(
        params(policy='{"Statement": {"Effect": "Allow", "Principal": "*", "Action": "*"}}')
    )
    assert generated == [] and manage is False and given["Statement"]["Action"] == "*"


def test_empty_grants_manage_generated_statements():
    assert efs_policy.plan_inputs(params(grants=[]))[4] is True


def test_arn_region_is_reported():
    assert efs_policy.plan_inputs(
        params(
            file_system_id="arn:aws:elasticfilesystem:eu-west-1:123456789012:file-system/fs-12345678",
            prevent_root_access=True,
        )
    )[:2] == ("fs-12345678", "eu-west-1")


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({}, "needs at least one of"),
        ({"state": "absent", "policy": {"Statement": []}}, "cannot be combined with policy"),
        ({"state": "absent", "enforce_in_transit_encryption": False}, "enforce_in_transit_encryption"),
        ({"state": "absent", "purge_statements": True}, "purge_statements"),
        ({"file_system_id": "fs-xyz", "prevent_root_access": True}, "malformed"),
        ({"policy": "nope"}, "not valid JSON"),
        (
            {"policy": {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Sid": "x" * 20001}]}},
            "20,000|20000",
        ),
        ({"grants": [{"principal": "someone", "actions": ["ClientMount"]}]}, "principal 'someone'"),
        ({"prevent_root_access": True, "wait_timeout": -1}, "wait_timeout"),
        (
            {
                "prevent_root_access": True,
                "policy": {"Statement": [{"Sid": "EfsTransitX", "Effect": "Allow", "Principal": "*", "Action": "*"}]},
            },
            "reserved",
        ),
    ],
)
def test_bad_inputs_fail_before_any_api_call(overrides, message):
    with pytest.raises(pol.PolicyError, match=message):
        efs_policy.plan_inputs(params(**overrides))


def test_absent_alone_is_fine():
    assert efs_policy.plan_inputs(params(state="absent")) == ("fs-12345678", None, None, [], False)

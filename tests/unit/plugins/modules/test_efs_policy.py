# -*- coding: utf-8 -*-
from __future__ import annotations

import pytest

from ansible_collections.aws_efs.transit.plugins.module_utils import _policy as pol
from ansible_collections.aws_efs.transit.plugins.module_utils import _policy_task as task
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
    fs_id, region, given, options, grants = task.plan_inputs(
        params(
            policy={
                "Statement": [
                    {"Sid": "Mine", "Effect": "Allow", "Principal": "*", "Action": "elasticfilesystem:ClientMount"}
                ]
            },
            enforce_in_transit_encryption=True,
        )
    )
    assert (fs_id, region, grants) == ("fs-12345678", None, None)
    assert [s["Sid"] for s in given["Statement"]] == ["Mine"]
    assert options["enforce_in_transit_encryption"] is True and options["prevent_root_access"] is None


def test_policy_alone_mentions_no_preset():
    dummy, dummy2, given, options, grants = task.plan_inputs(
        params(policy='{"Statement": {"Effect": "Allow", "Principal": "*", "Action": "*"}}')
    )
    assert set(options.values()) == {None} and grants is None and given["Statement"]["Action"] == "*"


def test_empty_grants_are_given_grants():
    assert task.plan_inputs(params(grants=[]))[4] == []


def test_arn_region_is_reported():
    assert task.plan_inputs(
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
        task.plan_inputs(params(**overrides))


def test_absent_alone_is_fine():
    assert task.plan_inputs(params(state="absent")) == ("fs-12345678", None, None, {}, None)


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"grants": [{"principal": "123456789012\n", "actions": ["ClientMount"]}]}, "principal"),
        ({"grants": [{"principal": "arn:aws:iam::123456789012:role/app\n", "actions": ["ClientMount"]}]}, "principal"),
        ({"grants": [{"principal": "*", "actions": ["ClientMount\n"]}]}, "unknown action"),
        ({"grants": [{"principal": "*", "actions": ["elasticfilesystem:ClientFoo\n"]}]}, "unknown action"),
        (
            {
                "policy": {
                    "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "elasticfilesystem:ClientMount\n"}]
                }
            },
            "action",
        ),
        (
            {"policy": {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "123456789012\n"}, "Action": "*"}]}},
            "principal",
        ),
    ],
)
def test_trailing_newlines_are_refused(overrides, message):
    with pytest.raises(pol.PolicyError, match=message):
        task.plan_inputs(params(**overrides))


def _nest(value, depth):
    for dummy in range(depth):
        value = [value] if depth % 2 else {"k": value}
    return value


JUNK = [None, 1, 1.5, True, [], {}, [[]], [{}], {"a": [1]}, _nest("x", 3), _nest({}, 5), "x\n"]
SLOTS = [
    lambda j: {"Statement": j},
    lambda j: {"Statement": [j]},
    lambda j: {"Version": j, "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*"}]},
    lambda j: {"Id": j, "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*"}]},
    lambda j: {j if isinstance(j, str) else 7: 1, "Statement": []},
    lambda j: {"Statement": [{"Sid": j, "Effect": "Allow", "Principal": "*", "Action": "*"}]},
    lambda j: {"Statement": [{"Effect": j, "Principal": "*", "Action": "*"}]},
    lambda j: {"Statement": [{"Effect": "Allow", "Principal": j, "Action": "*"}]},
    lambda j: {"Statement": [{"Effect": "Allow", "Principal": {"AWS": j}, "Action": "*"}]},
    lambda j: {"Statement": [{"Effect": "Allow", "Principal": {"AWS": [j]}, "Action": "*"}]},
    lambda j: {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": j}]},
    lambda j: {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": j}]},
    lambda j: {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Condition": j}]},
    lambda j: {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Condition": {"Bool": j}}]},
    lambda j: {
        "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "*", "Condition": {"Bool": {"aws:SecureTransport": j}}}
        ]
    },
]


@pytest.mark.parametrize("slot", range(len(SLOTS)))
@pytest.mark.parametrize("junk", range(len(JUNK)))
def test_any_nested_input_fails_cleanly_or_plans(slot, junk):
    """Junk anywhere in a policy is a PolicyError naming it, or a valid plan; never another exception."""
    p = params(policy=SLOTS[slot](JUNK[junk]), enforce_in_transit_encryption=True)
    try:
        dummy, dummy2, given, options, grants = task.plan_inputs(p)
    except pol.PolicyError as e:
        assert str(e)
        return
    desired, dummy = task.plan_policy(None, given, options, grants, p, "fs-12345678", "us-east-1")
    pol.validate_policy(desired)


def test_deeply_nested_policy_fails_cleanly():
    with pytest.raises(pol.PolicyError, match="nested too deeply|must"):
        task.plan_inputs(params(policy="[" * 100000 + "]" * 100000))
    deep = _nest("x", 5000)
    with pytest.raises(pol.PolicyError):
        task.plan_inputs(params(policy={"Statement": [deep]}))


CONSOLE_ARN = "arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/fs-12345678"
CONSOLE = {
    "Version": "2012-10-17",
    "Id": "efs-policy-wizard-1f0c",
    "Statement": [
        {
            "Sid": "efs-statement-aa11",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": [pol.ACTION_ROOT, pol.ACTION_WRITE, pol.ACTION_MOUNT],
            "Resource": CONSOLE_ARN,
            "Condition": {"Bool": {"elasticfilesystem:AccessedViaMountTarget": "true"}},
        },
        {
            "Sid": "efs-statement-bb22",
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": "*",
            "Resource": CONSOLE_ARN,
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
    ],
}


def plan(current, **overrides):
    p = params(**overrides)
    dummy, dummy2, given, options, grants = task.plan_inputs(p)
    return task.plan_policy(current, given, options, grants, p, "fs-12345678", "us-east-1")[0]


def test_console_policy_with_the_same_option_is_no_change():
    desired = plan(CONSOLE, enforce_in_transit_encryption=True)
    assert pol.policy_satisfied(CONSOLE, desired, "fs-12345678")
    assert len(desired["Statement"]) == 2


def test_prevent_root_access_on_the_seed_fails_naming_its_statement():
    seed = {
        "Statement": [
            {
                "Sid": "VisualEditior0",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": [pol.ACTION_ROOT, pol.ACTION_MOUNT, pol.ACTION_WRITE],
                "Condition": {"Bool": {"aws:SecureTransport": "true"}},
            }
        ]
    }
    with pytest.raises(pol.PolicyError, match="prevent_root_access: statement 'VisualEditior0' still allows"):
        plan(seed, prevent_root_access=True)


def test_two_denies_on_transport_are_refused_as_a_lockout():
    both = {
        "Statement": [
            {
                "Sid": "T",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "*",
                "Condition": {"Bool": {"aws:SecureTransport": "true"}},
            },
            {
                "Sid": "F",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "*",
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
        ]
    }
    with pytest.raises(pol.PolicyError, match="no client could mount.*'F', 'T'"):
        plan(None, policy=both, enforce_in_transit_encryption=True)
    assert plan(None, policy=both, allow_mount_lockout=True)["Statement"]

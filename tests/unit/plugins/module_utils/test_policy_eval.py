# -*- coding: utf-8 -*-
"""The policy evaluator against a table of policies: the seed's, the console's, Terraform's, AWS
documentation examples and hostile ones. Each row: the policy and the expected
(enforces_tls, clients_can_mount, root_access_without_tls); None means "unknown"."""

from __future__ import annotations

import json

import pytest

from ansible_collections.aws_efs.transit.plugins.module_utils import _policy_eval as ev

FS = "fs-12345678"
ARN = f"arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/{FS}"
ARN_CN = f"arn:aws-cn:elasticfilesystem:cn-north-1:123456789012:file-system/{FS}"
ROLE = "arn:aws:iam::111122223333:role/app"
AP = "arn:aws:elasticfilesystem:us-east-1:123456789012:access-point/fsap-0123456789abcdef0"
ROOT, WRITE, MOUNT = ev.ACTION_ROOT, ev.ACTION_WRITE, ev.ACTION_MOUNT
ALL3 = [ROOT, WRITE, MOUNT]
TLS_FALSE = {"Bool": {"aws:SecureTransport": "false"}}
TLS_TRUE = {"Bool": {"aws:SecureTransport": "true"}}
VIA_MT = {"Bool": {"elasticfilesystem:AccessedViaMountTarget": "true"}}


def st(effect, action, principal=None, condition=None, sid=None, **extra):
    out = {"Effect": effect, "Principal": {"AWS": "*"} if principal is None else principal, "Action": action}
    if sid:
        out["Sid"] = sid
    if condition:
        out["Condition"] = condition
    out.update(extra)
    return out


def doc(*statements, **top):
    return dict({"Version": "2012-10-17", "Statement": list(statements)}, **top)


def console(*removed, deny=True, uuid="0b1c"):
    """The EFS console's output for its preconfigured options (Sids efs-statement-<uuid>)."""
    statements = []
    actions = [a for a in ALL3 if a not in removed]
    if actions:
        statements.append(st("Allow", actions, condition=VIA_MT, sid=f"efs-statement-{uuid}-1", Resource=ARN))
    if deny:
        statements.append(st("Deny", "*", condition=TLS_FALSE, sid=f"efs-statement-{uuid}-2", Resource=ARN))
    return doc(*statements, Id=f"efs-policy-wizard-{uuid}")


SEED = json.loads(
    '{ "Version": "2012-10-17", "Id": "ExamplePolicy01", "Statement": [ { "Sid": "VisualEditior0", "Effect": '
    '"Allow", "Principal": { "AWS": "*" }, "Action": [ "elasticfilesystem:ClientRootAccess", '
    '"elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite" ], "Condition": { "Bool": { '
    '"aws:SecureTransport": "true" } } } ] }'
)
TF_DENY = st("Deny", ["*"], condition=TLS_FALSE, sid="NonSecureTransport", Resource=[ARN])
TF_ALLOW_MT = st("Allow", ALL3, condition=VIA_MT, sid="NonSecureTransportAccessedViaMountTarget", Resource=[ARN])

# (name, policy, enforces_tls, clients_can_mount, root_access_without_tls)
TABLE = [
    # No policy: EFS's default.
    ("no policy", None, False, True, True),
    ("empty dict", {}, False, True, True),
    # The seed document's example: Allow over TLS only.
    ("seed example", SEED, True, True, False),
    ("seed example as JSON text", json.dumps(SEED), True, True, False),
    # The console, each preconfigured option and combinations.
    ("console: enforce in-transit encryption", console(), True, True, False),
    ("console: prevent root access", console(ROOT, deny=False), False, True, False),
    ("console: read-only", console(WRITE, deny=False), False, True, True),
    ("console: prevent anonymous access", console(MOUNT, deny=False), False, False, True),
    ("console: encryption + no root", console(ROOT), True, True, False),
    ("console: encryption + read-only", console(WRITE), True, True, False),
    ("console: encryption + no root + read-only", console(ROOT, WRITE), True, True, False),
    ("console: encryption + no anonymous", console(MOUNT), True, False, False),
    ("console: no root + read-only", console(ROOT, WRITE, deny=False), False, True, False),
    ("console: all four options", console(ROOT, WRITE, MOUNT), True, False, False),
    (
        "console: encryption + grant to a role",
        doc(*console()["Statement"], st("Allow", [MOUNT, WRITE], {"AWS": ROLE}, sid="efs-statement-g")),
        True,
        True,
        False,
    ),
    # terraform-aws-modules/efs: deny_nonsecure_transport (default) alone is a lockout; with
    # deny_nonsecure_transport_via_mount_target the pair is the console's.
    ("terraform: NonSecureTransport only", doc(TF_DENY), True, False, False),
    ("terraform: NonSecureTransport + via mount target", doc(TF_DENY, TF_ALLOW_MT), True, True, False),
    (
        "terraform: policy_statements Allow * + NonSecureTransport",
        doc(st("Allow", ALL3, {"AWS": ["*"]}), TF_DENY),
        True,
        True,
        False,
    ),
    ("terraform: via mount target without the deny", doc(TF_ALLOW_MT), False, True, True),
    # AWS documentation examples.
    (
        "docs: read-only for a role, no TLS condition",
        doc(st("Allow", [MOUNT], {"AWS": "arn:aws:iam::555555555555:role/EfsReadOnly"})),
        False,
        True,
        False,
    ),
    (
        "docs: access point enforced for a role over TLS",
        doc(
            st(
                "Allow",
                [MOUNT, WRITE],
                {"AWS": ROLE},
                {"StringEquals": {"elasticfilesystem:AccessPointArn": AP}, "Bool": {"aws:SecureTransport": "true"}},
            )
        ),
        True,
        True,
        False,
    ),
    (
        "docs: deny root unless through the access point, plus the TLS pair",
        doc(
            *console()["Statement"],
            st("Deny", ROOT, condition={"StringNotEquals": {"elasticfilesystem:AccessPointArn": AP}}),
        ),
        True,
        True,
        False,
    ),
    (
        "docs: account principal allowed over TLS",
        doc(st("Allow", ALL3, {"AWS": "arn:aws:iam::111122223333:root"}, TLS_TRUE)),
        True,
        True,
        False,
    ),
    # Hostile or tricky ones.
    ("unconditional Allow * beside the TLS Allow", doc(SEED["Statement"][0], st("Allow", "*", "*")), False, True, True),
    ("grants only: a role, no TLS deny", doc(st("Allow", ALL3, {"AWS": ROLE})), False, True, True),
    (
        "Bool value in another case",
        doc(st("Allow", "*"), st("Deny", "*", condition={"Bool": {"aws:securetransport": "False"}})),
        True,
        True,
        False,
    ),
    (
        "JSON boolean false",
        doc(st("Allow", "*"), st("Deny", "*", condition={"Bool": {"aws:SecureTransport": False}})),
        True,
        True,
        False,
    ),
    (
        "BoolIfExists",
        doc(st("Allow", "*"), st("Deny", "*", condition={"BoolIfExists": {"aws:SecureTransport": "false"}})),
        True,
        True,
        False,
    ),
    (
        "StringEquals on SecureTransport",
        doc(st("Allow", "*"), st("Deny", "*", condition={"StringEquals": {"aws:SecureTransport": "false"}})),
        True,
        True,
        False,
    ),
    (
        "StringNotEquals true",
        doc(st("Allow", "*"), st("Deny", "*", condition={"StringNotEquals": {"aws:SecureTransport": "true"}})),
        True,
        True,
        False,
    ),
    ("deny of ClientMount only", doc(st("Allow", "*"), st("Deny", MOUNT, condition=TLS_FALSE)), False, True, True),
    (
        "deny with wildcard Client*",
        doc(st("Allow", "*"), st("Deny", "elasticfilesystem:Client*", condition=TLS_FALSE)),
        True,
        True,
        False,
    ),
    (
        "deny with ? wildcards in another case",
        doc(st("Allow", "*"), st("Deny", ["ELASTICFILESYSTEM:client????*"], condition=TLS_FALSE)),
        True,
        True,
        False,
    ),
    (
        "NotAction deny spares root",
        doc(st("Allow", "*"), {"Effect": "Deny", "Principal": "*", "NotAction": ROOT, "Condition": TLS_FALSE}),
        False,
        True,
        True,
    ),
    (
        "NotPrincipal deny spares a role",
        doc(st("Allow", "*"), {"Effect": "Deny", "NotPrincipal": {"AWS": ROLE}, "Action": "*", "Condition": TLS_FALSE}),
        False,
        True,
        True,
    ),
    (
        "deny for one account only",
        doc(st("Allow", "*"), st("Deny", "*", {"AWS": "111122223333"}, TLS_FALSE)),
        False,
        True,
        True,
    ),
    (
        "deny for a service principal only",
        doc(st("Allow", "*"), st("Deny", "*", {"Service": "ec2.amazonaws.com"}, TLS_FALSE)),
        False,
        True,
        True,
    ),
    (
        "deny on another file system",
        doc(st("Allow", "*"), st("Deny", "*", condition=TLS_FALSE, Resource=ARN.replace(FS, "fs-87654321"))),
        False,
        True,
        True,
    ),
    (
        "deny on the same id in another account",
        doc(
            st("Allow", "*"), st("Deny", "*", condition=TLS_FALSE, Resource=ARN.replace("123456789012", "999988887777"))
        ),
        False,
        True,
        True,
    ),
    (
        "deny with Resource *",
        doc(st("Allow", "*"), st("Deny", "*", condition=TLS_FALSE, Resource="*")),
        True,
        True,
        False,
    ),
    (
        "deny with a wildcard resource",
        doc(
            st("Allow", "*"),
            st("Deny", "*", condition=TLS_FALSE, Resource="arn:aws:elasticfilesystem:*:*:file-system/*"),
        ),
        True,
        True,
        False,
    ),
    (
        "deny with NotResource of the own ARN",
        doc(st("Allow", "*"), st("Deny", "*", condition=TLS_FALSE, NotResource=ARN)),
        False,
        True,
        True,
    ),
    (
        "deny with NotResource of another file system",
        doc(st("Allow", "*"), st("Deny", "*", condition=TLS_FALSE, NotResource=ARN.replace(FS, "fs-87654321"))),
        True,
        True,
        False,
    ),
    (
        "deny only from 10.0.0.0/8",
        doc(
            st("Allow", "*"),
            st(
                "Deny",
                "*",
                condition={"Bool": {"aws:SecureTransport": "false"}, "IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
            ),
        ),
        False,
        True,
        True,
    ),
    (
        "allow only from 10.0.0.0/8, deny plain everywhere",
        doc(
            st("Allow", "*", condition={"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "2001:db8::/32"]}}),
            st("Deny", "*", condition=TLS_FALSE),
        ),
        True,
        True,
        False,
    ),
    (
        "deny plain except from 10.0.0.0/8",
        doc(
            st("Allow", "*"),
            st(
                "Deny",
                "*",
                condition={"Bool": {"aws:SecureTransport": "false"}, "NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
            ),
        ),
        False,
        True,
        True,
    ),
    (
        "Null condition that never holds",
        doc(st("Allow", "*"), st("Deny", "*", condition={"Null": {"aws:SecureTransport": "true"}})),
        False,
        True,
        True,
    ),
    (
        "two denies on true and false: lockout",
        doc(st("Allow", "*"), st("Deny", "*", condition=TLS_TRUE), st("Deny", "*", condition=TLS_FALSE)),
        True,
        False,
        False,
    ),
    (
        "one deny on both values: lockout",
        doc(st("Allow", "*"), st("Deny", "*", condition={"Bool": {"aws:SecureTransport": ["true", "false"]}})),
        True,
        False,
        False,
    ),
    (
        "allow through one access point without TLS",
        doc(st("Allow", ALL3, condition={"StringEquals": {"elasticfilesystem:AccessPointArn": AP}})),
        False,
        True,
        True,
    ),
    (
        "deny plain except through the access point",
        doc(
            st("Allow", "*"),
            st(
                "Deny",
                "*",
                condition={
                    "Bool": {"aws:SecureTransport": "false"},
                    "StringNotEquals": {"elasticfilesystem:AccessPointArn": AP},
                },
            ),
        ),
        False,
        True,
        True,
    ),
    (
        "ArnLike access points, TLS pair",
        doc(
            st(
                "Allow",
                ALL3,
                condition={
                    "ArnLike": {
                        "elasticfilesystem:AccessPointArn": "arn:aws:elasticfilesystem:*:123456789012:access-point/*"
                    }
                },
            ),
            st("Deny", "*", condition=TLS_FALSE),
        ),
        True,
        True,
        False,
    ),
    (
        "unknown condition key",
        doc(
            st("Allow", "*"),
            st(
                "Deny",
                "*",
                condition={"Bool": {"aws:SecureTransport": "false"}, "StringEquals": {"aws:SourceVpc": "vpc-1"}},
            ),
        ),
        None,
        True,
        None,
    ),
    (
        "policy variable",
        doc(
            st("Allow", "*"),
            st(
                "Deny",
                "*",
                condition={
                    "Bool": {"aws:SecureTransport": "false"},
                    "StringNotLike": {"elasticfilesystem:AccessPointArn": "${aws:username}"},
                },
            ),
        ),
        None,
        True,
        None,
    ),
    (
        "numeric operator on SecureTransport",
        doc(st("Allow", "*"), st("Deny", "*", condition={"NumericEquals": {"aws:SecureTransport": "0"}})),
        None,
        None,
        None,
    ),
    (
        "misspelt operator",
        doc(st("Allow", "*"), st("Deny", "*", condition={"BoolIfExist": {"aws:SecureTransport": "false"}})),
        None,
        None,
        None,
    ),
    (
        "Bool value yes",
        doc(st("Allow", "*"), st("Deny", "*", condition={"Bool": {"aws:SecureTransport": "no"}})),
        None,
        None,
        None,
    ),
    ("Effect in lower case", doc(st("Allow", "*"), st("deny", "*", condition=TLS_FALSE)), None, None, None),
    (
        "allow with an undecidable condition, deny plain",
        doc(
            st("Allow", "*", condition={"StringEquals": {"aws:PrincipalOrgID": "o-1"}}),
            st("Deny", "*", condition=TLS_FALSE),
        ),
        True,
        None,
        False,
    ),
    ("no statements", {"Statement": []}, None, None, None),
    ("not JSON", "{not json", None, None, None),
    (
        "single statement object, 2008 version, Principal *",
        {"Version": "2008-10-17", "Statement": st("Allow", "*", "*", TLS_TRUE)},
        True,
        True,
        False,
    ),
    (
        "NotPrincipal allow to all but a role, deny plain",
        doc({"Effect": "Allow", "NotPrincipal": {"AWS": ROLE}, "Action": "*"}, st("Deny", "*", condition=TLS_FALSE)),
        True,
        True,
        False,
    ),
    (
        "named role allowed over TLS, anonymous nothing",
        doc(st("Allow", ALL3, {"AWS": [ROLE]}, TLS_TRUE)),
        True,
        True,
        False,
    ),
]


def test_the_table_is_large_enough():
    assert len(TABLE) >= 40
    assert len({row[0] for row in TABLE}) == len(TABLE)


@pytest.mark.parametrize("name, policy, enforces, can_mount, root_plain", TABLE, ids=[row[0] for row in TABLE])
def test_verdict(name, policy, enforces, can_mount, root_plain):
    verdict = ev.evaluate(policy, fs_id=FS, fs_arn=ARN)
    got = (verdict["enforces_tls"], verdict["clients_can_mount"], verdict["root_access_without_tls"])
    assert got == (enforces, can_mount, root_plain), verdict["reasons"]
    assert verdict["reasons"] and all(isinstance(r, str) for r in verdict["reasons"])
    if enforces is None:
        assert any("unknown" in r for r in verdict["reasons"])


@pytest.mark.parametrize("name, policy, enforces, can_mount, root_plain", TABLE, ids=[row[0] for row in TABLE])
def test_verdict_is_never_more_certain_without_the_arn(name, policy, enforces, can_mount, root_plain):
    """With only the id and region (efs_policy's view) a verdict may be less sure, never "enforces" more."""
    verdict = ev.evaluate(policy, fs_id=FS, region="us-east-1")
    if "another account" in name or "same id" in name:
        # Without the account, an ARN with the file system's id is taken as its own.
        assert verdict["enforces_tls"] is True
    else:
        assert verdict["enforces_tls"] == enforces


def test_reasons_name_the_allowing_statement_and_who():
    verdict = ev.evaluate(doc(SEED["Statement"][0], st("Allow", "*", "*", sid="Oops")), fs_arn=ARN)
    assert any("anonymous clients may ClientMount" in r and "'Oops'" in r for r in verdict["reasons"])


def test_reasons_name_the_denying_statement():
    verdict = ev.evaluate(console(), fs_arn=ARN)
    assert verdict["reasons"] == ["every client action without TLS is denied (by statement 'efs-statement-0b1c-2')"]


def test_unknown_reason_names_the_key():
    verdict = ev.evaluate(doc(st("Allow", "*"), st("Deny", "*", condition={"StringEquals": {"aws:SourceVpc": "v"}})))
    assert verdict["enforces_tls"] is None
    assert "aws:sourcevpc" in verdict["reasons"][0]


def test_other_partitions_apply_to_their_own_arn():
    policy = doc(st("Allow", "*"), st("Deny", "*", condition=TLS_FALSE, Resource=ARN_CN))
    assert ev.evaluate(policy, fs_arn=ARN_CN)["enforces_tls"] is True
    assert ev.evaluate(policy, fs_arn=ARN)["enforces_tls"] is False


def test_source_ip_regions_are_all_tried():
    # Denied in 10/8 and in 192.168/16 but not between: 172.16.0.1 slips through.
    policy = doc(
        st("Allow", "*"),
        st(
            "Deny",
            "*",
            condition={"Bool": {"aws:SecureTransport": "false"}, "IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
        ),
        st(
            "Deny",
            "*",
            condition={"Bool": {"aws:SecureTransport": "false"}, "NotIpAddress": {"aws:SourceIp": "11.0.0.0/8"}},
        ),
    )
    verdict = ev.evaluate(policy, fs_arn=ARN)
    assert verdict["enforces_tls"] is False
    assert any("11.0.0.0" in r for r in verdict["reasons"])


def test_huge_policies_are_unknown_not_slow():
    nets = [f"10.{i // 256}.{i % 256}.0/24" for i in range(400)]
    policy = doc(
        st("Allow", "*", condition={"IpAddress": {"aws:SourceIp": nets}}),
        *[st("Allow", "*", {"AWS": f"arn:aws:iam::{100000000000 + i}:role/r"}) for i in range(40)],
    )
    verdict = ev.evaluate(policy, fs_arn=ARN)
    assert verdict["enforces_tls"] is None and "kinds of request" in verdict["reasons"][0]


def test_allowed_for_names_statements_granting_to_unnamed_principals():
    policy = doc(SEED["Statement"][0], st("Allow", ALL3, {"AWS": ROLE}, sid="Role"))
    assert ev.allowed_for(policy, ROOT, fs_arn=ARN) == ["'VisualEditior0'"]
    assert ev.allowed_for(console(ROOT), ROOT, fs_arn=ARN) == []
    assert ev.allowed_for(console(), MOUNT, fs_arn=ARN, anonymous_only=True) == ["'efs-statement-0b1c-1'"]

# -*- coding: utf-8 -*-
from __future__ import annotations

import json

import pytest

from ansible_collections.aws_efs.transit.plugins.module_utils import _policy as pol

# The example of the EFS documentation (seed), verbatim, including its "VisualEditior0" typo.
SEED = (
    '{ "Version": "2012-10-17", "Id": "ExamplePolicy01", "Statement": [ { "Sid": "VisualEditior0", "Effect": "Allow", '
    '"Principal": { "AWS": "*" }, "Action": [ "elasticfilesystem:ClientRootAccess", "elasticfilesystem:ClientMount", '
    '"elasticfilesystem:ClientWrite" ], "Condition": { "Bool": { "aws:SecureTransport": "true" } } } ] }'
)

# A statement some other tool wrote: no preset or grant of ours manages it.
FOREIGN = {
    "Sid": "Backup",
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::111122223333:role/backup"},
    "Action": "elasticfilesystem:ClientMount",
}


def statement_sids(doc):
    return [s.get("Sid") for s in pol.statements_of(doc)]


# ---------------------------------------------------------------------------
# file system id


@pytest.mark.parametrize(
    "value, expected",
    [
        ("fs-12345678", ("fs-12345678", None)),
        ("fs-0123456789abcdef0", ("fs-0123456789abcdef0", None)),
        (
            "arn:aws:elasticfilesystem:eu-west-1:123456789012:file-system/fs-0123456789abcdef0",
            ("fs-0123456789abcdef0", "eu-west-1"),
        ),
        ("arn:aws-cn:elasticfilesystem:cn-north-1:123456789012:file-system/fs-12345678", ("fs-12345678", "cn-north-1")),
    ],
)
def test_parse_file_system_id_accepts_ids_and_arns(value, expected):
    assert pol.parse_file_system_id(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "fs-1234",
        "fs-GHIJKLMN",
        "FS-12345678",
        "12345678",
        "",
        None,
        "arn:aws:s3:::bucket",
        "arn:aws:elasticfilesystem:us-east-1:123:file-system/fs-12345678",
    ],
)
def test_parse_file_system_id_rejects_malformed(value):
    with pytest.raises(pol.PolicyError, match="file_system_id"):
        pol.parse_file_system_id(value)


# ---------------------------------------------------------------------------
# loading and validating policies


def test_seed_example_loads_verbatim():
    doc = pol.load_policy(SEED)
    assert doc["Id"] == "ExamplePolicy01"
    assert statement_sids(doc) == ["VisualEditior0"]
    assert pol.mount_lockout_reason(doc) is None


def test_load_policy_copies_dict_input():
    src = json.loads(SEED)
    doc = pol.load_policy(src)
    doc["Statement"][0]["Sid"] = "changed"
    assert src["Statement"][0]["Sid"] == "VisualEditior0"


@pytest.mark.parametrize(
    "value, message",
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        ('"text"', "must be a JSON object"),
        ({"Version": "2012-10-17"}, "no Statement"),
        ({"Statement": []}, "Statement is empty"),
        ({"Statement": [{"Effect": "allow", "Principal": "*", "Action": "*"}]}, "Effect must be"),
        ({"Statement": [{"Effect": "Allow", "Principal": "*"}]}, "exactly one of Action or NotAction"),
        ({"Statement": [{"Effect": "Allow", "Action": "*"}]}, "exactly one of Principal or NotPrincipal"),
        ({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "bob"}, "Action": "*"}]}, "principal 'bob'"),
        ({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "12345"}, "Action": "*"}]}, "12-digit"),
        ({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ClientMount"}]}, "service:Name"),
        ({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Efect": "Allow"}]}, "unknown element"),
        ({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Condition": "x"}]}, "Condition must map"),
        ({"Statement": {"Effect": "Allow", "Principal": "*", "Action": "*"}, "Extra": 1}, "unknown top-level"),
        ({"Version": "2020-01-01", "Statement": {"Effect": "Allow", "Principal": "*", "Action": "*"}}, "Version"),
        (
            {
                "Statement": [
                    {"Sid": "A", "Effect": "Allow", "Principal": "*", "Action": "*"},
                    {"Sid": "A", "Effect": "Deny", "Principal": "*", "Action": "*"},
                ]
            },
            "Sid 'A' twice",
        ),
    ],
)
def test_load_policy_rejects_bad_documents(value, message):
    with pytest.raises(pol.PolicyError, match=message):
        pol.load_policy(value)


def test_single_statement_object_is_accepted():
    doc = pol.load_policy(
        {"Statement": {"Effect": "Allow", "Principal": "*", "Action": "elasticfilesystem:ClientMount"}}
    )
    assert len(pol.statements_of(doc)) == 1


def test_check_size_limit_counts_serialised_characters():
    statement = {"Sid": "S", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "elasticfilesystem:ClientMount"}
    base = len(pol.serialise({"Statement": [dict(statement, Sid="")]}))
    fits = {"Statement": [dict(statement, Sid="x" * (pol.MAX_POLICY_CHARS - base))]}
    assert len(pol.serialise(fits)) == pol.MAX_POLICY_CHARS
    assert pol.check_size(fits) == pol.MAX_POLICY_CHARS
    too_big = {"Statement": [dict(statement, Sid="x" * (pol.MAX_POLICY_CHARS - base + 1))]}
    with pytest.raises(pol.PolicyError, match="20001 characters"):
        pol.check_size(too_big)


# ---------------------------------------------------------------------------
# canonical form


def test_equal_meaning_different_text_compares_equal():
    mine = json.loads(SEED)
    theirs = {
        "Statement": [
            {
                "Condition": {"Bool": {"AWS:SecureTransport": True}},
                "Action": [
                    "ELASTICFILESYSTEM:clientwrite",
                    "elasticfilesystem:ClientMount",
                    "elasticfilesystem:ClientRootAccess",
                    "elasticfilesystem:ClientMount",
                ],
                "Principal": "*",
                "Effect": "Allow",
                "Sid": "VisualEditior0",
            }
        ],
        "Id": "ExamplePolicy01",
        "Version": "2012-10-17",
    }
    assert pol.policies_equal(mine, theirs)


def test_statement_order_and_one_item_lists_do_not_matter():
    a = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "A",
                "Effect": "Allow",
                "Principal": {"AWS": ["123456789012"]},
                "Action": ["elasticfilesystem:ClientMount"],
            },
            {
                "Sid": "B",
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": "*",
                "Condition": {"Bool": {"aws:SecureTransport": ["false"]}},
            },
        ],
    }
    b = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "B",
                "Effect": "Deny",
                "Principal": "*",
                "Action": ["*"],
                "Condition": {"Bool": {"aws:SecureTransport": "False"}},
            },
            {
                "Sid": "A",
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                "Action": "elasticfilesystem:ClientMount",
            },
        ],
    }
    assert pol.policies_equal(a, b)


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d["Statement"][0].update(Effect="Deny"),
        lambda d: d["Statement"][0].update(Sid="Other"),
        lambda d: d["Statement"][0]["Action"].pop(),
        lambda d: d["Statement"][0]["Condition"]["Bool"].update({"aws:SecureTransport": "false"}),
        lambda d: d["Statement"][0].update(Principal={"AWS": "123456789012"}),
        lambda d: d.update(Id="Other"),
        lambda d: d.pop("Id"),
        lambda d: d.update(Version="2008-10-17"),
        lambda d: d["Statement"].append(
            {"Effect": "Allow", "Principal": "*", "Action": "elasticfilesystem:ClientWrite"}
        ),
    ],
)
def test_real_changes_compare_unequal(change):
    before = json.loads(SEED)
    after = json.loads(SEED)
    change(after)
    assert not pol.policies_equal(before, after)


def test_string_condition_values_keep_their_case():
    a = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "*",
                "Condition": {"StringEquals": {"aws:PrincipalTag/team": "Ops"}},
            }
        ]
    }
    b = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "*",
                "Condition": {"StringEquals": {"aws:PrincipalTag/team": "ops"}},
            }
        ]
    }
    assert not pol.policies_equal(a, b)


def test_no_policy_equals_only_no_policy():
    assert pol.policies_equal(None, None)
    assert pol.policies_equal(None, {})
    assert not pol.policies_equal(None, json.loads(SEED))


# ---------------------------------------------------------------------------
# presets


def by_sid(statements):
    return {s["Sid"]: s for s in statements}


def test_enforce_in_transit_generates_console_pair():
    statements = by_sid(pol.preset_statements({"enforce_in_transit_encryption": True}))
    assert set(statements) == {pol.SID_ALLOW_VIA_MOUNT_TARGET, pol.SID_DENY_INSECURE_TRANSPORT}
    allow = statements[pol.SID_ALLOW_VIA_MOUNT_TARGET]
    assert allow["Effect"] == "Allow"
    assert set(allow["Action"]) == set(pol.CLIENT_ACTIONS)
    assert allow["Condition"] == {"Bool": {"elasticfilesystem:AccessedViaMountTarget": "true"}}
    deny = statements[pol.SID_DENY_INSECURE_TRANSPORT]
    assert (deny["Effect"], deny["Action"], deny["Principal"]) == ("Deny", "*", {"AWS": "*"})
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


@pytest.mark.parametrize(
    "option, removed",
    [
        ("prevent_root_access", pol.ACTION_ROOT),
        ("enforce_read_only", pol.ACTION_WRITE),
        ("prevent_anonymous_access", pol.ACTION_MOUNT),
    ],
)
def test_each_option_removes_its_action_without_deny(option, removed):
    statements = by_sid(pol.preset_statements({option: True}))
    assert pol.SID_DENY_INSECURE_TRANSPORT not in statements
    actions = statements[pol.SID_ALLOW_VIA_MOUNT_TARGET]["Action"]
    assert removed not in actions
    assert len(actions) == 2


def test_all_removals_drop_the_allow():
    statements = pol.preset_statements(
        {
            "enforce_in_transit_encryption": True,
            "prevent_root_access": True,
            "enforce_read_only": True,
            "prevent_anonymous_access": True,
        }
    )
    assert statement_sids({"Statement": statements}) == [pol.SID_DENY_INSECURE_TRANSPORT]


def test_presets_false_or_unset_generate_nothing():
    assert pol.preset_statements({}) == []
    assert pol.preset_statements({name: False for name in pol.PRESETS}) == []


def test_preset_statements_are_valid_policy():
    doc = {"Version": "2012-10-17", "Statement": pol.preset_statements({name: True for name in pol.PRESETS[:3]})}
    pol.validate_policy(doc)


# ---------------------------------------------------------------------------
# grants


def test_grants_normalise_actions_and_get_stable_sids():
    grants = [
        {"principal": "123456789012", "actions": ["clientmount", "elasticfilesystem:clientwrite", "ClientMount"]},
        {
            "principal": "arn:aws:iam::210987654321:role/app",
            "actions": ["ClientRootAccess", "elasticfilesystem:DescribeMountTargets"],
        },
    ]
    statements = pol.grant_statements(grants)
    assert statements[0]["Action"] == [pol.ACTION_MOUNT, pol.ACTION_WRITE]
    assert statements[1]["Action"] == [pol.ACTION_ROOT, "elasticfilesystem:DescribeMountTargets"]
    assert statements[0]["Principal"] == {"AWS": "123456789012"}
    assert all(s["Sid"].startswith(pol.SID_GRANT_PREFIX) for s in statements)
    reversed_sids = [s["Sid"] for s in pol.grant_statements(list(reversed(grants)))]
    assert reversed_sids == [statements[1]["Sid"], statements[0]["Sid"]]
    assert statements[0]["Sid"] != statements[1]["Sid"]


def test_account_and_its_root_arn_share_a_sid():
    assert pol.grant_sid("123456789012") == pol.grant_sid("arn:aws:iam::123456789012:root")


@pytest.mark.parametrize(
    "grants, message",
    [
        ([{"principal": "bob", "actions": ["ClientMount"]}], "principal 'bob'"),
        ([{"principal": "arn:aws:s3:::bucket", "actions": ["ClientMount"]}], "is not"),
        ([{"principal": "123456789012", "actions": ["ClientFly"]}], "unknown action 'ClientFly'"),
        ([{"principal": "123456789012", "actions": ["s3:GetObject"]}], "unknown action"),
        ([{"principal": "123456789012", "actions": []}], "at least one action"),
        (
            [
                {"principal": "123456789012", "actions": ["ClientMount"]},
                {"principal": "arn:aws:iam::123456789012:root", "actions": ["ClientWrite"]},
            ],
            "already granted",
        ),
    ],
)
def test_bad_grants_are_refused(grants, message):
    with pytest.raises(pol.PolicyError, match=message):
        pol.grant_statements(grants)


def test_star_principal_grant_is_allowed():
    statements = pol.grant_statements([{"principal": "*", "actions": ["ClientMount"]}])
    assert statements[0]["Principal"] == {"AWS": "*"}


# ---------------------------------------------------------------------------
# merge / purge


def current_with(*statements, **top):
    return dict({"Version": "2012-10-17", "Statement": list(statements)}, **top)


EITE = {"enforce_in_transit_encryption": True}


def test_merge_keeps_foreign_statements_and_replaces_generated_ones():
    old_allow = {
        "Sid": pol.SID_ALLOW_VIA_MOUNT_TARGET,
        "Effect": "Allow",
        "Principal": "*",
        "Action": "elasticfilesystem:ClientMount",
    }
    current = current_with(FOREIGN, old_allow, Id="Kept")
    desired, kept = pol.build_desired(current, None, EITE, None, purge=False)
    assert statement_sids(desired) == ["Backup", pol.SID_ALLOW_VIA_MOUNT_TARGET, pol.SID_DENY_INSECURE_TRANSPORT]
    assert kept == [FOREIGN]
    assert desired["Id"] == "Kept"
    assert by_sid(desired["Statement"])[pol.SID_ALLOW_VIA_MOUNT_TARGET]["Action"] != "elasticfilesystem:ClientMount"


def test_purge_drops_foreign_statements_and_id():
    current = current_with(FOREIGN, Id="Old")
    desired, kept = pol.build_desired(current, None, EITE, None, purge=True)
    assert "Backup" not in statement_sids(desired)
    assert kept == []
    assert "Id" not in desired


def test_given_policy_manages_its_sids_only():
    current = current_with(
        FOREIGN,
        {"Sid": "VisualEditior0", "Effect": "Deny", "Principal": "*", "Action": "*"},
        {
            "Sid": pol.SID_DENY_INSECURE_TRANSPORT,
            "Effect": "Deny",
            "Principal": "*",
            "Action": "*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
    )
    desired, kept = pol.build_desired(current, pol.load_policy(SEED), {}, None, purge=False)
    # Without presets, the preset statements of an earlier run stay as they are.
    assert statement_sids(desired) == ["Backup", pol.SID_DENY_INSECURE_TRANSPORT, "VisualEditior0"]
    assert by_sid(desired["Statement"])["VisualEditior0"]["Effect"] == "Allow"
    assert desired["Id"] == "ExamplePolicy01"
    # kept: every current statement carried over unchanged.
    assert [k["Sid"] for k in kept] == ["Backup", pol.SID_DENY_INSECURE_TRANSPORT]


def test_only_an_explicit_false_removes_a_preset():
    current = current_with(FOREIGN, *pol.preset_statements(EITE))
    desired, dummy = pol.build_desired(current, None, {"enforce_in_transit_encryption": False}, None, purge=False)
    # The Deny goes; the paired Allow belongs to every preset and stays until all are false.
    assert statement_sids(desired) == ["Backup", pol.SID_ALLOW_VIA_MOUNT_TARGET]
    desired, dummy = pol.build_desired(current, None, {name: False for name in pol.PRESETS}, None, purge=False)
    assert statement_sids(desired) == ["Backup"]


def test_grants_only_keep_the_tls_deny_and_the_allow():
    current = current_with(*pol.preset_statements(dict(EITE, prevent_root_access=True)))
    grants = pol.grant_statements([{"principal": "123456789012", "actions": ["ClientWrite"]}])
    desired, dummy = pol.build_desired(current, None, {}, grants, purge=False)
    assert statement_sids(desired)[:2] == [pol.SID_ALLOW_VIA_MOUNT_TARGET, pol.SID_DENY_INSECURE_TRANSPORT]
    assert pol.ACTION_ROOT not in by_sid(desired["Statement"])[pol.SID_ALLOW_VIA_MOUNT_TARGET]["Action"]
    assert len(desired["Statement"]) == 3
    # Empty grants drop the grant statements, nothing else.
    again, dummy = pol.build_desired(desired, None, {}, [], purge=False)
    assert statement_sids(again) == [pol.SID_ALLOW_VIA_MOUNT_TARGET, pol.SID_DENY_INSECURE_TRANSPORT]


ARN = "arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/fs-01234567"
CONSOLE = {
    "Version": "2012-10-17",
    "Id": "efs-policy-wizard-6b3c5fb4-8a52-4b8e-9d40-5a1f2f0e8c11",
    "Statement": [
        {
            "Sid": "efs-statement-2d1e0b7c-3f7e-4a39-9d5d-6c0a1b2c3d4e",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": [
                "elasticfilesystem:ClientRootAccess",
                "elasticfilesystem:ClientWrite",
                "elasticfilesystem:ClientMount",
            ],
            "Resource": ARN,
            "Condition": {"Bool": {"elasticfilesystem:AccessedViaMountTarget": "true"}},
        },
        {
            "Sid": "efs-statement-9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": "*",
            "Resource": ARN,
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
    ],
}
TERRAFORM = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "NonSecureTransport",
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": "*",
            "Resource": ARN,
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
        {
            "Sid": "NonSecureTransportAccessedViaMountTarget",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": [
                "elasticfilesystem:ClientWrite",
                "elasticfilesystem:ClientRootAccess",
                "elasticfilesystem:ClientMount",
            ],
            "Resource": ARN,
            "Condition": {"Bool": {"elasticfilesystem:AccessedViaMountTarget": "true"}},
        },
    ],
}


@pytest.mark.parametrize("made_by", [CONSOLE, TERRAFORM], ids=["console", "terraform"])
def test_console_and_terraform_policies_are_the_preset(made_by):
    desired, kept = pol.build_desired(made_by, None, EITE, None, purge=False, fs_id="fs-01234567")
    assert desired["Statement"] == made_by["Statement"]
    assert kept == made_by["Statement"]
    assert pol.policy_satisfied(made_by, desired, "fs-01234567")


def test_prevent_root_access_edits_the_console_allow_in_place():
    desired, dummy = pol.build_desired(CONSOLE, None, {"prevent_root_access": True}, None, False, "fs-01234567")
    assert len(desired["Statement"]) == 2
    allow = desired["Statement"][0]
    assert allow["Sid"] == CONSOLE["Statement"][0]["Sid"] and allow["Resource"] == ARN
    assert allow["Action"] == [pol.ACTION_WRITE, pol.ACTION_MOUNT]
    assert desired["Statement"][1] == CONSOLE["Statement"][1]
    assert pol.preset_violations(desired, {"prevent_root_access": True}, "fs-01234567") == []
    # And false puts it back.
    back, dummy = pol.build_desired(desired, None, {"prevent_root_access": False}, None, False, "fs-01234567")
    assert set(back["Statement"][0]["Action"]) == set(pol.CLIENT_ACTIONS)


def test_duplicated_preset_statements_become_one():
    doubled = current_with(*CONSOLE["Statement"], *pol.preset_statements(EITE))
    desired, dummy = pol.build_desired(doubled, None, EITE, None, False, "fs-01234567")
    assert desired["Statement"] == CONSOLE["Statement"]


def test_preset_violations_name_the_statement_that_still_allows():
    seed = pol.load_policy(SEED)
    desired, dummy = pol.build_desired(seed, None, {"prevent_root_access": True}, None, False)
    problems = pol.preset_violations(desired, {"prevent_root_access": True})
    assert len(problems) == 1 and "'VisualEditior0'" in problems[0] and pol.ACTION_ROOT in problems[0]
    anon = pol.preset_violations(seed, {"prevent_anonymous_access": True})
    assert "'VisualEditior0'" in anon[0] and "anonymous" in anon[0]
    assert pol.preset_violations(seed, {"enforce_read_only": False}) == []


def test_equal_statement_without_sid_is_not_duplicated():
    no_sid = {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": ["elasticfilesystem:ClientMount"]}
    served = {"Action": "elasticfilesystem:clientmount", "Effect": "Allow", "Principal": "*"}
    desired, kept = pol.build_desired(current_with(served), {"Statement": [no_sid]}, {}, None, purge=False)
    assert len(desired["Statement"]) == 1
    assert kept == []
    assert pol.policies_equal(desired, current_with(served))


def test_merge_is_idempotent_against_reserialised_result():
    options = dict(EITE, prevent_root_access=True)
    first, dummy = pol.build_desired(current_with(FOREIGN), None, options, None, purge=False)
    # What a service might return: keys reordered, single lists collapsed, statements reversed.
    served = json.loads(json.dumps(first, sort_keys=True))
    served["Statement"].reverse()
    for st in served["Statement"]:
        if isinstance(st["Action"], list) and len(st["Action"]) == 1:
            st["Action"] = st["Action"][0]
    second, dummy = pol.build_desired(served, None, options, None, purge=False)
    assert pol.policies_equal(served, second)


def test_given_policy_may_not_use_reserved_prefix_with_presets():
    given = {"Statement": [{"Sid": pol.SID_PREFIX + "Mine", "Effect": "Allow", "Principal": "*", "Action": "*"}]}
    with pytest.raises(pol.PolicyError, match="reserved"):
        pol.build_desired(None, given, {"prevent_root_access": True}, None, purge=False)
    desired, dummy = pol.build_desired(None, given, {}, None, purge=False)
    assert statement_sids(desired) == [pol.SID_PREFIX + "Mine"]


def test_given_statement_replaces_current_one_with_its_sid():
    given = {
        "Statement": [{"Sid": "Backup", "Effect": "Allow", "Principal": "*", "Action": "elasticfilesystem:ClientWrite"}]
    }
    # Current "Backup" is managed by the given policy: replaced, no error.
    desired, dummy = pol.build_desired(current_with(FOREIGN), given, {}, None, purge=False)
    assert by_sid(desired["Statement"])["Backup"]["Action"] == "elasticfilesystem:ClientWrite"


def test_default_version_and_given_version():
    desired, dummy = pol.build_desired(None, None, {"prevent_root_access": True}, None, False)
    assert desired["Version"] == pol.DEFAULT_VERSION
    desired, dummy = pol.build_desired(None, {"Version": "2008-10-17", "Statement": [FOREIGN]}, {}, None, False)
    assert desired["Version"] == "2008-10-17"


# ---------------------------------------------------------------------------
# lockout


def test_deny_only_policy_is_a_lockout():
    deny_only = {"Statement": pol.preset_statements({name: True for name in pol.PRESETS})}
    assert "no client can mount" in pol.mount_lockout_reason(deny_only)


def test_anonymous_prevention_with_a_mount_grant_is_fine():
    statements = pol.preset_statements({"prevent_anonymous_access": True}) + pol.grant_statements(
        [{"principal": "arn:aws:iam::123456789012:role/app", "actions": ["ClientMount"]}]
    )
    assert pol.mount_lockout_reason({"Statement": statements}) is None
    assert pol.mount_lockout_reason({"Statement": pol.preset_statements({"prevent_anonymous_access": True})})


@pytest.mark.parametrize(
    "statement, locked",
    [
        ({"Effect": "Allow", "Principal": "*", "Action": "elasticfilesystem:*"}, False),
        ({"Effect": "Allow", "Principal": "*", "Action": "elasticfilesystem:Client*"}, False),
        ({"Effect": "Allow", "Principal": "*", "NotAction": "elasticfilesystem:ClientWrite"}, False),
        ({"Effect": "Allow", "Principal": "*", "NotAction": "elasticfilesystem:ClientMount"}, True),
        ({"Effect": "Allow", "Principal": "*", "Action": "elasticfilesystem:ClientWrite"}, True),
    ],
)
def test_mount_detection_understands_wildcards(statement, locked):
    assert bool(pol.mount_lockout_reason({"Statement": [statement]})) is locked


def test_unconditional_deny_of_mount_to_everyone_is_a_lockout():
    statements = [
        {"Effect": "Allow", "Principal": "*", "Action": "*"},
        {"Sid": "NoMount", "Effect": "Deny", "Principal": {"AWS": ["*"]}, "Action": "elasticfilesystem:ClientMount"},
    ]
    assert "NoMount" in pol.mount_lockout_reason({"Statement": statements})
    statements[1]["Condition"] = {"Bool": {"aws:SecureTransport": "false"}}
    assert pol.mount_lockout_reason({"Statement": statements}) is None


def test_denies_on_both_transport_values_are_a_lockout():
    statements = [
        {"Effect": "Allow", "Principal": "*", "Action": "*"},
        {
            "Sid": "A",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "*",
            "Condition": {"Bool": {"aws:SecureTransport": "true"}},
        },
        {
            "Sid": "B",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
    ]
    reason = pol.mount_lockout_reason({"Statement": statements})
    assert "'A'" in reason and "'B'" in reason


def test_build_desired_refuses_duplicate_sids_it_would_write():
    twice = {"Statement": [FOREIGN, dict(FOREIGN, Effect="Deny")]}
    with pytest.raises(pol.PolicyError, match="twice"):
        pol.build_desired(None, twice, {}, None, purge=False)


# What the service fills in (EFS API reference, PutFileSystemPolicy example): Id, Sid, Resource.
FS_ID = "fs-01234567"
OWN_ARN = f"arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/{FS_ID}"


def served_version(doc):
    served = json.loads(json.dumps(doc))
    served.setdefault("Id", "1")
    for index, st in enumerate(served["Statement"]):
        st.setdefault("Sid", f"efs-statement-0000000{index}-1111-bbbb-2222-111122224444")
        st.setdefault("Resource", OWN_ARN)
    return served


def test_what_the_service_fills_in_is_no_change():
    desired, dummy = pol.build_desired(
        None,
        {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": pol.ACTION_MOUNT}]},
        {"enforce_in_transit_encryption": True},
        None,
        False,
        FS_ID,
    )
    served = served_version(desired)
    assert pol.policy_satisfied(served, desired, FS_ID)
    # Without the file system id the added Resource is a difference; with an Id asked for, so is the Id.
    assert not pol.policy_satisfied(served, desired)
    assert not pol.policy_satisfied(served, dict(desired, Id="Mine"), FS_ID)
    assert pol.policy_satisfied(dict(served, Id="Mine"), dict(desired, Id="Mine"), FS_ID)


def test_resource_of_another_file_system_is_a_change():
    desired = {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "A", "Effect": "Allow", "Principal": "*", "Action": pol.ACTION_MOUNT}],
    }
    other = json.loads(json.dumps(desired))
    other["Statement"][0]["Resource"] = OWN_ARN.replace(FS_ID, "fs-76543210")
    assert not pol.policy_satisfied(other, desired, FS_ID)


def test_merge_does_not_duplicate_a_served_statement_without_sid():
    mine = {"Effect": "Allow", "Principal": "*", "Action": pol.ACTION_MOUNT}
    served = served_version({"Version": "2012-10-17", "Statement": [mine]})
    desired, kept = pol.build_desired(served, {"Statement": [mine]}, {}, None, False, FS_ID)
    assert kept == []
    assert len(desired["Statement"]) == 1
    assert pol.policy_satisfied(served, desired, FS_ID)

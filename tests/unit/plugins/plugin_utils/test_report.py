# -*- coding: utf-8 -*-
"""The report document: joins, the fleet verdict, failures, merging batches, and its JSON Schema."""

from __future__ import annotations

import copy
import json

import jsonschema
import pytest

from ansible_collections.aws_efs.transit.plugins.module_utils import _compliance as c
from ansible_collections.aws_efs.transit.plugins.plugin_utils import _report as rp
from ansible_collections.aws_efs.transit.plugins.plugin_utils._host_record import audit_host_record

from .conftest import INFO, audit_result

META = {
    "generated_at": "2026-12-01T23:05:00Z",
    "collection_version": "0.1.0",
    "ansible_core_version": "2.19.14",
    "run_id": "ctl-100-5000",
}
ENFORCES = {"enforces_tls": True, "clients_can_mount": True, "root_access_without_tls": False, "reasons": ["ok"]}
OPEN = {
    "enforces_tls": False,
    "clients_can_mount": True,
    "root_access_without_tls": True,
    "reasons": ["no policy: EFS lets any client that reaches a mount target mount without TLS"],
}
UNKNOWN = {"enforces_tls": None, "clients_can_mount": None, "root_access_without_tls": None, "reasons": ["Condition X"]}


def validate(doc, schema):
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(json.loads(json.dumps(doc)))


def fs(doc, fs_id):
    return next(f for f in doc["file_systems"] if f["file_system_id"] == fs_id)


def test_mixed_fleet_document_validates_and_is_not_compliant(fleet, schema):
    doc = rp.build(fleet, [{"file_system_id": "fs-12345678", "verdict": ENFORCES}], ["web1", "web2", "db1"], META)
    validate(doc, schema)
    assert doc["schema_version"] == rp.SCHEMA_VERSION and doc["generator"]["ansible_core_version"] == "2.19.14"
    assert doc["compliant"] is False
    assert [h["host"] for h in doc["hosts"]] == ["db1", "web1", "web2"]
    assert doc["hosts"][0]["problems"] == [rp.NO_RECORD]
    s = doc["summary"]
    assert (s["hosts_total"], s["hosts_compliant"]) == (3, 1)
    assert (s["mounts_total"], s["mounts_tls"], s["mounts_without_tls"], s["mounts_not_efs"]) == (12, 2, 6, 4)


def test_mounts_are_joined_to_their_file_system(fleet):
    doc = rp.build(fleet, [{"file_system_id": "fs-12345678", "verdict": ENFORCES}], meta=META)
    f = fs(doc, "fs-12345678")
    assert [(c["host"], c["path"], c["kind"]) for c in f["clients"]] == [
        ("web1", "/mnt/efs", "efs_tls"),
        ("web1", "/mnt/plain", "efs_plain"),
        ("web2", "/mnt/efs", "efs_tls"),
    ]
    # A host with one plain mount of a file system counts as "without TLS" for it.
    assert f["hosts_tls"] == ["web2"] and f["hosts_without_tls"] == ["web1"]
    assert f["policy"]["enforces_tls"] is True and f["compliant"] is False
    assert f["reasons"] == ["web1 mounts it at /mnt/plain without TLS"]
    # The loopback mount with no state file names no file system.
    assert doc["file_systems"][-1]["file_system_id"] == rp.UNKNOWN_FS


def test_failures_name_every_mount_host_path_why_and_file_system(fleet):
    doc = rp.build(fleet, [{"file_system_id": "fs-aaaaaaaa", "verdict": OPEN}], ["web1", "web2", "db1"], META)
    text = "\n".join(doc["failures"])
    for path in ("/mnt/plain", "/mnt/proxyplain", "/mnt/byip", "/mnt/orphan", "/mnt/az", "/mnt/bare"):
        assert "mount web1:%s" % path in text
    assert "mount web1:/mnt/plain (fs-12345678): undeclared EFS mount without TLS" in text
    assert "host db1: no compliance record" in text
    assert "file system fs-aaaaaaaa: the policy does not enforce TLS; no policy: EFS lets" in text
    assert "web2" not in text
    assert rp.message(doc).startswith("EFS encryption in transit: NOT COMPLIANT - hosts 1/3")


def test_fleet_compliant_only_when_hosts_mounts_and_policies_all_are(schema):
    tls_fstab = "fs-12345678:/ /mnt/efs efs _netdev,tls 0 0\n"
    web2 = audit_host_record(
        "web2",
        INFO,
        audit_result("v2_stunnel", [{"file_system_id": "fs-12345678", "path": "/mnt/efs"}], fstab=tls_fstab),
    )
    ok = rp.build([web2], [{"file_system_id": "fs-12345678", "verdict": ENFORCES}], ["web2"], META)
    validate(ok, schema)
    assert ok["compliant"] is True and ok["failures"] == [] and ok["policies_checked"] is True
    # The same hosts with a policy that lets plain NFS in: not compliant.
    bad = rp.build([web2], [{"file_system_id": "fs-12345678", "verdict": OPEN}], ["web2"], META)
    assert bad["compliant"] is False and fs(bad, "fs-12345678")["hosts_tls"] == ["web2"]
    # Unknown is never "enforces".
    unknown = rp.build([web2], [{"file_system_id": "fs-12345678", "verdict": UNKNOWN}], ["web2"], META)
    assert unknown["compliant"] is False
    assert unknown["failures"] == ["file system fs-12345678: the policy's TLS enforcement is unknown; Condition X"]
    # Drift alone fails too.
    drift = rp.build([web2], [{"file_system_id": "fs-12345678", "verdict": ENFORCES, "changed": True}], ["web2"], META)
    assert drift["compliant"] is False and fs(drift, "fs-12345678")["policy"]["drift"] is True
    # A policy of a file system no audited host mounts still counts.
    other = rp.build([web2], [{"file_system_id": "fs-87654321", "verdict": OPEN}], ["web2"], META)
    assert other["compliant"] is False and fs(other, "fs-87654321")["clients"] == []
    # Without a server-side check the client side decides, and the report says so.
    unchecked = rp.build([web2], [], ["web2"], META)
    assert unchecked["compliant"] is True and unchecked["policies_checked"] is False
    assert fs(unchecked, "fs-12345678")["policy"]["checked"] is False
    assert rp.headline(unchecked).endswith("(policies not checked)")


def test_drift_records_and_verdicts_for_one_file_system_combine():
    doc = rp.build(
        [],
        [
            {
                "file_system_id": "fs-12345678",
                "changed": False,
                "compliant": True,
                "msg": "the live policy is the desired one",
            },
            {"file_system_id": "fs-12345678", "verdict": OPEN},
        ],
        meta=META,
    )
    policy = fs(doc, "fs-12345678")["policy"]
    assert policy["enforces_tls"] is False and policy["compliant"] is False and policy["drift"] is False
    failed = rp.build([], [{"file_system_id": "fs-12345678", "failed": True, "msg": "AccessDenied"}], meta=META)
    assert fs(failed, "fs-12345678")["policy"]["reasons"] == ["AccessDenied"] and not failed["compliant"]


def test_warn_policy_lists_warnings_and_passes(schema):
    rec = audit_host_record("web1", INFO, audit_result("audit_mixed", undeclared="warn"))
    doc = rp.build([rec], [], ["web1"], dict(META, undeclared_mounts="warn"))
    validate(doc, schema)
    assert doc["compliant"] is True and doc["failures"] == []
    assert any(w.startswith("mount web1:/mnt/plain: undeclared EFS mount without TLS") for w in doc["warnings"])


def test_converge_records_without_kind_are_understood(schema):
    record = {
        "host": "web3",
        "compliant": False,
        "problems": [],
        "mounts": [
            {
                "file_system_id": "fs-12345678",
                "path": "/mnt/a",
                "state": "mounted",
                "mounted": True,
                "tls": True,
                "compliant": True,
                "reasons": [],
            },
            {
                "file_system_id": "fs-12345678",
                "path": "/mnt/b",
                "state": "mounted",
                "mounted": True,
                "tls": False,
                "compliant": False,
                "reasons": ["relay_tls: x"],
            },
            {
                "file_system_id": "fs-12345678",
                "path": "/mnt/c",
                "state": "unmounted",
                "mounted": False,
                "tls": False,
                "compliant": True,
                "reasons": [],
            },
        ],
    }
    doc = rp.build([record], [], ["web3"], dict(META, mode="converge"))
    validate(doc, schema)
    assert [m["kind"] for m in doc["hosts"][0]["mounts"]] == ["efs_tls", "efs_plain", "absent"]
    assert doc["hosts"][0]["mounts"][2]["wanted"] == "unmounted"


def test_a_host_flagged_compliant_with_a_failing_mount_is_not():
    record = {
        "host": "h",
        "compliant": True,
        "problems": [],
        "mounts": [{"path": "/x", "kind": "efs_plain", "compliant": False}],
    }
    assert rp.build([record], meta=META)["compliant"] is False


def test_empty_fleet(schema):
    doc = rp.build([], [], [], META)
    validate(doc, schema)
    assert doc["compliant"] is True and doc["summary"]["hosts_total"] == 0


# ---------------------------------------------------------------- batches


def test_merge_keeps_earlier_batches_of_the_same_run(fleet, schema):
    web1, web2 = fleet
    first = rp.build([web1], [{"file_system_id": "fs-12345678", "verdict": ENFORCES}], ["web1"], META)
    second = rp.merge(json.loads(json.dumps(first)), [web2], [], ["web2"], META)
    validate(second, schema)
    assert [h["host"] for h in second["hosts"]] == ["web1", "web2"]
    f = fs(second, "fs-12345678")
    assert f["policy"]["enforces_tls"] is True and f["hosts_tls"] == ["web2"] and f["hosts_without_tls"] == ["web1"]
    # The merge recomputes the verdict over both batches.
    assert second["summary"]["hosts_total"] == 2 and second["compliant"] is False


def test_merge_replaces_a_host_seen_again_and_ignores_other_runs(fleet):
    web1, web2 = fleet
    first = rp.build([], [], ["web1", "web2"], META)
    assert all(h["problems"] == [rp.NO_RECORD] for h in first["hosts"])
    second = rp.merge(first, [web2], [], ["web2"], META)
    assert [h["host"] for h in second["hosts"]] == ["web1", "web2"] and second["hosts"][1]["compliant"]
    other_run = rp.merge(first, [web2], [], ["web2"], dict(META, run_id="ctl-101-6000"))
    assert [h["host"] for h in other_run["hosts"]] == ["web2"]
    assert rp.merge(None, [web2], [], ["web2"], META)["summary"]["hosts_total"] == 1


def test_merge_round_trips_policy_verdicts(fleet):
    first = rp.build([], [{"file_system_id": "fs-12345678", "verdict": UNKNOWN, "changed": True}], [], META)
    again = rp.merge(copy.deepcopy(first), [], [], [], META)
    assert fs(again, "fs-12345678")["policy"] == fs(first, "fs-12345678")["policy"]


# ---------------------------------------------------------------- across runs


def run_meta(run_id, generated_at):
    return dict(META, run_id=run_id, generated_at=generated_at)


def pulled(record, run_id, generated_at, policies=()):
    """The local report of one ansible-pull host (one host, its own run), as it lands on disk."""
    return json.loads(json.dumps(rp.build([record], list(policies), [record["host"]], run_meta(run_id, generated_at))))


def compliant_web1(fleet, checked_at):
    """web1 after its plain mount was remediated: the record of web2's kind, under web1's name."""
    return dict(copy.deepcopy(fleet[1]), host="web1", checked_at=checked_at)


def test_pull_hosts_each_writing_their_report_make_one_fleet_report(fleet, schema):
    web1, web2 = fleet
    docs = [pulled(web1, "web1-1-1", "2026-12-01T23:00:30Z"), pulled(web2, "web2-1-1", "2026-12-01T23:00:31Z")]
    doc = rp.merge_runs(docs, [], [{"file_system_id": "fs-12345678", "verdict": ENFORCES}], [], META)
    validate(doc, schema)
    assert [(h["host"], h["run_id"]) for h in doc["hosts"]] == [("web1", "web1-1-1"), ("web2", "web2-1-1")]
    f = fs(doc, "fs-12345678")
    assert f["hosts_tls"] == ["web2"] and f["hosts_without_tls"] == ["web1"] and f["policy"]["enforces_tls"] is True
    assert doc["summary"]["hosts_total"] == 2 and doc["compliant"] is False
    assert doc["run_id"] == META["run_id"]
    # web1 is remediated and reports again: its newer record replaces the old one, and the fleet passes.
    docs.append(pulled(compliant_web1(fleet, "2026-12-02T00:00:00Z"), "web1-2-2", "2026-12-02T00:00:05Z"))
    again = rp.merge_runs([doc] + docs, [], [], [], run_meta("ctl-2", "2026-12-02T00:01:00Z"))
    validate(again, schema)
    assert [h["run_id"] for h in again["hosts"]] == ["web1-2-2", "web2-1-1"]
    assert fs(again, "fs-12345678")["hosts_tls"] == ["web1", "web2"]
    # The policy verdict of the earlier fleet report is kept.
    assert fs(again, "fs-12345678")["policy"]["enforces_tls"] is True and again["compliant"] is True


def test_newer_checked_at_wins_whatever_the_order(fleet):
    web1 = fleet[0]
    fixed = compliant_web1(fleet, "2026-12-02T00:00:00Z")
    old_doc = pulled(web1, "a", "2026-12-01T23:00:30Z")
    new_doc = pulled(fixed, "b", "2026-12-02T00:00:05Z")
    for docs in ([old_doc, new_doc], [new_doc, old_doc]):
        doc = rp.merge_runs(docs, [], [], [], META)
        assert doc["hosts"][0]["run_id"] == "b" and doc["hosts"][0]["compliant"], docs
    # This call's record is older than what a pull host reported since: the newer one stays.
    doc = rp.merge_runs([new_doc], [web1], [], ["web1"], META)
    assert doc["hosts"][0]["run_id"] == "b" and doc["hosts"][0]["checked_at"] == "2026-12-02T00:00:00Z"
    # On a tie this call wins.
    tie = dict(copy.deepcopy(web1), checked_at="2026-12-02T00:00:00Z")
    doc = rp.merge_runs([new_doc], [tie], [], ["web1"], META)
    assert doc["hosts"][0]["run_id"] == META["run_id"] and not doc["hosts"][0]["compliant"]


def test_an_entry_without_checked_at_is_as_old_as_its_report(fleet):
    old = pulled(dict(fleet[1], checked_at=None), "a", "2026-12-01T22:00:00Z")
    new = pulled(dict(fleet[1], checked_at=None, mounts=[]), "b", "2026-12-01T22:30:00Z")
    doc = rp.merge_runs([new, old], [], [], [], META)
    assert doc["hosts"][0]["run_id"] == "b"
    assert rp.timestamp("2026-12-01T22:00:00Z") < rp.timestamp("2026-12-01T22:00:01+00:00")
    assert rp.timestamp("2026-12-01T23:00:00+01:00") == rp.timestamp("2026-12-01T22:00:00Z")
    assert rp.timestamp("yesterday") is None and rp.timestamp(None) is None
    assert rp.timestamp("2026-12-01T22:00:00").tzinfo is not None


def test_a_host_missing_now_replaces_another_runs_record_not_its_own_runs(fleet):
    web1, web2 = fleet
    earlier_run = pulled(web2, "other", "2026-12-01T23:00:31Z")
    doc = rp.merge_runs([earlier_run], [web1], [], ["web1", "web2"], META)
    web2_now = doc["hosts"][1]
    assert web2_now["problems"] == [rp.NO_RECORD] and web2_now["run_id"] == META["run_id"]
    assert web2_now["checked_at"] == META["generated_at"]
    # An earlier serial batch of this run recorded web2: a later batch without its record keeps it.
    batch1 = json.loads(json.dumps(rp.build([web2], [], ["web2"], META)))
    for h in batch1["hosts"]:
        h["run_id"] = META["run_id"]
    doc = rp.merge_runs([batch1], [web1], [], ["web1", "web2"], META)
    assert doc["hosts"][1]["compliant"] and doc["hosts"][1]["problems"] == []
    # A placeholder written by an earlier report loses to a record observed later.
    doc = rp.merge_runs([json.loads(json.dumps(rp.build([], [], ["web2"], META)))], [], [], [], META)
    assert doc["hosts"][0]["checked_at"] == META["generated_at"]
    later = dict(web2, checked_at="2026-12-01T23:06:00Z")
    assert rp.merge_runs([doc, pulled(later, "x", "2026-12-01T23:06:01Z")], [], [], [], META)["hosts"][0]["compliant"]


def test_policies_this_call_wins_else_the_newest_report(fleet):
    web2 = fleet[1]
    open_doc = pulled(web2, "a", "2026-12-01T23:00:00Z", [{"file_system_id": "fs-12345678", "verdict": OPEN}])
    fixed_doc = pulled(web2, "b", "2026-12-01T23:10:00Z", [{"file_system_id": "fs-12345678", "verdict": ENFORCES}])
    for docs in ([open_doc, fixed_doc], [fixed_doc, open_doc]):
        assert fs(rp.merge_runs(docs, [], [], [], META), "fs-12345678")["policy"]["enforces_tls"] is True
    now = rp.merge_runs([fixed_doc], [], [{"file_system_id": "fs-12345678", "verdict": UNKNOWN}], [], META)
    assert fs(now, "fs-12345678")["policy"]["enforces_tls"] is None and not now["compliant"]
    # A file system nobody judged stays unchecked; a policy of a file system no host mounts stays listed.
    lone = pulled(web2, "c", "2026-12-01T23:20:00Z", [{"file_system_id": "fs-abcdef01", "verdict": ENFORCES}])
    doc = rp.merge_runs([lone], [], [], [], META)
    assert fs(doc, "fs-12345678")["policy"]["checked"] is False and fs(doc, "fs-abcdef01")["policy"]["checked"]


def test_max_age_drops_hosts_that_stopped_reporting(fleet, schema):
    web1, web2 = fleet
    web1 = dict(web1, checked_at="2026-11-20T00:00:00Z")
    stale = pulled(web1, "a", "2026-11-20T00:00:05Z", [{"file_system_id": "fs-12345678", "verdict": OPEN}])
    fresh = pulled(web2, "b", "2026-12-01T23:00:31Z")
    doc = rp.merge_runs([stale, fresh], [], [], [], META, max_age=86400)
    validate(doc, schema)
    assert [h["host"] for h in doc["hosts"]] == ["web2"] and doc["compliant"] is True
    assert fs(doc, "fs-12345678")["policy"]["checked"] is False
    assert [h["host"] for h in rp.merge_runs([stale, fresh], [], [], [], META)["hosts"]] == ["web1", "web2"]
    # This call's own records are never too old.
    old_record = dict(web1, checked_at="2026-01-01T00:00:00Z")
    assert [h["host"] for h in rp.merge_runs([], [old_record], [], [], META, max_age=60)["hosts"]] == ["web1"]


def test_merge_runs_of_a_merged_report_is_stable(fleet, schema):
    docs = [pulled(fleet[0], "a", "2026-12-01T23:00:30Z"), pulled(fleet[1], "b", "2026-12-01T23:00:31Z")]
    once = json.loads(json.dumps(rp.merge_runs(docs, [], [], [], META)))
    twice = json.loads(json.dumps(rp.merge_runs([once, once] + docs, [], [], [], META)))
    validate(twice, schema)
    assert twice["hosts"] == once["hosts"] and twice["file_systems"] == once["file_systems"]
    # Garbage among the inputs is ignored, not fatal.
    assert rp.merge_runs([None, "x", {"hosts": [None, {"host": ""}]}], [], [], [], META)["hosts"] == []


def test_stats_for_awx(fleet):
    doc = rp.build(fleet, [{"file_system_id": "fs-12345678", "verdict": ENFORCES}], ["web1", "web2"], META)
    stats = rp.stats(doc)
    assert stats["efs_transit_compliant"] is False
    assert stats["efs_transit_summary"]["hosts_total"] == 2
    assert stats["efs_transit_file_systems"]["fs-12345678"] == {
        "compliant": False,
        "policy_enforces_tls": True,
        "hosts_tls": 1,
        "hosts_without_tls": 1,
    }
    assert stats["efs_transit_failures"] == doc["failures"]


@pytest.mark.parametrize("mutate", ["kind", "schema_version", "fs_id"])
def test_schema_rejects_broken_documents(fleet, schema, mutate):
    doc = json.loads(json.dumps(rp.build(fleet, [], [], META)))
    if mutate == "kind":
        doc["hosts"][0]["mounts"][0]["kind"] = "maybe_tls"
    elif mutate == "schema_version":
        doc["schema_version"] = "0.9"
    else:
        doc["file_systems"][0]["file_system_id"] = "fs-XYZ"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema).validate(doc)


def test_audit_playbook_entries_with_plan_or_read_errors_never_pass():
    """playbooks/audit.yml passes efs_policy_report's entries: a refused desired policy or an unreadable one fails."""
    from ansible_collections.aws_efs.transit.plugins.filter.efs_policy_report import efs_policy_report

    info = {
        "file_systems": [
            {"file_system_id": "fs-12345678", "verdict": ENFORCES, "drift": None, "plan_error": "nobody could mount"},
            {
                "file_system_id": "fs-87654321",
                "verdict": UNKNOWN,
                "error": {"code": "FileSystemNotFound", "message": "no such file system"},
            },
            {"file_system_id": "fs-0123abcd", "verdict": ENFORCES},
        ]
    }
    doc = rp.build([], efs_policy_report(info), meta=META)
    assert fs(doc, "fs-12345678")["policy"]["compliant"] is False
    assert "nobody could mount" in "; ".join(fs(doc, "fs-12345678")["policy"]["reasons"])
    assert (
        "cannot read the policy: FileSystemNotFound: no such file system" in fs(doc, "fs-87654321")["policy"]["reasons"]
    )
    assert fs(doc, "fs-0123abcd")["policy"]["compliant"] is True
    assert doc["compliant"] is False


def test_audit_playbook_discovered_file_system_is_judged_and_joined(schema):
    """A file system only a host's undeclared mount names gets a verdict through efs_audit_file_systems."""
    from ansible_collections.aws_efs.transit.plugins.filter.efs_report import efs_audit_file_systems

    rec = audit_host_record("web1", INFO, audit_result("audit_mixed", undeclared="warn"))
    declared = [{"file_system_id": "fs-12345678", "verdict": ENFORCES, "drift": False, "compliant": True}]
    found = efs_audit_file_systems({"web1": {"efs_client_compliance": rec}}, ["web1"], declared)
    assert "fs-12345678" not in found and found
    doc = rp.build([rec], declared + [{"file_system_id": f, "verdict": OPEN} for f in found], ["web1"], META)
    validate(doc, schema)
    assert all(fs(doc, f)["policy"]["checked"] and not fs(doc, f)["policy"]["compliant"] for f in found)
    assert doc["compliant"] is False


# ---------------------------------------------------------------- one rule: the report and the role agree


def _policy_entries():
    """efs_policy_report's entries (what the role's summary and the efs_report action both get)."""
    from ansible_collections.aws_efs.transit.plugins.filter.efs_policy_report import efs_policy_report

    file_systems = [
        {"file_system_id": "fs-12345678", "verdict": ENFORCES, "drift": False},
        {"file_system_id": "fs-aaaaaaaa", "verdict": ENFORCES, "drift": True},
        {"file_system_id": "fs-bbbbbbbb", "verdict": OPEN},
        {"file_system_id": "fs-cccccccc", "verdict": UNKNOWN},
        {"file_system_id": "fs-dddddddd", "verdict": ENFORCES, "error": {"code": "AccessDenied", "message": "no"}},
        {"file_system_id": "fs-eeeeeeee", "verdict": ENFORCES},
    ]
    return efs_policy_report({"file_systems": file_systems})


def _role_records():
    proven = {"changed": False, "proof": {"compliant": True, "tls": True, "mounted": True, "reasons": []}}
    plain = {"changed": False, "proof": {"compliant": False, "tls": False, "mounted": True, "reasons": ["no TLS"]}}
    mount = {"file_system_id": "fs-12345678", "path": "/mnt/efs"}
    info = dict(INFO, check_hostname=True)
    watchdog = {"wanted": True, "enabled": True, "active": True}
    return [
        c.host_record(info, c.mount_records([mount], [proven]), "r1", pinned="3.2.0", watchdog=watchdog),
        c.host_record(info, c.mount_records([mount], [plain]), "r2", pinned="3.2.0", watchdog=watchdog),
        c.host_record(
            info, c.mount_records([mount], [proven]), "r3", pinned="3.1.0", watchdog=dict(watchdog, active=0)
        ),
        # A record that says compliant with a failing mount (hand-made, or from an older collection).
        {"host": "r4", "compliant": True, "problems": [], "mounts": [dict(mount, compliant=False, tls=False)]},
    ]


@pytest.mark.parametrize("policy_ids", [[], ["fs-12345678"], ["fs-12345678", "fs-eeeeeeee"], None])
@pytest.mark.parametrize("hosts", [["r1"], ["r1", "r2"], ["r1", "r3", "r4"], ["r1", "missing"], ["web1", "web2"]])
def test_report_decides_by_the_one_rule(fleet, hosts, policy_ids):
    """The role's and the audit's records (both go through efs_report): every verdict is _compliance's."""
    records = {r["host"]: r for r in _role_records() + fleet}
    entries = _policy_entries()
    policies = [e for e in entries if policy_ids is None or e["file_system_id"] in policy_ids]
    present = [records[h] for h in hosts if h in records]
    doc = rp.build(present, policies, hosts, META)
    expected_hosts = {h: (c.record_compliant(records[h]) if h in records else False) for h in hosts}
    assert {h["host"]: h["compliant"] for h in doc["hosts"]} == expected_hosts
    assert doc["summary"]["hosts_compliant"] == sum(expected_hosts.values())
    verdicts = {f["file_system_id"]: f["policy"]["compliant"] for f in doc["file_systems"] if f["policy"]["checked"]}
    assert verdicts == {p["file_system_id"]: p["compliant"] for p in policies}
    assert doc["summary"]["policies_compliant"] == sum(1 for p in policies if p["compliant"])
    assert doc["compliant"] is (all(expected_hosts.values()) and all(f["compliant"] for f in doc["file_systems"]))
    assert doc["compliant"] is False or all(p["compliant"] for p in policies)


def test_policy_entry_and_efs_policy_report_and_the_rule_agree():
    for entry in _policy_entries():
        raw = {"verdict": entry["verdict"], "drift": entry["drift"], "error": entry.get("error")}
        rule = c.file_system_compliant(entry["verdict"], entry["drift"], entry.get("error"))
        assert rp.policy_entry(dict(raw, file_system_id=entry["file_system_id"]))["compliant"] is rule
        assert entry["compliant"] is rule
    assert [e["compliant"] for e in _policy_entries()] == [True, False, False, False, False, True]


def test_a_judged_record_with_drift_is_not_compliant():
    # main's report passed {compliant: true, drift: true} without a verdict: drift is never compliant.
    entry = rp.policy_entry({"file_system_id": "fs-12345678", "compliant": True, "drift": True})
    assert entry["compliant"] is False and rp.DRIFT_REASON in entry["reasons"]
    assert rp.policy_entry({"file_system_id": "fs-12345678", "compliant": True, "drift": False})["compliant"] is True

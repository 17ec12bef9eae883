# -*- coding: utf-8 -*-
"""The one definition of compliant (mount, host, file system, fleet) and the report records."""

from __future__ import annotations

import pytest

from ansible_collections.aws_efs.transit.plugins.module_utils import _compliance as c
from ansible_collections.aws_efs.transit.plugins.plugin_utils import _report as rp

PROVEN = {"changed": False, "proof": {"compliant": True, "tls": True, "relay": "stunnel", "port": 20529, "reasons": []}}


@pytest.mark.parametrize("state", ["mounted", "present", "unmounted", "absent"])
def test_mount_follows_the_module_for_every_state(state):
    # main's role Jinja marked state present compliant whatever the module said.
    said_no = {"changed": False, "proof": {"compliant": False, "mounted": False, "reasons": ["fstab: no line for /x"]}}
    record = c.mount_record({"file_system_id": "fs-12345678", "path": "/x", "state": state}, said_no)
    assert record["compliant"] is False and record["reasons"] == ["fstab: no line for /x"]
    ok = c.mount_record({"file_system_id": "fs-12345678", "path": "/x", "state": state}, PROVEN)
    assert ok["compliant"] is True and ok["state"] == state


def test_failed_or_skipped_mount_is_not_compliant():
    failed = dict(PROVEN, failed=True, msg="mount failed: boom")
    assert c.mount_record({"path": "/x"}, failed)["reasons"] == ["mount failed: boom"]
    assert c.mount_record({"path": "/x"}, failed)["compliant"] is False
    skipped = c.mount_record({"path": "/x"}, {"skipped": True}, check_mode=True)
    assert skipped["compliant"] is False and "not installed yet (check mode)" in skipped["reasons"][0]
    # fewer results than mounts: the rest did not run
    records = c.mount_records([{"path": "/a"}, {"path": "/b"}], [PROVEN])
    assert [r["compliant"] for r in records] == [True, False]


INFO = {
    "efs_utils": {"installed": True, "version": "3.2.0", "version_ok": True, "mount_helper": "/sbin/mount.efs"},
    "relay": "stunnel",
    "check_hostname": True,
    "problems": [],
    "watchdog": {"enabled": True, "active": True},
}


def test_host_compliance():
    mounts = c.mount_records([{"path": "/a"}], [PROVEN])
    watchdog = {"wanted": True, "enabled": True, "active": True}
    record = c.host_record(INFO, mounts, "h1", pinned="3.2.0", install_method="file", watchdog=watchdog)
    assert record["compliant"] is True and record["problems"] == []
    info = dict(INFO, check_hostname=False, efs_utils=dict(INFO["efs_utils"], version_ok=False))
    record = c.host_record(info, mounts, "h1", pinned="3.1.0", watchdog=dict(watchdog, active=False))
    assert record["compliant"] is False
    assert record["problems"] == [
        "efs-utils 3.2.0 is not the pinned 3.1.0",
        "stunnel host name checking is turned off (efs_client_allow_insecure_hostname_check)",
        "the EFS mount watchdog is not enabled and running",
    ]
    fresh = dict(INFO, efs_utils={"installed": False})
    record = c.host_record(fresh, [], "h1", install_method="repo", check_mode=True)
    assert record["problems"] == ["efs-utils is not installed (check mode: a real run installs it, method repo)"]
    # An audit judges TLS: a host without efs-utils fails only through its (then plain) EFS mounts.
    assert c.host_record(fresh, [], "h1", check_mode=True, audit=True)["problems"] == []
    bad = c.host_record(INFO, c.mount_records([{"path": "/a"}], [{}]), "h1")
    assert "mount /a is not compliant" in c.host_failure_message(bad)


@pytest.mark.parametrize(
    "verdict, compliant",
    [
        ({"enforces_tls": True, "reasons": []}, True),
        ({"enforces_tls": False, "reasons": ["Allow * without aws:SecureTransport"]}, False),
        ({"enforces_tls": None, "reasons": []}, False),
        (None, False),
    ],
)
def test_file_system_is_compliant_only_when_the_verdict_says_it_enforces_tls(verdict, compliant):
    assert c.file_system_compliant(verdict) is compliant
    record = c.file_system_record("fs-12345678", verdict)
    assert record["compliant"] is compliant and (record["reasons"] == []) is compliant


def test_policy_record_from_a_failed_result():
    record = c.policy_record({"item": {"file_system_id": "fs-1"}, "failed": True, "msg": "AccessDenied"})
    assert record["compliant"] is False and record["reasons"][0] == "AccessDenied"


def test_fleet():
    """The role's converge records through the one report (efs_report): the fleet verdict and counts."""
    good = c.host_record(INFO, c.mount_records([{"path": "/a"}], [PROVEN]), "h1")
    enforced = c.file_system_record("fs-1", {"enforces_tls": True})
    report = rp.build([good], [enforced], ["h1", "h2"], {"mode": "converge"})
    assert report["summary"]["hosts_total"] == 2 and report["summary"]["hosts_compliant"] == 1
    assert report["compliant"] is False
    assert report["hosts"][1]["problems"] == [c.NO_RECORD]
    report = rp.build([good], [c.file_system_record("fs-1", {"enforces_tls": False})], ["h1"], {"mode": "converge"})
    assert report["compliant"] is False and report["summary"]["policies_compliant"] == 0
    report = rp.build([good], [], ["h1"], {"mode": "converge", "check_mode": True})
    assert report["compliant"] is True and report["check_mode"] is True
    assert rp.headline(report).startswith("EFS encryption in transit: COMPLIANT (check mode)")
    assert report["hosts"][0]["mounts"][0]["kind"] == "efs_tls"


def test_policy_record_with_drift_is_not_compliant():
    # main's policy_record ignored drift: an enforcing verdict that differs from the desired policy passed.
    record = c.policy_record({"item": "fs-12345678", "verdict": {"enforces_tls": True}, "drift": True})
    assert record["compliant"] is False and c.DRIFT_REASON in record["reasons"]


def test_efs_utils_and_watchdog_rules():
    assert c.efs_utils_problems({"installed": True, "version": "3.2.0", "version_ok": True}, "3.2.0") == []
    assert c.efs_utils_problems({"installed": True, "version": None, "version_ok": False}) == [
        "efs-utils is installed but its version cannot be read"
    ]
    assert c.efs_utils_problems({}, check_mode=False) == ["efs-utils is not installed"]
    assert c.efs_utils_problems({}, audit=True, check_mode=True) == []
    assert c.watchdog_problems({"wanted": True, "enabled": True, "active": False}, True) == [c.WATCHDOG_PROBLEM]
    assert c.watchdog_problems({"wanted": True}, False) == []
    assert c.watchdog_problems({"wanted": False}, True) == []


def test_a_record_is_compliant_only_when_the_host_rule_agrees():
    mounts = c.mount_records([{"path": "/a"}], [PROVEN])
    assert c.record_compliant({"compliant": True, "problems": [], "mounts": mounts}) is True
    assert c.record_compliant({"compliant": True, "problems": ["x"], "mounts": mounts}) is False
    assert c.record_compliant({"compliant": True, "problems": [], "mounts": [{"compliant": False}]}) is False
    assert c.record_compliant({"problems": [], "mounts": mounts}) is False
    # The fleet counts a record that says compliant but has a failing mount as not compliant.
    claimed = {"host": "h1", "compliant": True, "problems": [], "mounts": [{"path": "/x", "compliant": False}]}
    report = rp.build([claimed], [], ["h1"])
    assert report["compliant"] is False and report["summary"]["hosts_compliant"] == 0

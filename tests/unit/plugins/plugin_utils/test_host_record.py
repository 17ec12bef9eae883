# -*- coding: utf-8 -*-
"""An audited host's record: what the host's efs-utils.conf says, not what the role would configure."""

from __future__ import annotations

import pytest

from ansible_collections.aws_efs.transit.plugins.module_utils import _compliance as c
from ansible_collections.aws_efs.transit.plugins.plugin_utils._host_record import audit_host_record

from .conftest import INFO, audit_result


def test_check_hostname_and_ocsp_come_from_the_hosts_file():
    audit = audit_result("v2_stunnel")
    audit["efs_utils_conf"] = dict(audit["efs_utils_conf"], check_hostname=False, ocsp=True)
    audit["problems"] = ["efs-utils.conf turns stunnel host name checking off"]
    # efs_client_info was told what the role would configure: the record does not repeat it.
    info = dict(INFO, check_hostname=True, ocsp=False)
    rec = audit_host_record("web1", info, audit)
    assert rec["check_hostname"] is False and rec["ocsp"] is True
    assert rec["efs_utils_conf"]["check_hostname"] is False
    assert rec["compliant"] is False and rec["problems"] == ["efs-utils.conf turns stunnel host name checking off"]


def test_host_without_efs_utils_is_audited_and_its_efs_mounts_are_plain():
    info = dict(INFO, efs_utils={"installed": False, "version": None, "version_ok": False}, relay=None)
    rec = audit_host_record("web1", info, audit_result("audit_mixed"), pinned="3.2.0")
    kinds = {m["kind"] for m in rec["mounts"]}
    assert "efs_plain" in kinds and rec["compliant"] is False
    # Not installed is not itself a problem, nor is a watchdog it cannot have.
    assert not [p for p in rec["problems"] if "watchdog" in p or "pinned" in p]


def test_host_without_efs_utils_and_without_efs_mounts_is_compliant():
    info = dict(INFO, efs_utils={"installed": False, "version": None, "version_ok": False}, relay=None)
    audit = audit_result("v2_stunnel")
    audit["mounts"] = [m for m in audit["mounts"] if m["kind"] == "not_efs"]
    rec = audit_host_record("web1", info, audit, pinned="3.2.0")
    assert rec["compliant"] is True and rec["problems"] == []


AUDIT = {"changed": False, "mounts": [], "summary": {}, "efs_utils_conf": {}, "problems": [], "compliant": True}


def _info(**efs_utils):
    return dict(INFO, efs_utils=dict(INFO["efs_utils"], **efs_utils))


CASES = {
    "ok": (INFO, "3.2.0"),
    "not installed": (_info(installed=False, version=None, version_ok=False), "3.2.0"),
    "not the pin": (_info(version="3.1.0-1", version_ok=False), "3.2.0"),
    "version unknown, no pin": (_info(version=None, version_ok=False), None),
    "watchdog stopped": (dict(INFO, watchdog={"enabled": True, "active": False}), "3.2.0"),
    "not installed, watchdog stopped": (
        dict(_info(installed=False, version=None, version_ok=False), watchdog={"enabled": False, "active": False}),
        None,
    ),
    "info problem": (dict(INFO, problems=["stunnel is not installed but mounts need it as their TLS relay"]), None),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_audit_record_and_role_record_agree(case):
    info, pinned = CASES[case]
    audited = audit_host_record("h1", info, AUDIT, pinned=pinned)
    role = c.host_record(info, [], "h1", pinned=pinned, audit=True, watchdog=dict(info["watchdog"], wanted=True))
    assert audited["problems"] == role["problems"]
    # An audit judges TLS: efs-utils missing on a host with no EFS mount is not itself a problem.
    assert (
        audited["compliant"]
        is role["compliant"]
        is (case in ("ok", "not installed", "not installed, watchdog stopped"))
    )


def test_a_host_without_efs_utils_fails_only_through_its_mounts():
    info = _info(installed=False, version=None, version_ok=False)
    assert audit_host_record("h1", info, AUDIT)["compliant"] is True
    plain = dict(AUDIT, mounts=[{"path": "/data", "kind": "efs_plain", "compliant": False, "tls": False}])
    assert audit_host_record("h1", info, plain)["compliant"] is False


def test_results_that_did_not_run_are_problems_not_guesses():
    record = audit_host_record("h1", {"failed": True, "msg": "boom"}, {})
    assert record["compliant"] is False
    assert record["problems"] == ["efs_client_info did not run: boom", "efs_client_audit did not run: no result"]
    # The host's own efs-utils.conf judges hostname checking (efs_client_audit's problems), not info's.
    conf_problem = "efs-utils.conf turns stunnel host name checking off"
    record = audit_host_record("h1", dict(INFO, check_hostname=False), dict(AUDIT, problems=[conf_problem]))
    assert record["problems"] == [conf_problem]

# -*- coding: utf-8 -*-
"""The audit host record decides with _compliance's rules: it agrees with the role's host record."""

from __future__ import annotations

import pytest

from ansible_collections.aws_efs.transit.plugins.module_utils import _compliance as c
from ansible_collections.aws_efs.transit.plugins.plugin_utils._host_record import audit_host_record

from .conftest import INFO

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
    assert audited["compliant"] is role["compliant"] is (case == "ok")


def test_a_host_without_efs_utils_is_not_compliant():
    # main's audit record passed a host without efs-utils and without mounts; the role's audit did not.
    info = _info(installed=False, version=None, version_ok=False)
    record = audit_host_record("h1", info, AUDIT)
    assert record["compliant"] is False and record["problems"] == ["efs-utils is not installed"]


def test_results_that_did_not_run_are_problems_not_guesses():
    record = audit_host_record("h1", {"failed": True, "msg": "boom"}, {})
    assert record["compliant"] is False
    assert record["problems"] == ["efs_client_info did not run: boom", "efs_client_audit did not run: no result"]
    # The host's own efs-utils.conf judges hostname checking (efs_client_audit's problems), not info's.
    conf_problem = "efs-utils.conf turns stunnel host name checking off"
    record = audit_host_record("h1", dict(INFO, check_hostname=False), dict(AUDIT, problems=[conf_problem]))
    assert record["problems"] == [conf_problem]

# -*- coding: utf-8 -*-
"""Host records made the way the role makes them: efs_client_audit's pure parts on fixture hosts."""

from __future__ import annotations

from pathlib import Path

import pytest

from ansible_collections.aws_efs.transit.plugins.module_utils import _mount_audit as ma
from ansible_collections.aws_efs.transit.plugins.module_utils import _proof as pr
from ansible_collections.aws_efs.transit.plugins.module_utils import _tls_settings as ts
from ansible_collections.aws_efs.transit.plugins.module_utils._efs_utils_conf import read as parse_ini
from ansible_collections.aws_efs.transit.plugins.plugin_utils._host_record import audit_host_record
from ansible_collections.aws_efs.transit.tests.unit.host_trees import fixture_facts

SCHEMA = Path(__file__).resolve().parents[4] / "roles" / "efs_client" / "files" / "efs-transit-report.schema.json"

INFO = {
    "changed": False,
    "efs_utils": {"installed": True, "version": "3.2.0-1", "version_ok": True, "mount_helper": "/sbin/mount.efs"},
    "relay": "stunnel",
    "stunnel": {"path": "/usr/bin/stunnel", "version": "5.68", "check_host": True, "ocsp_aia": True},
    "efs_proxy": None,
    "watchdog": {"enabled": True, "active": True},
    "problems": [],
}


def audit_result(scenario, declared=(), undeclared="fail", fstab=None):
    base, facts = fixture_facts(scenario)
    if fstab is None:
        fstab = (base / "fstab").read_text() if (base / "fstab").exists() else ""
    records = ma.audit_mounts(
        pr.read_mountinfo(facts["proc_root"]),
        pr.read_state_files(facts["state_dir"]),
        fstab,
        ma.validate_declared(list(declared)),
        undeclared=undeclared,
        facts=facts,
    )
    conf_path = base / "efs-utils.conf"
    sections = parse_ini(conf_path.read_text()) if conf_path.exists() else {}
    settings = ts.tls_settings(sections, exists=conf_path.exists(), path="/etc/amazon/efs/efs-utils.conf")
    summary = ma.summarize(records)
    return {
        "changed": False,
        "mounts": records,
        "summary": summary,
        "efs_utils_conf": settings,
        "problems": ts.settings_problems(settings),
        "compliant": summary["compliant"],
    }


@pytest.fixture
def fleet():
    """web1: the mixed host (a plain EFS mount and more); web2: one proven TLS mount; db1 never reported."""
    tls_fstab = "fs-12345678:/ /mnt/efs efs _netdev,tls 0 0\n"
    web1 = audit_host_record(
        "web1",
        INFO,
        audit_result("audit_mixed", [{"file_system_id": "fs-12345678", "path": "/mnt/efs"}]),
        pinned="3.2.0",
        instance_id="i-0123456789abcdef0",
        region="us-east-1",
        checked_at="2026-12-01T23:00:00Z",
    )
    web2 = audit_host_record(
        "web2",
        INFO,
        audit_result("v2_stunnel", [{"file_system_id": "fs-12345678", "path": "/mnt/efs"}], fstab=tls_fstab),
        pinned="3.2.0",
        checked_at="2026-12-01T23:00:01Z",
    )
    return [web1, web2]


@pytest.fixture
def schema():
    import json

    return json.loads(SCHEMA.read_text())

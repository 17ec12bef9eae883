# -*- coding: utf-8 -*-
"""efs_client_audit on a fixture host: one execution examines every mount and reads efs-utils.conf."""

from __future__ import annotations

import json
import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.aws_efs.transit.plugins.modules import efs_client_audit as mod

from ansible_collections.aws_efs.transit.tests.unit.host_trees import fixture_facts

HOST, FACTS = fixture_facts("audit_mixed")


@pytest.fixture
def run(monkeypatch, capsys):
    monkeypatch.setattr(mod, "FACTS", FACTS)

    def _run(**params):
        params.setdefault("fstab", str(HOST / "fstab"))
        params.setdefault("config_path", str(HOST / "efs-utils.conf"))
        with patch_module_args(params):
            with pytest.raises(SystemExit):
                mod.main()
        return json.loads(capsys.readouterr().out)

    return _run


def test_whole_host_in_one_call(run):
    out = run(mounts=[{"file_system_id": "fs-12345678", "path": "/mnt/efs", "options": ["noatime"]}])
    assert out["changed"] is False
    assert out["summary"]["examined"] == 11 and out["summary"]["efs_plain"] == 6
    assert out["compliant"] is False
    declared = [m for m in out["mounts"] if m["declared"]]
    assert [m["path"] for m in declared] == ["/mnt/efs"] and declared[0]["compliant"]
    assert out["efs_utils_conf"]["ca_file"] == "/etc/amazon/efs/test-ca.pem"
    assert out["efs_utils_conf"]["exists"] is True and out["problems"] == []


def test_warn_policy_warns_and_passes_only_without_other_failures(run):
    out = run(undeclared="warn")
    assert out["compliant"] is True
    # ansible-core 2.19 returns warnings as structured events: search their text.
    assert "/mnt/plain: undeclared EFS mount without TLS" in json.dumps(out["warnings"])


def test_region_picks_the_region_section(run, tmp_path):
    out = run(region="us-iso-east-1", undeclared="ignore")
    assert out["efs_utils_conf"]["section"] == "mount.us-iso-east-1"
    missing = run(config_path=str(tmp_path / "none.conf"), undeclared="ignore")
    assert missing["efs_utils_conf"]["exists"] is False and missing["efs_utils_conf"]["check_hostname"] is True


def test_insecure_conf_is_a_host_problem(run, tmp_path):
    conf = tmp_path / "efs-utils.conf"
    conf.write_text("[mount]\nstunnel_check_cert_hostname = false\n")
    out = run(config_path=str(conf), undeclared="ignore")
    assert out["compliant"] is False and "host name checking off" in out["problems"][0]


def test_bad_declaration_fails_cleanly(run):
    out = run(mounts=[{"file_system_id": "fs-12345678", "path": "relative"}])
    assert out["failed"] is True and "mounts[0].path" in out["msg"]


def test_info_returns_efs_client_info_facts_in_the_same_execution(run, monkeypatch):
    from ansible.module_utils import basic

    monkeypatch.setattr(basic.AnsibleModule, "get_bin_path", lambda self, name, required=False, opt_dirs=None: None)
    monkeypatch.setattr(mod, "OS_RELEASE", "/nonexistent/os-release")
    monkeypatch.setattr(mod, "DPKG_STATUS", "/nonexistent/dpkg-status")
    out = run(undeclared="ignore", info=True, gather_os=True, version="3.2.0", mount_helper_paths=["/nonexistent"])
    info = out["info"]
    assert set(info) >= {"efs_utils", "stunnel", "efs_proxy", "relay", "problems", "watchdog", "os"}
    assert info["efs_utils"]["installed"] is False and info["efs_utils"]["version_ok"] is False
    assert info["efs_utils"]["config_path"] == str(HOST / "efs-utils.conf")
    assert info["os"]["system"] == "Linux"
    # The audit's own result is what it was without info.
    plain = run(undeclared="ignore")
    assert "info" not in plain and plain["mounts"] == out["mounts"] and plain["summary"] == out["summary"]

# -*- coding: utf-8 -*-
"""efs_client_info with run_command and get_bin_path faked: one call per fact, facts parsed right."""

from __future__ import annotations

import json

import pytest

from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args

from ansible_collections.aws_efs.transit.plugins.modules import efs_client_info as mod

HELP_OLD = "stunnel 4.56 on x86_64-redhat-linux-gnu platform\nCAfile                 = certificate authority file\n"
HELP_NEW = (
    "stunnel 5.68 on x86_64-pc-linux-gnu platform\ncheckHost              = peer certificate host name pattern\n"
    "OCSPaia                = yes|no check the AIA responders from certificates\n"
)


class FakeHost(object):
    def __init__(self, bins, outputs):
        self.bins = bins
        self.outputs = outputs
        self.commands = []

    def run_command(self, cmd, **_kw):
        self.commands.append(list(cmd))
        for prefix, result in self.outputs.items():
            if " ".join(cmd).startswith(prefix):
                return result
        return 1, "", "not found"


@pytest.fixture
def run(monkeypatch, capsys):
    def _run(host, **params):
        monkeypatch.setattr(mod, "OS_RELEASE", "/nonexistent/os-release")
        monkeypatch.setattr(basic.AnsibleModule, "run_command", lambda self, cmd, **kw: host.run_command(cmd, **kw))
        monkeypatch.setattr(
            basic.AnsibleModule, "get_bin_path", lambda self, name, required=False, opt_dirs=None: host.bins.get(name)
        )
        with patch_module_args(params):
            with pytest.raises(SystemExit):
                mod.main()
        return json.loads(capsys.readouterr().out)

    return _run


def test_installed_host_one_call_per_fact(tmp_path, run):
    conf = tmp_path / "efs-utils.conf"
    conf.write_text("[mount]\nregion = eu-west-1\nstunnel_check_cert_hostname = true\n")
    helper = tmp_path / "mount.efs"
    helper.write_text("")
    host = FakeHost(
        bins={"dpkg-query": "/usr/bin/dpkg-query", "stunnel": "/usr/bin/stunnel", "systemctl": "/bin/systemctl"},
        outputs={
            "/usr/bin/dpkg-query": (0, "install ok installed\t3.2.0~standin1", ""),
            "/usr/bin/stunnel -help": (1, "", HELP_NEW),
            "/bin/systemctl show": (0, "LoadState=loaded\nUnitFileState=enabled\nActiveState=active\n", ""),
        },
    )
    res = run(
        host,
        config_path=str(conf),
        mount_helper_paths=[str(helper)],
        efs_proxy_paths=[str(tmp_path / "none")],
        version="3.2.0",
    )
    assert res["changed"] is False
    assert res["efs_utils"]["version"] == "3.2.0~standin1"
    assert res["efs_utils"]["version_ok"] is True and res["efs_utils"]["version_major"] == 3
    assert res["efs_utils"]["mount_helper"] == str(helper)
    assert res["efs_utils"]["config"]["mount"]["region"] == "eu-west-1"
    assert res["stunnel"] == {"path": "/usr/bin/stunnel", "version": "5.68", "check_host": True, "ocsp_aia": True}
    # 3.x without efs-proxy: auto must pick stunnel, or the helper would fail.
    assert res["relay"] == "stunnel" and res["efs_proxy"] is None
    assert res["watchdog"]["enabled"] and res["watchdog"]["active"]
    assert res["problems"] == []
    # dpkg-query, stunnel -help, systemctl show: once each; no mount.efs --version needed.
    assert [c[0] for c in host.commands] == ["/usr/bin/dpkg-query", "/usr/bin/stunnel", "/bin/systemctl"]


def test_old_stunnel_is_a_problem_with_the_fix(tmp_path, run):
    host = FakeHost(
        bins={"rpm": "/usr/bin/rpm", "stunnel": "/usr/bin/stunnel"},
        outputs={"/usr/bin/rpm": (0, "1.36.0-1.el7\n", ""), "/usr/bin/stunnel -help": (0, HELP_OLD, "")},
    )
    res = run(
        host,
        config_path=str(tmp_path / "missing.conf"),
        package_format="rpm",
        version="1.36.0",
        mount_helper_paths=[str(tmp_path / "x")],
    )
    assert res["efs_utils"]["version_ok"] is True
    assert res["relay"] == "stunnel"
    assert res["check_hostname"] is True  # efs-utils' default when the file does not say
    assert len(res["problems"]) == 1 and "checkHost" in res["problems"][0] and "newer stunnel" in res["problems"][0]
    # No systemctl here: the watchdog is reported absent, not an error.
    assert res["watchdog"]["exists"] is False


def test_fresh_host_reports_absent_without_failing(tmp_path, run):
    host = FakeHost(
        bins={"dpkg-query": "/usr/bin/dpkg-query"},
        outputs={"/usr/bin/dpkg-query": (1, "", "dpkg-query: no packages found matching amazon-efs-utils")},
    )
    res = run(
        host, config_path=str(tmp_path / "missing.conf"), mount_helper_paths=[str(tmp_path / "x")], version="3.2.0"
    )
    assert res["efs_utils"]["installed"] is False and res["efs_utils"]["version"] is None
    assert res["efs_utils"]["version_ok"] is False
    assert res["stunnel"]["path"] is None
    assert res["relay"] is None and res["problems"] == []

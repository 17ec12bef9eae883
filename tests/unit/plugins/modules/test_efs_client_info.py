# -*- coding: utf-8 -*-
"""efs_client_info with run_command and get_bin_path faked: one call per fact, facts parsed right."""

from __future__ import annotations

import json
import sys

import pytest

from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args

from ansible_collections.aws_efs.transit.plugins.module_utils import _client_facts
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
        # No dpkg status file unless the test writes one: the package query then asks dpkg-query or rpm.
        monkeypatch.setattr(mod, "DPKG_STATUS", params.pop("_dpkg_status", "/nonexistent/dpkg-status"))
        monkeypatch.setattr(basic.AnsibleModule, "run_command", lambda self, cmd, **kw: host.run_command(cmd, **kw))
        monkeypatch.setattr(
            basic.AnsibleModule, "get_bin_path", lambda self, name, required=False, opt_dirs=None: host.bins.get(name)
        )
        with patch_module_args(params):
            with pytest.raises(SystemExit):
                mod.main()
        return json.loads(capsys.readouterr().out)

    return _run


def installed_host(version):
    """A Debian host with amazon-efs-utils `version` (as dpkg-query reports it), a stunnel 5.68 and the
    watchdog enabled and running."""
    return FakeHost(
        bins={"dpkg-query": "/usr/bin/dpkg-query", "stunnel": "/usr/bin/stunnel", "systemctl": "/bin/systemctl"},
        outputs={
            "/usr/bin/dpkg-query": (0, "install ok installed\t%s" % version, ""),
            "/usr/bin/stunnel -help": (1, "", HELP_NEW),
            "/bin/systemctl show": (0, "LoadState=loaded\nUnitFileState=enabled\nActiveState=active\n", ""),
        },
    )


def test_installed_host_one_call_per_fact(tmp_path, run):
    conf = tmp_path / "efs-utils.conf"
    conf.write_text("[mount]\nregion = eu-west-1\nstunnel_check_cert_hostname = true\n")
    helper = tmp_path / "mount.efs"
    helper.write_text("")
    host = installed_host("3.2.0~standin1")
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


def test_a_debian_host_reads_dpkgs_status_file_and_runs_no_dpkg_query(tmp_path, run):
    status = tmp_path / "status"
    status.write_text(
        "Package: amazon-efs-utils-extra\nStatus: install ok installed\nVersion: 9.9\n\n"
        "Package: amazon-efs-utils\nStatus: install ok installed\nArchitecture: all\nVersion: 3.2.0-1\n"
        "Description: the helper\n multi-line: text\n\nPackage: stunnel4\nStatus: install ok installed\n"
    )
    host = FakeHost(bins={"dpkg-query": "/usr/bin/dpkg-query"}, outputs={})
    res = run(host, _dpkg_status=str(status), config_path=str(tmp_path / "none.conf"), version="3.2.0")
    assert res["efs_utils"]["version"] == "3.2.0-1" and res["efs_utils"]["package_format"] == "deb"
    assert res["efs_utils"]["version_ok"] is True
    assert "/usr/bin/dpkg-query" not in [c[0] for c in host.commands]


@pytest.mark.parametrize("ocsp", [False, True])
def test_stunnel_runs_only_when_it_relays(tmp_path, run, ocsp):
    """efs-proxy relays: stunnel -help decides nothing and is not started, unless OCSP hands mounts to stunnel."""
    proxy = tmp_path / "efs-proxy"
    proxy.write_text("")
    host = installed_host("3.2.0-1")
    res = run(
        host,
        config_path=str(tmp_path / "missing.conf"),
        mount_helper_paths=[str(tmp_path / "mount.efs")],
        efs_proxy_paths=[str(proxy)],
        version="3.2.0",
        ocsp=ocsp,
    )
    # OCSP: the helper relays those mounts through stunnel, so auto chooses it.
    assert res["relay"] == ("stunnel" if ocsp else "efs-proxy") and res["problems"] == []
    assert ("/usr/bin/stunnel" in [c[0] for c in host.commands]) is ocsp
    assert res["stunnel"]["path"] == "/usr/bin/stunnel"
    assert res["stunnel"]["check_host"] is (True if ocsp else None)


def test_a_mount_that_names_stunnel_needs_it():
    assert _client_facts.needs_stunnel("efs-proxy", False) is False
    assert _client_facts.needs_stunnel("efs-proxy", False, [{"path": "/a"}, {"path": "/b", "relay": "stunnel"}])
    assert _client_facts.needs_stunnel("stunnel", False) and _client_facts.needs_stunnel(None, False)
    assert _client_facts.needs_stunnel("efs-proxy", True)


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


# ---------------------------------------------------------------- read everything: OS, CA, config, mounts judged ahead

from ansible_collections.aws_efs.transit.plugins.module_utils import _files  # noqa: E402
from ansible_collections.aws_efs.transit.plugins.module_utils import _mount_judge  # noqa: E402
from ansible_collections.aws_efs.transit.plugins.module_utils import _proof  # noqa: E402
from ansible_collections.aws_efs.transit.plugins.modules import efs_tls_mount  # noqa: E402
from ansible_collections.aws_efs.transit.tests.unit.plugins.modules.test_efs_tls_mount import (  # noqa: E402
    FOREIGN,
    OUR_LINE,
    Host,
)

BARE = FakeHost(bins={}, outputs={})


def _point_at(monkeypatch, host):
    for name, value in (
        ("PROC_ROOT", str(host.root / "proc")),
        ("STATE_DIR", str(host.root / "efs")),
        ("LOG_DIR", str(host.root / "log")),
        ("FS_ROOT", str(host.root / "root")),
        ("DPKG_STATUS", str(host.dpkg_status)),
        ("CONFIG_FILE", str(host.config)),
        ("OS_RELEASE", str(host.root / "os-release")),
    ):
        monkeypatch.setattr(efs_tls_mount, name, value)
    monkeypatch.setattr(mod, "PATHS", efs_tls_mount.paths())
    monkeypatch.setattr(mod, "DPKG_STATUS", str(host.dpkg_status))
    monkeypatch.setattr(_proof, "probe_path", host.probe)
    monkeypatch.setattr(basic.AnsibleModule, "run_command", lambda self, cmd, **kw: host.run_command(cmd, **kw))
    monkeypatch.setattr(
        basic.AnsibleModule, "get_bin_path", lambda self, name, required=False, opt_dirs=None: host.bins.get(name)
    )


def _call(module, params, capsys):
    with patch_module_args(params):
        with pytest.raises(SystemExit):
            module.main()
    out = json.loads(capsys.readouterr().out)
    for key in ("invocation", "warnings", "deprecations"):
        out.pop(key, None)
    return out


@pytest.mark.parametrize(
    "scenario, fstab, extra",
    [
        ("v2_stunnel", FOREIGN + b"\nfs-12345678:/\t/mnt/efs\tefs\tstunnel,tls,_netdev\n", {}),  # compliant
        ("v2_stunnel", OUR_LINE, {"options": ["noatime"]}),  # fstab line to rewrite: the mount stays
        ("plain_nfs", OUR_LINE, {}),  # would fail: not TLS, remediate off
        ("plain_nfs", OUR_LINE, {"remediate": True}),  # would unmount and mount over TLS
        ("v2_stunnel", OUR_LINE, {"state": "absent"}),
    ],
)
def test_each_mount_is_judged_as_efs_tls_mount_would_in_check_mode(
    tmp_path, monkeypatch, capsys, scenario, fstab, extra
):
    host = Host(tmp_path, scenario, fstab=fstab)
    _point_at(monkeypatch, host)
    mount = dict({"file_system_id": "fs-12345678", "path": "/mnt/efs", "fstab": str(host.fstab)}, **extra)
    want = _call(efs_tls_mount, dict(mount, _ansible_check_mode=True, helper_version="3.2.0"), capsys)
    got = _call(mod, {"mounts": [mount], "mount_helper_paths": [str(host.mount_efs)], "version": "3.2.0"}, capsys)
    assert len(got["mounts"]) == 1
    judged = dict(got["mounts"][0])
    judged.pop("warnings", None)
    # The very result a check run of efs_tls_mount returns (changed: what a real run would change).
    assert judged == want
    assert "proof" in judged and set(judged["proof"]) >= {"compliant", "reasons", "tls"}


def test_many_mounts_are_judged_from_one_reading(tmp_path, monkeypatch, capsys):
    """Ten mounts: the mount table, the state files and the fstab are read once, the helper is the one
    efs_client_info found (mount_helper_paths) and nothing looks for it again; each result is still
    efs_tls_mount's."""
    host = Host(tmp_path, "v2_stunnel", fstab=FOREIGN + b"\nfs-12345678:/\t/mnt/efs\tefs\tstunnel,tls,_netdev\n")
    _point_at(monkeypatch, host)
    reads = {"mountinfo": 0, "states": 0, "fstab": 0, "bin": []}
    real_mountinfo, real_states, real_text = _proof.read_mountinfo, _proof.read_state_files, _files.read_text

    def count(key, real):
        def wrapped(*args, **kwargs):
            # The fixture's stand-in for the path probe (Host.probe) reads the table too; the real probe does not.
            reads[key] += sys._getframe(1).f_code.co_name != "probe"
            return real(*args, **kwargs)

        return wrapped

    monkeypatch.setattr(_proof, "read_mountinfo", count("mountinfo", real_mountinfo))
    monkeypatch.setattr(_proof, "read_state_files", count("states", real_states))

    def read_text(path):
        reads["fstab"] += path == str(host.fstab)
        return real_text(path)

    monkeypatch.setattr(_files, "read_text", read_text)
    monkeypatch.setattr(
        basic.AnsibleModule,
        "get_bin_path",
        lambda self, name, required=False, opt_dirs=None: reads["bin"].append(name) or host.bins.get(name),
    )
    mount = {"file_system_id": "fs-12345678", "path": "/mnt/efs", "fstab": str(host.fstab)}
    got = _call(mod, {"mounts": [mount] * 10, "mount_helper_paths": [str(host.mount_efs)], "version": "3.2.0"}, capsys)
    assert reads["mountinfo"] == 1 and reads["states"] == 1 and reads["fstab"] == 1
    # The helper efs_client_info found (mount_helper_paths) is the one the mounts are judged with.
    assert "mount.efs" not in reads["bin"]
    want = _call(efs_tls_mount, dict(mount, _ansible_check_mode=True, helper_version="3.2.0"), capsys)
    assert [dict(m, warnings=None) for m in got["mounts"]] == [dict(want, warnings=None)] * 10


def test_mount_params_are_the_roles_loop_parameters():
    item = {"file_system_id": "fs-1", "path": "/mnt/a", "aws_profile": "p", "iam": True, "boot": None, "extra": 1}
    params = _mount_judge.mount_params(item, relay="stunnel", remediate=True, helper_version="3.2.0")
    assert params == {
        "file_system_id": "fs-1",
        "path": "/mnt/a",
        "efs_utils_aws_profile": "p",
        "iam": True,
        "relay": "stunnel",
        "remediate": True,
        "helper_version": "3.2.0",
    }
    assert (
        _mount_judge.mount_params({"relay": "efs-proxy", "remediate": False}, "stunnel", True)["relay"] == "efs-proxy"
    )


def test_a_bad_mount_is_a_failed_result_not_a_failed_module(tmp_path, monkeypatch, capsys):
    host = Host(tmp_path, "v2_stunnel")
    _point_at(monkeypatch, host)
    got = _call(mod, {"mounts": [{"path": "/mnt/x"}, {"file_system_id": "nope", "path": "/mnt/y"}]}, capsys)
    assert not got.get("failed") and [m["failed"] for m in got["mounts"]] == [True, True]
    assert "file_system_id" in got["mounts"][0]["msg"] and "nope" in got["mounts"][1]["msg"]


def test_os_facts_ca_file_and_config_plan(tmp_path, run):
    conf = tmp_path / "efs-utils.conf"
    conf.write_text("[mount]\nregion = us-east-1\nstunnel_check_cert_hostname = true\n")
    ca = tmp_path / "ca.pem"
    ca.write_bytes(b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    ca.chmod(0o640)
    out = run(
        BARE,
        config_path=str(conf),
        gather_os=True,
        ca_file={"path": str(ca)},
        config_settings={"settings": {"mount": {"region": "us-east-1", "stunnel_check_cert_hostname": True}}},
    )
    assert out["os"]["system"] == "Linux" and "distribution" in out["os"] and "pkg_mgr" in out["os"]
    import hashlib

    assert out["ca_file"]["checksum"] == hashlib.sha1(ca.read_bytes()).hexdigest()
    assert out["ca_file"]["exists"] and out["ca_file"]["mode"] == "0640" and out["ca_file"]["owner"]
    assert out["config_plan"]["changed"] is False and out["config_plan"]["exists"] is True
    changed = run(
        BARE,
        config_path=str(conf),
        ca_file={"path": str(tmp_path / "missing.pem")},
        config_settings={"settings": {"mount": {"region": "eu-west-1"}}},
    )
    assert "os" not in changed and changed["ca_file"]["exists"] is False and changed["ca_file"]["checksum"] is None
    assert changed["config_plan"]["changed"] is True
    assert changed["config_plan"]["changes"] == [
        {"section": "mount", "key": "region", "before": "us-east-1", "after": "eu-west-1"}
    ]
    assert conf.read_text().count("us-east-1") == 1  # judged, not written
    nofile = run(
        BARE, config_path=str(tmp_path / "none.conf"), config_settings={"settings": {"mount": {"region": "x"}}}
    )
    assert nofile["config_plan"]["exists"] is False and nofile["config_plan"]["changed"] is False

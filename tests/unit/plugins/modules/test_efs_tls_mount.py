# -*- coding: utf-8 -*-
"""efs_tls_mount end to end with fixture hosts: mountinfo, state files, relays and logs in a temp dir,
run_command faked so `mount` and `umount` change that temp host the way the real ones would."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args

from ansible_collections.aws_efs.transit.plugins.module_utils import _files
from ansible_collections.aws_efs.transit.plugins.module_utils import _mount_apply
from ansible_collections.aws_efs.transit.plugins.module_utils import _proof
from ansible_collections.aws_efs.transit.plugins.modules import efs_tls_mount as mod
from ansible_collections.aws_efs.transit.tests.unit.host_trees import materialise

FSTABS = Path(__file__).resolve().parents[2] / "fixtures" / "mount" / "fstab"
FOREIGN = (FSTABS / "hostile_no_trailing_newline.fstab").read_bytes()
OUR_LINE = b"fs-12345678:/ /mnt/efs efs _netdev,tls,stunnel 0 0\n"


class Host(object):
    """A fake client: roots for the proof readers, an fstab, and what mount/umount do."""

    def __init__(self, tmp_path, scenario, mounted=True, fstab=FOREIGN, version="3.2.0", efs_proxy=False):
        self.root = tmp_path / "host"
        materialise(scenario, self.root)
        (self.root / "efs").mkdir(exist_ok=True)
        if not mounted:
            self.unmount_path("/mnt/efs")
            shutil.rmtree(self.root / "efs")
            (self.root / "efs").mkdir()
        self.fstab = tmp_path / "etc" / "fstab"
        self.fstab.parent.mkdir()
        self.fstab.write_bytes(fstab)
        self.sbin = tmp_path / "sbin"
        self.sbin.mkdir()
        self.mount_efs = self.sbin / "mount.efs"
        self.mount_efs.write_text('#!/usr/bin/env python3\nVERSION = "%s"\n' % version if version else "#!/bin/sh\n")
        self.bins = {
            "mount.efs": str(self.mount_efs),
            "mount": "/bin/mount",
            "umount": "/bin/umount",
            "timeout": "/usr/bin/timeout",
            "efs-proxy": "/usr/bin/efs-proxy" if efs_proxy else None,
        }
        self.commands = []
        self.mount_result = ("v2_stunnel", 0, "", "")  # scenario to become, rc, out, err
        self.version_output = "/sbin/mount.efs Version: 3.2.0\n"
        self.created = []
        self.creates = False
        self.dpkg_status = tmp_path / "dpkg-status"
        self.config = tmp_path / "efs-utils.conf"

    def unmount_path(self, path):
        info = self.root / "proc" / "self" / "mountinfo"
        lines = info.read_text().splitlines(True)
        keep = [ln for ln in lines if ln.split(" ")[4] != path]
        info.write_text("".join(keep))

    def become(self, scenario):
        materialise(scenario, self.root, merge=True)

    def probe(self, path, timeout):
        """The fixture's paths have no real device: they answer with the device the mount tree reaches
        (the real probe is tested in test_proof.py)."""
        mounts = _proof.read_mountinfo(str(self.root / "proc"))
        reached = _proof.reached_mount(mounts, path[len(str(self.root / "root")) :])
        return {"dev": reached["dev"] if reached else None, "responding": True, "seconds": 0.0, "error": None}

    def run_command(self, cmd, **kwargs):
        self.commands.append(list(cmd))
        if cmd[-1] == "--version":
            return 0, self.version_output, ""
        if "-t" in cmd and "efs" in cmd:
            scenario, rc, out, err = self.mount_result
            if scenario:
                self.become(scenario)
            return rc, out, err
        if Path(cmd[0]).name == "umount":
            self.unmount_path(cmd[-1])
            return 0, "", ""
        raise AssertionError("unexpected command %r" % (cmd,))


@pytest.fixture
def run(monkeypatch, capsys):
    def _run(host, check_mode=False, diff=False, **params):
        monkeypatch.setattr(mod, "PROC_ROOT", str(host.root / "proc"))
        monkeypatch.setattr(mod, "STATE_DIR", str(host.root / "efs"))
        monkeypatch.setattr(mod, "LOG_DIR", str(host.root / "log"))
        monkeypatch.setattr(mod, "FS_ROOT", str(host.root / "root"))
        monkeypatch.setattr(_proof, "probe_path", host.probe)
        monkeypatch.setattr(mod, "DPKG_STATUS", str(host.dpkg_status))
        monkeypatch.setattr(mod, "CONFIG_FILE", str(host.config))
        monkeypatch.setattr(mod, "OS_RELEASE", str(host.root / "os-release"))
        monkeypatch.setattr(_mount_apply, "ensure_mount_point", lambda p: host.created.append(p) or host.creates)
        monkeypatch.setattr(basic.AnsibleModule, "run_command", lambda self, cmd, **kw: host.run_command(cmd, **kw))
        monkeypatch.setattr(
            basic.AnsibleModule, "get_bin_path", lambda self, name, required=False, opt_dirs=None: host.bins.get(name)
        )
        args = {
            "file_system_id": "fs-12345678",
            "path": "/mnt/efs",
            "fstab": str(host.fstab),
            "_ansible_check_mode": check_mode,
            "_ansible_diff": diff,
        }
        args.update(params)
        with patch_module_args(args):
            with pytest.raises(SystemExit):
                mod.main()
        return json.loads(capsys.readouterr().out)

    return _run


def mount_cmds(host):
    return [c for c in host.commands if "-t" in c]


# ---------------------------------------------------------------- idempotence


def test_compliant_host_is_ok_without_running_anything(tmp_path, run):
    host = Host(tmp_path, "v2_stunnel", fstab=FOREIGN + b"\nfs-12345678:/\t/mnt/efs\tefs\tstunnel,tls,_netdev\n")
    before = host.fstab.read_bytes()
    res = run(host)
    assert res["changed"] is False and not res.get("failed")
    assert host.commands == []  # no helper call, not even --version
    assert res["proof"]["tls"] is True and res["proof"]["compliant"] is True
    assert res["proof"]["fstab_line"] == "fs-12345678:/\t/mnt/efs\tefs\tstunnel,tls,_netdev"
    assert host.fstab.read_bytes() == before


def test_version_is_asked_once_when_the_files_do_not_say(tmp_path, run):
    host = Host(tmp_path, "v2_stunnel", version=None, fstab=OUR_LINE)
    res = run(host)
    assert host.commands == [[str(host.mount_efs), "--version"]]
    assert res["changed"] is False and res["helper_version"] == "3.2.0"


DPKG = (
    b"Package: stunnel4\nStatus: install ok installed\nVersion: 3:5.68-2\n\n"
    b"Package: amazon-efs-utils\nStatus: install ok installed\nArchitecture: all\nVersion: 3.2.0~standin1\n\n"
)


def test_version_from_dpkg_status_avoids_running_the_helper(tmp_path, run):
    host = Host(tmp_path, "v2_stunnel", version=None, fstab=OUR_LINE)
    host.dpkg_status.write_bytes(DPKG)
    res = run(host)
    assert host.commands == [] and res["helper_version"] == "3.2.0~standin1" and res["changed"] is False


def test_efs_proxy_installed_needs_no_version_and_no_stunnel_option(tmp_path, run):
    host = Host(
        tmp_path, "efs_proxy_tls", version=None, efs_proxy=True, fstab=b"fs-12345678:/ /mnt/efs efs _netdev,tls 0 0\n"
    )
    res = run(host)
    assert host.commands == [] and res["changed"] is False and res["expected_relay"] == "efs-proxy"


# ---------------------------------------------------------------- mounting


def test_mount_writes_fstab_mounts_and_proves(tmp_path, run):
    host = Host(tmp_path, "v2_stunnel", mounted=False)
    res = run(host, diff=True, region="us-east-1")
    assert not res.get("failed"), res
    assert res["changed"] and res["fstab_changed"] and res["mount_changed"]
    assert mount_cmds(host) == [
        [
            "/usr/bin/timeout",
            "--kill-after=10",
            "300",
            "/bin/mount",
            "-t",
            "efs",
            "-o",
            "tls,region=us-east-1,stunnel",
            "fs-12345678:/",
            "/mnt/efs",
        ]
    ]
    assert (
        host.fstab.read_bytes() == FOREIGN + b"\nfs-12345678:/ /mnt/efs efs _netdev,tls,region=us-east-1,stunnel 0 0\n"
    )
    assert res["proof"]["tls"] is True and res["proof"]["compliant"] is True
    assert res["diff"]["before"] == _files.decode(FOREIGN)
    assert res["actions"][0] == "write fstab line" and res["actions"][1].startswith("mount fs-12345678:/ at /mnt/efs")
    assert host.created == ["/mnt/efs"]


def test_missing_mount_point_is_created_before_mounting(tmp_path, run):
    host = Host(tmp_path, "v2_stunnel", mounted=False)
    host.creates = True
    res = run(host)
    assert res["actions"] == [
        "write fstab line",
        "create directory /mnt/efs",
        "mount fs-12345678:/ at /mnt/efs over TLS",
    ]


def test_v1_helper_gets_no_stunnel_option(tmp_path, run):
    host = Host(tmp_path, "v1_stunnel", mounted=False, version="1.36.0", fstab=b"")
    host.mount_result = ("v1_stunnel", 0, "", "")
    res = run(host, mount_timeout=0)
    assert mount_cmds(host) == [["/bin/mount", "-t", "efs", "-o", "tls", "fs-12345678:/", "/mnt/efs"]]
    assert host.fstab.read_bytes() == b"fs-12345678:/ /mnt/efs efs _netdev,tls 0 0\n"
    assert res["proof"]["relay"] == "stunnel" and res["proof"]["tls"] is True


def test_v1_helper_refuses_efs_proxy_and_region(tmp_path, run):
    host = Host(tmp_path, "v1_stunnel", mounted=False, version="1.36.0", fstab=b"")
    res = run(host, relay="efs-proxy")
    assert res["failed"] and "2.0 or later" in res["msg"]
    res = run(host, region="us-east-1")
    assert res["failed"] and "region" in res["msg"]
    assert host.commands == [] and host.fstab.read_bytes() == b""


# ---------------------------------------------------------------- where main's duplicates disagreed


def test_package_version_with_an_epoch_is_not_taken_for_1x(tmp_path, run):
    # The role passes the package version as dpkg/rpm say it. main parsed "1:3.2.0-1" as (1,):
    # it left out the stunnel option and refused region as unknown to a 1.x helper.
    host = Host(tmp_path, "v2_stunnel", mounted=False, version=None)
    res = run(host, region="us-east-1", helper_version="1:3.2.0-1")
    assert not res.get("failed"), res
    assert (
        host.fstab.read_bytes() == FOREIGN + b"\nfs-12345678:/ /mnt/efs efs _netdev,tls,region=us-east-1,stunnel 0 0\n"
    )
    assert res["expected_relay"] == "stunnel" and res["helper_version"] == "1:3.2.0-1"


@pytest.mark.parametrize("how", ["option", "config"])
def test_ocsp_means_the_helper_uses_stunnel(tmp_path, run, how):
    # mount.efs switches to stunnel when OCSP is on, efs-proxy or not; main said efs-proxy here.
    host = Host(tmp_path, "efs_proxy_tls", efs_proxy=True, fstab=b"")
    params = {"options": ["ocsp"]} if how == "option" else {}
    if how == "config":
        host.config.write_text("[mount]\nstunnel_check_cert_validity = true\n")
    res = run(host, state="present", **params)
    assert res["expected_relay"] == "stunnel"
    # ...and relay=efs-proxy cannot be honoured then.
    res = run(host, state="present", relay="efs-proxy", **params)
    assert res["failed"] and "OCSP" in res["msg"]


def test_aws_profile_is_a_deprecated_alias(tmp_path, run):
    host = Host(tmp_path, "v2_stunnel", mounted=False, fstab=b"")
    res = run(host, state="present", iam=True, aws_profile="app")
    assert b"iam,awsprofile=app" in host.fstab.read_bytes()
    # Ansible reports each deprecation once per process, so check the argspec rather than the result.
    spec = mod.ARGUMENT_SPEC["efs_utils_aws_profile"]
    assert spec["aliases"] == ["aws_profile"]
    assert spec["deprecated_aliases"] == [dict(name="aws_profile", version="2.0.0", collection_name="aws_efs.transit")]
    res = run(host, state="present", iam=True, efs_utils_aws_profile="app")
    assert res["changed"] is False


def test_helper_exit_0_without_mounting_fails_and_restores_fstab(tmp_path, run):
    host = Host(tmp_path, "v2_stunnel", mounted=False)
    host.mount_result = (None, 0, "/mnt/efs is already mounted, please run 'mount' command to verify\n", "")
    res = run(host)
    assert res["failed"] and "exited 0 but /mnt/efs is not mounted" in res["msg"]
    assert "fstab restored" in res["msg"]
    assert host.fstab.read_bytes() == FOREIGN


def test_failed_mount_returns_stderr_and_log_tail_and_restores_fstab(tmp_path, run):
    original = b"fs-12345678:/ /mnt/efs nfs4 defaults 0 0\n" + FOREIGN
    host = Host(tmp_path, "v2_stunnel", mounted=False, fstab=original)
    host.mount_result = (None, 1, "", "Failed to locate efs-proxy in /usr/bin")
    res = run(host)
    assert res["failed"] and "Failed to locate efs-proxy" in res["msg"]
    assert any("Successfully mounted" in ln for ln in res["mount_log_tail"])
    assert host.fstab.read_bytes() == original
    assert res["proof"]["compliant"] is False


def test_timeout_is_reported(tmp_path, run):
    host = Host(tmp_path, "v2_stunnel", mounted=False)
    host.mount_result = (None, 124, "", "")
    res = run(host, mount_timeout=5)
    assert res["failed"] and "mount_timeout=5" in res["msg"]
    assert mount_cmds(host)[0][:3] == ["/usr/bin/timeout", "--kill-after=10", "5"]


def test_mount_without_tls_proof_fails_with_the_proof(tmp_path, run):
    host = Host(tmp_path, "v2_stunnel", mounted=False)
    host.mount_result = ("verify_0", 0, "", "")
    res = run(host)
    assert res["failed"] and "TLS could not be proven" in res["msg"]
    assert {e["check"] for e in res["proof"]["evidence"] if not e["ok"]} == {"verify", "ca_file"}


def test_missing_helper_fails_before_touching_fstab(tmp_path, run):
    host = Host(tmp_path, "v2_stunnel", mounted=False, efs_proxy=True)
    host.bins["mount.efs"] = None
    res = run(host)
    assert res["failed"] and "not installed" in res["msg"]
    assert host.fstab.read_bytes() == FOREIGN and host.commands == []


# ---------------------------------------------------------------- non-TLS mounts at the path


@pytest.mark.parametrize("scenario", ["plain_nfs", "efs_proxy_plain", "loopback_no_state", "dead_pid"])
def test_non_tls_mount_without_remediate_fails_touching_nothing(tmp_path, run, scenario):
    host = Host(tmp_path, scenario)
    res = run(host)
    assert res["failed"] and "remediate=true" in res["msg"]
    assert host.commands == [] and host.fstab.read_bytes() == FOREIGN
    assert res["proof"]["tls"] is False and res["proof"]["reasons"]


def test_remediate_moves_plain_nfs_onto_tls(tmp_path, run):
    host = Host(tmp_path, "plain_nfs")
    res = run(host, remediate=True)
    assert not res.get("failed"), res
    assert [Path(c[0]).name for c in host.commands] == ["umount", "timeout"]
    assert res["proof"]["tls"] is True and res["changed"] is True
    assert res["actions"][1] == "unmount /mnt/efs (not a proven TLS mount)"


def test_remediate_in_check_mode_only_predicts(tmp_path, run):
    host = Host(tmp_path, "plain_nfs")
    res = run(host, remediate=True, check_mode=True)
    assert res["changed"] is True and host.commands == [] and host.fstab.read_bytes() == FOREIGN
    assert res["actions"] == [
        "write fstab line",
        "unmount /mnt/efs (not a proven TLS mount)",
        "mount fs-12345678:/ at /mnt/efs over TLS",
    ]
    assert res["proof"]["compliant"] is False


def test_access_point_drift_needs_remediate(tmp_path, run):
    host = Host(tmp_path, "v2_stunnel", fstab=b"")
    res = run(host, access_point="fsap-0123456789abcdef0")
    assert res["failed"] and "access point" in res["msg"] and host.commands == []


def test_non_nfs_mount_is_never_unmounted(tmp_path, run):
    host = Host(tmp_path, "v2_stunnel")
    info = host.root / "proc" / "self" / "mountinfo"
    info.write_text(info.read_text() + "70 22 8:3 / /data rw - xfs /dev/vdc rw\n")
    for state, extra in (("unmounted", {}), ("absent", {}), ("mounted", {"remediate": True})):
        res = run(host, path="/data", state=state, **extra)
        assert res["failed"] and "xfs" in res["msg"] and "never unmounted" in res["msg"]
    assert not [c for c in host.commands if Path(c[0]).name == "umount"]


# ---------------------------------------------------------------- check and diff mode


def test_check_mode_predicts_without_writing_or_mounting(tmp_path, run):
    host = Host(tmp_path, "v2_stunnel", mounted=False)
    res = run(host, check_mode=True, diff=True)
    assert res["changed"] and res["fstab_changed"] and res["mount_changed"]
    assert host.commands == [] and host.fstab.read_bytes() == FOREIGN
    assert res["diff"]["after"].endswith("fs-12345678:/ /mnt/efs efs _netdev,tls,stunnel 0 0\n")
    assert not (host.fstab.parent / ".fstab.efs.lock").exists()


def test_present_only_writes_fstab(tmp_path, run):
    host = Host(tmp_path, "v2_stunnel", mounted=False, fstab=b"")
    res = run(host, state="present", boot=False, nofail=True, iam=True, aws_profile="app", options="noac,actimeo=30")
    assert host.commands == []
    assert (
        host.fstab.read_bytes()
        == b"fs-12345678:/ /mnt/efs efs _netdev,tls,iam,awsprofile=app,stunnel,noauto,nofail,noac,actimeo=30 0 0\n"
    )
    assert res["proof"]["compliant"] is True and res["mount_changed"] is False
    again = run(
        host, state="present", boot=False, nofail=True, iam=True, aws_profile="app", options=["actimeo=30", "noac"]
    )
    assert again["changed"] is False


def test_backup(tmp_path, run):
    host = Host(tmp_path, "v2_stunnel", fstab=b"a /a ext4 defaults 0 0\n")
    res = run(host, state="present", backup=True)
    assert Path(res["backup_file"]).read_bytes() == b"a /a ext4 defaults 0 0\n"


# ---------------------------------------------------------------- audit, unmount, absent


def test_audit_reports_without_failing_or_changing(tmp_path, run):
    host = Host(tmp_path, "verify_0", fstab=b"")
    res = run(host, state="audited")
    assert not res.get("failed") and res["changed"] is False and host.commands == []
    assert res["proof"]["compliant"] is False
    assert any(r.startswith("verify:") for r in res["proof"]["reasons"])
    assert any(r.startswith("fstab:") for r in res["proof"]["reasons"])
    assert host.fstab.read_bytes() == b""


def test_audit_without_helper_reports_instead_of_failing(tmp_path, run):
    host = Host(tmp_path, "v2_stunnel", fstab=OUR_LINE)
    host.bins["mount.efs"] = None
    res = run(host, state="audited")
    assert not res.get("failed") and res["proof"]["tls"] is True
    assert res["proof"]["compliant"] is False
    assert res["proof"]["reasons"][0].startswith(
        "fstab: cannot tell the expected line: amazon-efs-utils is not installed"
    )
    failed = run(host, state="present")
    assert failed["failed"] and "helper_version" in failed["msg"] and host.fstab.read_bytes() == OUR_LINE
    ok = run(host, state="present", helper_version="3.2.0")
    assert ok["changed"] is False and host.commands == []


def test_audit_of_a_compliant_host(tmp_path, run):
    host = Host(tmp_path, "efs_proxy_tls", efs_proxy=True, fstab=b"fs-12345678 /mnt/efs efs tls,_netdev 0 0\n")
    res = run(host, state="audited")
    assert res["proof"]["compliant"] is True and res["proof"]["reasons"] == []
    assert res["proof"]["supporting_evidence"]["file"].endswith("mount.log.1")


def test_absent_unmounts_removes_line_and_reports_the_lingering_relay(tmp_path, run):
    host = Host(tmp_path, "v2_stunnel", fstab=FOREIGN + b"\n" + OUR_LINE)
    res = run(host, state="absent")
    assert not res.get("failed"), res
    assert [Path(c[0]).name for c in host.commands] == ["umount"]
    assert host.fstab.read_bytes() == FOREIGN + b"\n"
    assert res["lingering_relay"] == {"pid": 435, "state_file": "fs-12345678.mnt.efs.20529", "relay": "stunnel"}
    assert "amazon-efs-mount-watchdog" in json.dumps(res["warnings"])
    assert res["proof"]["mounted"] is False and res["proof"]["compliant"] is True
    again = run(host, state="absent")
    assert again["changed"] is False


def test_unmounted_keeps_fstab_and_uses_lazy_when_asked(tmp_path, run):
    host = Host(tmp_path, "v2_stunnel", fstab=OUR_LINE)
    res = run(host, state="unmounted", lazy_unmount=True)
    assert host.commands == [["/bin/umount", "-l", "/mnt/efs"]]
    assert host.fstab.read_bytes() == OUR_LINE and res["fstab_changed"] is False


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "params, message",
    [
        ({"path": "/mnt/efs\nfs-1 / ext4"}, "newline"),
        ({"path": "/mnt/my efs"}, "space"),
        ({"subpath": "/a,b"}, "comma"),
        ({"aws_profile": "x y", "iam": True}, "space"),
        ({"aws_profile": "app"}, "iam=true"),
        ({"region": "us-east-1#"}, "'#'"),
        ({"access_point": "fsap-123"}, "17"),
        ({"options": ["verify=0"]}, "verify=2"),
        ({"options": "notls"}, "turns TLS off"),
        ({"options": "noac,,ro"}, "empty item"),
        ({"file_system_id": "fs-12345678\n"}, "newline"),
        ({"mount_timeout": -1}, "mount_timeout"),
    ],
)
def test_bad_input_never_reaches_fstab(tmp_path, run, params, message):
    host = Host(tmp_path, "v2_stunnel", mounted=False)
    res = run(host, **params)
    assert res["failed"] and message in res["msg"]
    assert host.fstab.read_bytes() == FOREIGN and host.commands == []


def test_unreadable_mount_table_fails_cleanly(tmp_path, run):
    host = Host(tmp_path, "v2_stunnel", fstab=OUR_LINE)
    (host.root / "proc" / "self" / "mountinfo").unlink()
    res = run(host, state="audited")
    assert res["failed"] and "cannot read the mount table" in res["msg"]

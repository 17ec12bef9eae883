# -*- coding: utf-8 -*-
"""efs_tls_mount end to end with fixture hosts: mountinfo, state files, relays and logs in a temp dir,
run_command faked so `mount` and `umount` change that temp host the way the real ones would."""

from __future__ import annotations

import json
import os
import stat
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
        self.removed = []
        self.killed = []
        self.dpkg_status = tmp_path / "dpkg-status"
        self.config = tmp_path / "efs-utils.conf"

    def unmount_path(self, path):
        info = self.root / "proc" / "self" / "mountinfo"
        lines = info.read_text().splitlines(True)
        keep = [ln for ln in lines if ln.split(" ")[4] != path]
        info.write_text("".join(keep))

    def umount_top(self, path):
        """umount takes the top of the stack at the path only (what the kernel does)."""
        info = self.root / "proc" / "self" / "mountinfo"
        mounts = _proof.read_mountinfo(str(self.root / "proc"))
        here = _proof.mounts_at(mounts, path)
        if not here:
            return 32, "", "umount: %s: not mounted.\n" % path
        top = _proof.stack_top(here)["mount_id"]
        lines = info.read_text().splitlines(True)
        info.write_text("".join(ln for ln in lines if ln.split(" ")[0] != top))
        return 0, "", ""

    def add_mounts(self, text):
        info = self.root / "proc" / "self" / "mountinfo"
        info.write_text(info.read_text() + text)

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
            if callable(scenario):
                scenario(self)
            elif scenario:
                self.become(scenario)
            return rc, out, err
        if Path(cmd[0]).name == "umount":
            return self.umount_top(cmd[-1])
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
        monkeypatch.setattr(
            _mount_apply, "remove_mount_point", lambda p: host.removed.append(p) or "removed directory " + p
        )
        monkeypatch.setattr(_mount_apply, "kill_relay", lambda pid, sig: host.killed.append(pid))
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


def test_symlinked_fstab_keeps_its_link(tmp_path, run):
    """/etc/fstab as a link (image builders, config management): the line goes into its target with
    the real AnsibleModule.atomic_move, the link stays, and the rollback goes there too."""
    host = Host(tmp_path, "v2_stunnel", mounted=False)
    real = tmp_path / "etc" / "fstab.real"
    host.fstab.rename(real)
    os.chmod(real, 0o640)
    host.fstab.symlink_to("fstab.real")
    res = run(host)
    assert not res.get("failed"), res
    assert host.fstab.is_symlink() and os.readlink(host.fstab) == "fstab.real"
    assert real.read_bytes() == FOREIGN + b"\n" + OUR_LINE and stat.S_IMODE(real.stat().st_mode) == 0o640
    host.unmount_path("/mnt/efs")
    host.mount_result = (None, 1, "", "mount.nfs4: access denied")
    real.write_bytes(FOREIGN)
    failed = run(host)
    assert failed["failed"] and "fstab restored" in failed["msg"]
    assert host.fstab.is_symlink() and real.read_bytes() == FOREIGN


# ---------------------------------------------------------------- issue 11 case 8: absent/unmounted touch only their own mount

OTHER_FS_PLAIN = (
    "%s %s 0:80 / /mnt/efs rw,relatime shared:80 - nfs4 fs-87654321.efs.us-east-1.amazonaws.com:/ "
    "rw,vers=4.1,hard,proto=tcp,port=2049,timeo=600,retrans=2,sec=sys,clientaddr=10.0.0.5,addr=10.0.0.9\n"
)


def umounts(host):
    return [c for c in host.commands if Path(c[0]).name == "umount"]


@pytest.mark.parametrize("state", ["absent", "unmounted"])
def test_absent_for_another_fs_never_unmounts_the_tls_mount_at_the_path(tmp_path, run, state):
    """The path hosts a proven TLS mount of fs-12345678; state=absent/unmounted for fs-87654321 leaves it."""
    fstab = FOREIGN + b"\nfs-87654321:/ /mnt/efs efs _netdev,tls 0 0\n"
    host = Host(tmp_path, "v2_stunnel", fstab=fstab)
    res = run(host, file_system_id="fs-87654321", state=state)
    assert res["failed"] and "holds a mount of fs-12345678, not fs-87654321" in res["msg"]
    assert "nothing was changed" in res["msg"] and res["changed"] is False
    assert umounts(host) == [] and host.fstab.read_bytes() == fstab


def test_a_mount_of_another_fs_stacked_on_ours_is_not_unmounted(tmp_path, run):
    host = Host(tmp_path, "v2_stunnel", fstab=OUR_LINE)
    host.add_mounts(OTHER_FS_PLAIN % (80, 60))
    res = run(host, state="absent")
    assert res["failed"] and "holds a mount of fs-87654321, not fs-12345678" in res["msg"]
    assert umounts(host) == [] and host.fstab.read_bytes() == OUR_LINE


def test_unmounting_ours_stops_at_another_fs_below_it(tmp_path, run):
    """Ours on top of a mount of another file system: one umount, and the one below stays."""
    host = Host(tmp_path, "v2_stunnel", fstab=OUR_LINE)
    info = host.root / "proc" / "self" / "mountinfo"
    # fs-87654321 mounted first (id 59), ours (id 60) on top of it.
    info.write_text(info.read_text().replace("60 22 0:70", "60 59 0:70") + OTHER_FS_PLAIN % (59, 22))
    res = run(host, state="absent")
    assert not res.get("failed"), res
    assert len(umounts(host)) == 1
    assert "fs-87654321" in _proof.read_mountinfo(str(host.root / "proc"))[-1]["source"]
    assert "still holds a mount of fs-87654321 after fs-12345678 was unmounted; it is left alone" in json.dumps(
        res["warnings"]
    )
    assert host.fstab.read_bytes() == b""


def test_a_mount_that_names_no_file_system_is_not_unmounted(tmp_path, run):
    host = Host(tmp_path, "loopback_no_state", fstab=OUR_LINE)
    res = run(host, state="absent")
    assert res["failed"] and "names no file system" in res["msg"] and umounts(host) == []
    assert host.fstab.read_bytes() == OUR_LINE


def test_a_mount_with_mounts_inside_it_is_not_unmounted(tmp_path, run):
    host = Host(tmp_path, "v2_stunnel", fstab=OUR_LINE)
    host.add_mounts("71 60 8:5 / /mnt/efs/scratch rw,relatime - ext4 /dev/vdd rw\n")
    res = run(host, state="absent", lazy_unmount=True)
    assert res["failed"] and "carries other mounts inside it (/mnt/efs/scratch)" in res["msg"]
    assert umounts(host) == [] and host.fstab.read_bytes() == OUR_LINE


def test_the_carrier_of_a_shared_nfs_client_is_refused_until_its_riders_are_gone(tmp_path, run):
    """/mnt/b rides on /mnt/a's NFSv4.1 client and relay (port 20100). Removing /mnt/a first would
    let the watchdog stop that relay and hang /mnt/b; removing /mnt/b first is fine, and its
    lingering relay is its own (pid 502), not the carrier's (pid 501) that keeps serving /mnt/a."""
    lines = b"fs-12345678:/ /mnt/a efs _netdev,tls 0 0\nfs-12345678:/ /mnt/b efs _netdev,tls 0 0\n"
    host = Host(tmp_path, "shared_client", fstab=lines)
    refused = run(host, path="/mnt/a", state="absent")
    assert refused["failed"] and "/mnt/a carries the NFS traffic of /mnt/b" in refused["msg"]
    assert "port 20100" in refused["msg"] and "Unmount or remove /mnt/b first" in refused["msg"]
    assert umounts(host) == [] and host.fstab.read_bytes() == lines
    rider = run(host, path="/mnt/b", state="absent")
    assert not rider.get("failed"), rider
    assert rider["lingering_relay"] == {"pid": 502, "state_file": "fs-12345678.mnt.b.20200", "relay": "stunnel"}
    carrier = run(host, path="/mnt/a", state="absent")
    assert not carrier.get("failed"), carrier
    assert carrier["lingering_relay"] == {"pid": 501, "state_file": "fs-12345678.mnt.a.20100", "relay": "stunnel"}
    assert host.fstab.read_bytes() == b""


def test_a_relay_that_is_gone_after_the_unmount_is_not_reported_lingering(tmp_path, run):
    host = Host(tmp_path, "v2_stunnel", fstab=OUR_LINE)

    plain_umount = host.umount_top

    def umount_and_the_relay_exits(path):
        shutil.rmtree(host.root / "proc" / "435")
        return plain_umount(path)

    host.umount_top = umount_and_the_relay_exits
    res = run(host, state="unmounted")
    assert not res.get("failed"), res
    assert "lingering_relay" not in res, res


# ---------------------------------------------------------------- issue 11 case 9: a failed mount takes back what it left

ATTEMPT = "fs-12345678.mnt.efs.20777"
STUNNEL_UNTRUSTED = (
    "2026.12.01 23:56:06 LOG5[0]: s_connect: connected 10.0.0.9:2049\n"
    "2026.12.01 23:56:06 LOG4[0]: CERT: Pre-verification error: self-signed certificate\n"
    "2026.12.01 23:56:06 LOG4[0]: Rejected by CERT at depth=0: CN=fs-12345678.efs.us-east-1.amazonaws.com\n"
    "2026.12.01 23:56:06 LOG3[0]: SSL_connect: ssl/statem/statem_clnt.c:1889: certificate verify failed\n"
)
EFS_PROXY_WRONG_NAME = (
    "2026-12-01T23:56:10.100Z 4242 WARN efs_proxy Failed to establish an initial connection to EFS. Error: "
    "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: Hostname mismatch, certificate is not valid for "
    "'fs-12345678.efs.us-east-1.amazonaws.com'. (_ssl.c:992)\n"
)


def killed_helper(relay="stunnel", log=None, output=True, pid=4242, pid_file=False):
    """What a helper stopped by mount_timeout leaves: a `~` state file (pid -1 until the relay started),
    the tunnel config, the `+` directory and a relay (root's, in its own session) that keeps running."""

    def leave(host):
        efs, proc = host.root / "efs", host.root / "proc"
        binary = "/usr/bin/stunnel" if relay == "stunnel" else "/usr/sbin/efs-proxy"
        config = "/var/run/efs/stunnel-config." + ATTEMPT
        cmd = [binary, config] + (["--tls"] if relay == "efs-proxy" else [])
        (efs / ("~" + ATTEMPT)).write_text(json.dumps({"pid": -1 if pid_file else pid, "cmd": cmd}))
        log_file = host.root / "log" / ("%s.%s.log" % (ATTEMPT, relay))
        text = "pid = /var/run/efs/%s+/stunnel.pid\n" % ATTEMPT
        if output:
            text += "output = %s\n" % log_file
        text += (
            "[efs]\nclient = yes\naccept = 127.0.0.1:20777\nconnect = fs-12345678.efs.us-east-1.amazonaws.com:2049\n"
        )
        text += (
            "verify = 2\nCAfile = /etc/amazon/efs/efs-utils.crt\ncheckHost = fs-12345678.efs.us-east-1.amazonaws.com\n"
        )
        (efs / ("stunnel-config." + ATTEMPT)).write_text(text)
        (efs / (ATTEMPT + "+")).mkdir()
        (efs / (ATTEMPT + "+") / "certificate.pem").write_text("x")
        if pid_file:
            (efs / (ATTEMPT + "+") / "stunnel.pid").write_text("%d\n" % pid)
        if log:
            log_file.write_text(log)
        p = proc / str(pid)
        (p / "fd").mkdir(parents=True)
        (p / "cmdline").write_bytes(b"\0".join(a.encode() for a in cmd) + b"\0")
        (p / "status").write_text("Name:\tstunnel4\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n")
        os.symlink(binary + ("4" if relay == "stunnel" else ""), p / "exe")

    return leave


def test_a_timed_out_mount_cleans_its_own_leftovers_and_reports_nothing_changed(tmp_path, run):
    host = Host(tmp_path, "v2_stunnel", mounted=False)
    efs = host.root / "efs"
    # An earlier attempt's '~' file (not this run's) and another mount's live relay stay.
    (efs / "~fs-12345678.mnt.efs.20999").write_text(json.dumps({"pid": 435, "cmd": ["/usr/bin/stunnel", "x"]}))
    host.mount_result = (killed_helper(log=STUNNEL_UNTRUSTED), 124, "", "")
    res = run(host, mount_timeout=30)
    assert res["failed"] and res["msg"].startswith("mount failed: the helper did not finish within mount_timeout=30 s")
    assert "certificate not trusted (CA bundle /etc/amazon/efs/efs-utils.crt): self-signed certificate" in res["msg"]
    assert "CERT: Pre-verification error: self-signed certificate" in res["msg"]
    assert res["relay_failure"]["file"].endswith(ATTEMPT + ".stunnel.log")
    assert "fstab restored" in res["msg"] and "stopped stunnel pid 4242" in res["msg"]
    assert res["cleaned_leftovers"] == [
        "stopped stunnel pid 4242",
        "removed ~" + ATTEMPT,
        "removed stunnel-config." + ATTEMPT,
        "removed %s+" % ATTEMPT,
    ]
    assert host.killed == [4242]
    assert sorted(p.name for p in efs.iterdir() if "20777" in p.name) == []
    assert (efs / "~fs-12345678.mnt.efs.20999").exists()
    # Everything it did was taken back: nothing changed, and it says so.
    assert res["changed"] is False and res["fstab_changed"] is False and res["mount_changed"] is False
    assert res["msg"].endswith("nothing on the host was changed")
    assert host.fstab.read_bytes() == FOREIGN


def test_a_refused_host_name_is_quoted_from_the_efs_proxy_log(tmp_path, run):
    host = Host(tmp_path, "v2_stunnel", mounted=False, efs_proxy=True)
    host.mount_result = (killed_helper("efs-proxy", log=EFS_PROXY_WRONG_NAME, pid_file=True), 124, "", "")
    res = run(host, mount_timeout=30)
    assert "host name does not match (checkHost fs-12345678.efs.us-east-1.amazonaws.com)" in res["msg"]
    assert "Hostname mismatch" in res["relay_failure"]["line"]
    # The state file still said pid -1: the relay was found through its pid file, and stopped.
    assert host.killed == [4242] and "stopped efs-proxy pid 4242" in res["msg"]


def test_a_relay_without_a_log_gives_a_hint(tmp_path, run):
    host = Host(tmp_path, "v2_stunnel", mounted=False)
    host.mount_result = (killed_helper(output=False), 124, "", "")
    res = run(host, mount_timeout=30)
    assert "stunnel_debug_enabled" in res["msg"] and "check the CA bundle /etc/amazon/efs/efs-utils.crt" in res["msg"]
    assert "relay_failure" not in res


def test_the_leftover_relay_is_only_stopped_when_it_is_that_relay(tmp_path, run):
    """pid 435 is the relay of another mount (its cmdline names another config): never killed."""
    host = Host(tmp_path, "v2_stunnel", mounted=False)

    def leave(h):
        (h.root / "efs" / ("~" + ATTEMPT)).write_text(
            json.dumps({"pid": 435, "cmd": ["/usr/bin/stunnel", "/var/run/efs/stunnel-config." + ATTEMPT]})
        )

    host.mount_result = (leave, 124, "", "")
    res = run(host, mount_timeout=30)
    assert host.killed == [] and res["cleaned_leftovers"] == ["removed ~" + ATTEMPT]


def test_a_rolled_back_mount_removes_the_directory_it_created(tmp_path, run):
    host = Host(tmp_path, "v2_stunnel", mounted=False)
    host.creates = True
    host.mount_result = (None, 32, "", "mount.nfs4: Connection refused")
    res = run(host)
    assert res["failed"] and "fstab restored; removed directory /mnt/efs" in res["msg"]
    assert host.removed == ["/mnt/efs"] and res["changed"] is False


def test_a_failed_remount_after_an_unmount_is_a_change(tmp_path, run):
    host = Host(tmp_path, "plain_nfs")
    host.mount_result = (None, 32, "", "mount.nfs4: Connection refused")
    res = run(host, remediate=True)
    assert res["failed"] and "fstab restored" in res["msg"]
    assert res["changed"] is True and res["mount_changed"] is True and res["fstab_changed"] is False
    assert "nothing on the host was changed" not in res["msg"]

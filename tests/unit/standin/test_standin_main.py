"""mount.efs end to end on the host, with mount.nfs4 (and DNS) replaced: exit codes, messages, files, logs."""

from __future__ import annotations

import json
import os
import shutil
import signal

import pytest

from efs_standin import common, mount

DIST_CONF = os.path.join(os.path.dirname(__file__), "..", "..", "standin", "dist", "efs-utils.conf")
NAME = "fs-12345678.efs.us-east-1.amazonaws.com"


@pytest.fixture
def helper(sandbox_paths, monkeypatch):
    """main() with the shipped config, paths under tmp, no systemd, no DNS, mount.nfs4 recorded."""
    monkeypatch.setattr(common, "CONFIG_FILE", os.path.abspath(DIST_CONF))
    monkeypatch.setattr(mount, "init_system", lambda: "unknown")
    monkeypatch.setattr(mount, "resolve_target", lambda config, fs_id, options: (NAME, None))
    monkeypatch.setattr(mount.os, "geteuid", lambda: 0)
    calls = []

    def fake_mount(config, options, command, name, mountpoint):
        calls.append(command)
        if os.environ.get("STANDIN_TEST_MOUNT_RC"):
            raise mount.Error(
                "mount.nfs4: Connection reset by peer", exit_code=int(os.environ["STANDIN_TEST_MOUNT_RC"])
            )

    monkeypatch.setattr(mount, "run_mount_nfs", fake_mount)
    ca = sandbox_paths / "ca.pem"
    if shutil.which("openssl"):
        # stunnel refuses a CAfile without certificates, and then the helper ends the process
        mount.subprocess.run(
            [
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-keyout",
                str(sandbox_paths / "ca.key"),
                "-out",
                str(ca),
                "-subj",
                "/CN=test-ca",
                "-days",
                "1",
            ],
            check=True,
            capture_output=True,
        )
    else:
        ca.write_text("test ca")
    mnt = sandbox_paths / "mnt" / "efs"
    mnt.mkdir(parents=True)
    yield {"calls": calls, "ca": str(ca), "mnt": str(mnt), "root": sandbox_paths}
    for name in os.listdir(common.STATE_FILE_DIR):
        path = os.path.join(common.STATE_FILE_DIR, name)
        if name.startswith("fs-") and os.path.isfile(path):
            with open(path, encoding="utf-8") as handle:
                pid = json.load(handle).get("pid")
            if pid and pid > 0 and "stunnel" in common.process_cmdline(pid):
                os.killpg(os.getpgid(pid), signal.SIGTERM)
    # drop this test's log handler so later tests do not write into a deleted directory
    for handler in list(mount.logging.getLogger().handlers):
        if getattr(handler, "baseFilename", "").startswith(str(sandbox_paths)):
            mount.logging.getLogger().removeHandler(handler)
            handler.close()


def log_text():
    with open(os.path.join(common.LOG_DIR, "mount.log"), encoding="utf-8") as handle:
        return handle.read()


def test_rejection_exits_1_and_logs(helper, capsys):
    rc = mount.main(["mount.efs", "fs-12345678", helper["mnt"], "-o", "iam"])
    assert rc == 1
    assert capsys.readouterr().err == 'The "tls" option is required when mounting via "iam"\n'
    assert ' - ERROR - The "tls" option is required when mounting via "iam"' in log_text()
    assert not helper["calls"]


def test_without_stunnel_option_efs_proxy_is_missing(helper, capsys, monkeypatch):
    monkeypatch.setattr(mount, "SEARCH_PATH", "/nonexistent")
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    if shutil.which("efs-proxy"):
        pytest.skip("this host has an efs-proxy")
    rc = mount.main(["mount.efs", "fs-12345678", helper["mnt"], "-o", "region=us-east-1"])
    err = capsys.readouterr().err
    assert rc == 1
    assert "Failed to locate efs-proxy in" in err
    assert "The efs-proxy binary is packaged with efs-utils." in err
    assert not helper["calls"]
    assert not [n for n in os.listdir(common.STATE_FILE_DIR) if n.startswith(("fs-", "~fs-"))]


def test_non_tls_stunnel_mount_goes_straight_to_the_target(helper):
    assert mount.main(["mount.efs", "fs-12345678:/d", helper["mnt"], "-o", "stunnel,region=us-east-1"]) == 0
    assert helper["calls"] == [
        [
            "/sbin/mount.nfs4",
            NAME + ":/d",
            helper["mnt"],
            "-o",
            "nfsvers=4.1,rsize=1048576,wsize=1048576,hard,timeo=600,retrans=2,noresvport",
        ]
    ]
    assert os.listdir(common.STATE_FILE_DIR) == []
    assert "Successfully mounted %s at %s" % (NAME, helper["mnt"]) in log_text()


def test_already_mounted_exits_0_without_mounting(helper, capsys, monkeypatch):
    monkeypatch.setattr(mount, "is_nfs_mount", lambda path: True)
    assert (
        mount.main(
            ["mount.efs", "fs-12345678", helper["mnt"], "-o", "tls,stunnel,region=us-east-1,cafile=" + helper["ca"]]
        )
        == 0
    )
    assert "is already mounted, please run 'mount' command to verify" in capsys.readouterr().out
    assert "is already mounted, mount aborted" in log_text()
    assert not helper["calls"]


needs_tools = pytest.mark.usefixtures("real_tools")


def only_state_file():
    names = [n for n in os.listdir(common.STATE_FILE_DIR) if n.startswith(("fs-", "~fs-")) and not n.endswith("+")]
    assert len(names) == 1, names
    with open(os.path.join(common.STATE_FILE_DIR, names[0]), encoding="utf-8") as handle:
        return names[0], json.load(handle)


@needs_tools
def test_tls_stunnel_mount_writes_state_and_starts_the_relay(helper, preset_key):
    rc = mount.main(
        ["mount.efs", "fs-12345678", helper["mnt"], "-o", "tls,stunnel,region=us-east-1,cafile=" + helper["ca"]]
    )
    assert rc == 0
    name, state = only_state_file()
    port = int(name.rsplit(".", 1)[1])
    assert name == common.mount_filename("fs-12345678", helper["mnt"], port)
    assert 20049 <= port < 21049
    config_path = os.path.join(common.STATE_FILE_DIR, "stunnel-config." + name)
    assert state["cmd"] == [mount.stunnel_bin(), config_path]
    assert state["files"] == [config_path]
    assert "stunnel" in common.process_cmdline(state["pid"])
    assert state["mountStateDir"] == name + "+"
    assert state["certificate"] == os.path.join(common.STATE_FILE_DIR, name + "+", "certificate.pem")
    assert state["fsId"] == "fs-12345678" and state["region"] == "us-east-1"
    with open(config_path, encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    assert "accept = 127.0.0.1:%d" % port in lines and "checkHost = %s" % NAME in lines and "verify = 2" in lines
    (command,) = helper["calls"]
    assert command[:3] == ["/sbin/mount.nfs4", "127.0.0.1:/", helper["mnt"]]
    assert command[4].endswith(",port=%d" % port)
    log = log_text()
    assert 'Starting stunnel: "%s %s"' % (mount.stunnel_bin(), config_path) in log
    assert "Started stunnel, pid: %d" % state["pid"] in log


@needs_tools
def test_failed_mount_keeps_relay_and_state_like_the_real_helper(helper, preset_key, capsys, monkeypatch):
    monkeypatch.setenv("STANDIN_TEST_MOUNT_RC", "32")
    rc = mount.main(
        ["mount.efs", "fs-12345678", helper["mnt"], "-o", "tls,stunnel,region=us-east-1,cafile=" + helper["ca"]]
    )
    assert rc == 32
    assert "Connection reset by peer" in capsys.readouterr().err
    name, state = only_state_file()
    assert not name.startswith("~")
    assert "stunnel" in common.process_cmdline(state["pid"])

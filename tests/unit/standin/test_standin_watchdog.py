"""Watchdog: reading /proc/mounts and state files, restarting dead relays, retiring unmounted ones."""

from __future__ import annotations

import json
import os
import signal
import sys
import time

import pytest

from efs_standin import common, watchdog

MOUNTS = (
    "127.0.0.1:/ /mnt/efs nfs4 rw,vers=4.1,rsize=1048576,hard,proto=tcp,port=20529,timeo=600,addr=127.0.0.1 0 0\n"
    "127.0.0.1:/data /srv/x nfs4 rw,vers=4.1,proto=tcp,addr=127.0.0.1 0 0\n"
    "10.0.0.5:/ /mnt/plain nfs4 rw,vers=4.1,port=2049 0 0\n"
    "/dev/vda1 / ext4 rw 0 0\n"
)
# A stand-in relay: its argv names stunnel, so the watchdog treats it as one.
FAKE_RELAY = [sys.executable, "-c", "import time; time.sleep(60)", "stunnel"]


def exec_done(pid):
    """/proc/PID/cmdline is briefly empty right after a vfork+exec; wait until it shows the new argv."""
    for dummy in range(100):
        if "stunnel" in common.process_cmdline(pid):
            return True
        time.sleep(0.02)
    return False


def test_local_nfs_mounts_keys_and_filter():
    mounts = watchdog.local_nfs_mounts(MOUNTS)
    assert sorted(mounts) == ["mnt.efs.20529", "srv.x.2049"]
    assert mounts["mnt.efs.20529"][1] == "/mnt/efs"


def test_state_files_skip_temporaries_and_dirs(tmp_path):
    (tmp_path / "fs-1.mnt.efs.20529").write_text("{}")
    (tmp_path / "~fs-1.mnt.b.20530").write_text("{}")
    (tmp_path / "fs-1.mnt.efs.20529+").mkdir()
    (tmp_path / "stunnel-config.fs-1.mnt.efs.20529").write_text("")
    assert watchdog.state_files(str(tmp_path)) == {"mnt.efs.20529": "fs-1.mnt.efs.20529"}


def write_state(directory, name, **state):
    path = directory / name
    path.write_text(json.dumps(state))
    return path


def read_state(path):
    return json.loads(path.read_text())


@pytest.fixture
def mounts_file(tmp_path):
    path = tmp_path / "mounts"
    path.write_text(MOUNTS)
    return str(path)


@pytest.fixture
def children():
    procs = []
    yield procs
    for proc in procs:
        proc.kill()
        proc.wait()


def test_dead_relay_of_a_live_mount_is_restarted(shipped_config, tmp_path, mounts_file, children):
    state_dir = tmp_path / "run"
    state_dir.mkdir()
    path = write_state(
        state_dir,
        "fs-1.mnt.efs.20529",
        pid=999999999,
        cmd=FAKE_RELAY,
        files=[],
        mount_time=time.time() - 100,
        mountpoint="/mnt/efs",
        unmount_count=3,
    )
    watchdog.check_mounts(shipped_config, children, 30, 5, str(state_dir), mounts_file)
    state = read_state(path)
    assert len(children) == 1
    assert state["pid"] == children[0].pid
    assert state["unmount_count"] == 0
    assert exec_done(state["pid"])
    assert watchdog.tunnel_running(state["pid"], path.name, str(state_dir))
    # a second poll leaves a running relay alone
    watchdog.check_mounts(shipped_config, children, 30, 5, str(state_dir), mounts_file)
    assert len(children) == 1 and read_state(path)["pid"] == children[0].pid


def test_pid_file_mismatch_means_not_running(tmp_path, children):
    proc = watchdog.subprocess.Popen(FAKE_RELAY)
    children.append(proc)
    assert exec_done(proc.pid)
    (tmp_path / "fs-1.mnt.efs.20529+").mkdir()
    (tmp_path / "fs-1.mnt.efs.20529+" / "stunnel.pid").write_text("%d\n" % proc.pid)
    assert watchdog.tunnel_running(proc.pid, "fs-1.mnt.efs.20529", str(tmp_path))
    (tmp_path / "fs-1.mnt.efs.20529+" / "stunnel.pid").write_text("1\n")
    assert not watchdog.tunnel_running(proc.pid, "fs-1.mnt.efs.20529", str(tmp_path))
    assert not watchdog.tunnel_running(os.getpid(), "fs-2.x.1", str(tmp_path))  # pytest is not a relay


def test_unmounted_mount_is_counted_marked_then_retired(shipped_config, tmp_path, mounts_file, children):
    state_dir = tmp_path / "run"
    state_dir.mkdir()
    relay = watchdog.subprocess.Popen(FAKE_RELAY, start_new_session=True)
    children.append(relay)
    assert exec_done(relay.pid)
    config = state_dir / "stunnel-config.fs-1.mnt.gone.20600"
    config.write_text("x")
    (state_dir / "fs-1.mnt.gone.20600+").mkdir()
    path = write_state(
        state_dir,
        "fs-1.mnt.gone.20600",
        pid=relay.pid,
        cmd=FAKE_RELAY,
        files=[str(config)],
        mount_time=1000.0,
        mountpoint="/mnt/gone",
        mountStateDir="fs-1.mnt.gone.20600+",
    )
    now = 2000.0
    for expected in range(1, 7):
        watchdog.check_mounts(shipped_config, [], 30, 5, str(state_dir), mounts_file, now=now)
        assert read_state(path)["unmount_count"] == expected
    watchdog.check_mounts(shipped_config, [], 30, 5, str(state_dir), mounts_file, now=now)
    assert read_state(path)["unmount_time"] == now
    # inside the grace period nothing happens
    watchdog.check_mounts(shipped_config, [], 30, 5, str(state_dir), mounts_file, now=now + 29)
    assert path.exists() and relay.poll() is None
    watchdog.check_mounts(shipped_config, [], 30, 5, str(state_dir), mounts_file, now=now + 31)
    assert relay.wait(timeout=5) == -signal.SIGTERM
    # state goes once the relay has died (on the signalling pass or the next one)
    watchdog.check_mounts(shipped_config, [], 30, 5, str(state_dir), mounts_file, now=now + 32)
    assert not path.exists()
    assert not config.exists()
    assert not (state_dir / "fs-1.mnt.gone.20600+").exists()


def test_young_mount_is_not_counted(shipped_config, tmp_path, mounts_file):
    path = write_state(
        tmp_path, "fs-1.mnt.new.20601", pid=None, cmd=FAKE_RELAY, files=[], mount_time=1990.0, mountpoint="/mnt/new"
    )
    watchdog.check_mounts(shipped_config, [], 30, 5, str(tmp_path), mounts_file, now=2000.0)
    assert "unmount_count" not in read_state(path)


def test_forget_dead_pids(tmp_path):
    path = write_state(tmp_path, "fs-1.mnt.efs.20529", pid=os.getpid(), cmd=FAKE_RELAY)
    watchdog.forget_dead_pids(str(tmp_path))
    assert "pid" not in read_state(path)


def test_restart_waits_for_the_new_pid_file(tmp_path, children):
    """Until the new relay writes its pid file the old one names the dead relay; the watchdog must not poll before."""
    state_dir = tmp_path
    (state_dir / "fs-1.mnt.efs.20529+").mkdir()
    pid_file = state_dir / "fs-1.mnt.efs.20529+" / "stunnel.pid"
    pid_file.write_text("999999999\n")
    slow_relay = [
        sys.executable,
        "-c",
        "import os, sys, time; time.sleep(0.5); open(sys.argv[1], 'w').write('%d\\n' % os.getpid()); time.sleep(60)",
        str(pid_file),
        "stunnel",
    ]
    pid = watchdog.start_tunnel(children, {"cmd": slow_relay}, str(state_dir), "fs-1.mnt.efs.20529")
    assert pid == children[0].pid
    assert pid_file.read_text().strip() == str(pid)
    assert watchdog.tunnel_running(pid, "fs-1.mnt.efs.20529", str(state_dir))

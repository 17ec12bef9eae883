"""The client certificate and tunnel config are good enough for the host's real stunnel to start with."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time

import pytest

from efs_standin import common, mount

pytestmark = pytest.mark.usefixtures("real_tools")


def test_certificate_and_config_start_a_real_stunnel(shipped_config, sandbox_paths, tmp_path):
    state_dir = common.STATE_FILE_DIR
    sock = mount.choose_port(shipped_config, {}, state_dir)
    port = sock.getsockname()[1]
    sock.close()
    name = common.mount_filename("fs-12345678", "/mnt/efs", port)
    created = common.create_certificate(shipped_config, name + "+", "host", "fs-12345678", state_dir)
    cert = os.path.join(state_dir, name + "+", "certificate.pem")
    text = subprocess.run(
        [
            "openssl",
            "x509",
            "-in",
            cert,
            "-noout",
            "-subject",
            "-startdate",
            "-enddate",
            "-ext",
            "subjectKeyIdentifier",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "CN = host" in text or "CN=host" in text
    assert created.endswith("Z") and len(created) == 13
    assert oct(os.stat(common.PRIVATE_KEY_FILE).st_mode & 0o777) == "0o400"
    ca = tmp_path / "ca.pem"
    shutil.copy(cert, ca)
    ctx = {
        "fs_id": "fs-12345678",
        "mountpoint": "/mnt/efs",
        "port": port,
        "dns_name": "fs-12345678.efs.us-east-1.amazonaws.com",
        "fallback_ip": "127.0.0.1",
        "options": {"tls": None, "stunnel": None, "cafile": str(ca)},
        "region": "us-east-1",
        "state_dir": state_dir,
        "cert": {"certificate": cert, "privateKey": common.PRIVATE_KEY_FILE},
    }
    binary = mount.stunnel_bin()
    conf = os.path.join(state_dir, "stunnel-config." + name)
    with open(conf, "w", encoding="utf-8") as handle:
        handle.write(
            mount.render_tunnel_config(
                *mount.tunnel_config(shipped_config, ctx, mount.stunnel_help_lines(binary), True, environ={})
            )
        )
    proc = subprocess.Popen([binary, conf], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        assert mount.wait_for_port(port, tries=40, delay=0.1), (
            proc.stderr.read1() if proc.poll() is not None else "no listener"
        )
        pid_file = os.path.join(state_dir, name + "+", "stunnel.pid")
        for dummy in range(20):
            if os.path.exists(pid_file):
                break
            time.sleep(0.1)
        with open(pid_file, encoding="utf-8") as handle:
            assert int(handle.read()) == proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    # the reused key is not regenerated for the next certificate
    key_mtime = os.stat(common.PRIVATE_KEY_FILE).st_mtime_ns
    common.create_certificate(shipped_config, "other+", "host", "fs-12345678", state_dir)
    assert os.stat(common.PRIVATE_KEY_FILE).st_mtime_ns == key_mtime
    assert not os.path.exists(os.path.join(state_dir, common.KEY_LOCK_NAME))
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def test_watchdog_renews_an_old_certificate(shipped_config, preset_key):
    from efs_standin import watchdog  # pylint: disable=import-outside-toplevel

    state_dir = common.STATE_FILE_DIR
    name = "fs-12345678.mnt.efs.20999"
    created = common.create_certificate(shipped_config, name + "+", "host", "fs-12345678", state_dir)
    state = {
        "pid": None,
        "cmd": ["x"],
        "files": [],
        "mountpoint": "/mnt/efs",
        "mountStateDir": name + "+",
        "commonName": "host",
        "region": "us-east-1",
        "certificateCreationTime": created,
        "fsId": "fs-12345678",
        "certificate": os.path.join(state_dir, name + "+", "certificate.pem"),
    }
    common.write_json(os.path.join(state_dir, name), state)
    assert not watchdog.renew_certificate(shipped_config, dict(state), state_dir, name)
    state["certificateCreationTime"] = "000101000000Z"
    assert watchdog.renew_certificate(shipped_config, state, state_dir, name)
    assert state["certificateCreationTime"] != "000101000000Z"
    with open(os.path.join(state_dir, name), encoding="utf-8") as handle:
        assert handle.read().count(state["certificateCreationTime"]) == 1

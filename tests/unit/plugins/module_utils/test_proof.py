# -*- coding: utf-8 -*-
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ansible_collections.aws_efs.transit.plugins.module_utils import _proof as pr

HOSTS = Path(__file__).resolve().parents[2] / "fixtures" / "mount" / "hosts"
FS_ID = "fs-12345678"


def prove(scenario, path="/mnt/efs", fs_id=FS_ID, region="us-east-1", root=HOSTS):
    base = root / scenario
    mounts = pr.read_mountinfo(str(base / "proc"))
    states = pr.read_state_files(str(base / "efs"))
    return pr.prove(
        fs_id,
        path,
        mounts,
        states,
        proc_root=str(base / "proc"),
        state_dir=str(base / "efs"),
        log_dir=str(base / "log"),
        region=region,
    )


def checks(proof):
    return {e["check"]: e["ok"] for e in proof["evidence"]}


def failed(proof):
    return sorted(c for c, ok in checks(proof).items() if not ok)


# ---------------------------------------------------------------- mountinfo


def test_parse_mountinfo_fields_and_escapes():
    text = (
        "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw\n"
        "41 22 8:2 /sub /mnt/efs\\040backup rw,relatime shared:30 master:2 - ext4 /dev/vda2 rw,errors=remount-ro\n"
        "60 22 0:70 / /mnt/efs rw,relatime - nfs4 127.0.0.1:/ rw,vers=4.1,port=20529,addr=127.0.0.1\n"
        "garbage line\n"
    )
    mounts = pr.parse_mountinfo(text)
    assert [m["mount_point"] for m in mounts] == ["/", "/mnt/efs backup", "/mnt/efs"]
    assert mounts[1]["root"] == "/sub" and mounts[1]["fstype"] == "ext4"
    assert mounts[1]["super_options"] == ["rw", "errors=remount-ro"]
    assert pr.options_dict(mounts[2]["super_options"])["port"] == "20529"


def test_mounts_at_ignores_lookalikes():
    mounts = pr.read_mountinfo(str(HOSTS / "v2_stunnel" / "proc"))
    assert [m["source"] for m in pr.mounts_at(mounts, "/mnt/efs")] == ["127.0.0.1:/"]
    assert [m["fstype"] for m in pr.mounts_at(mounts, "/mnt/efs backup")] == ["ext4"]


@pytest.mark.parametrize(
    "mount_point, expected",
    [
        ("/mnt/efs", "fs-12345678.mnt.efs.20529"),
        ("/mnt/efs/", "fs-12345678.mnt.efs.20529"),
        ("/.efs", "fs-12345678.efs.20529"),
        ("/mnt/.hidden", "fs-12345678.mnt..hidden.20529"),
    ],
)
def test_state_file_name_matches_the_helper(mount_point, expected):
    assert pr.state_file_name(FS_ID, mount_point, 20529) == expected


# ---------------------------------------------------------------- TLS proven


@pytest.mark.parametrize(
    "scenario, relay, port, pid",
    [
        ("v1_stunnel", "stunnel", 20049, 1234),
        ("v2_stunnel", "stunnel", 20529, 435),
        ("efs_proxy_tls", "efs-proxy", 20311, 777),
        ("leftovers", "stunnel", 20529, 435),
    ],
)
def test_tls_is_proven(scenario, relay, port, pid):
    proof = prove(scenario)
    assert failed(proof) == []
    assert proof["tls"] is True
    assert (proof["relay"], proof["port"], proof["relay_pid"]) == (relay, port, pid)
    assert proof["state_file"] == "fs-12345678.mnt.efs.%d" % port
    assert proof["check_host"] == "fs-12345678.efs.us-east-1.amazonaws.com"
    assert proof["ca_file"] == "/etc/amazon/efs/efs-utils.crt"
    assert proof["connect"].endswith(":2049")
    assert proof["shared_nfs_client"] is False


def test_region_given_must_match_check_host():
    proof = prove("v2_stunnel", region="eu-west-1")
    assert proof["tls"] is False and failed(proof) == ["check_host"]
    assert prove("v2_stunnel", region=None)["tls"] is True


# ---------------------------------------------------------------- not TLS


@pytest.mark.parametrize(
    "scenario, expected_failures",
    [
        ("efs_proxy_plain", ["ca_file", "check_host", "relay_tls", "verify"]),
        ("wrong_check_host", ["check_host"]),
        ("verify_0", ["ca_file", "verify"]),
        ("dead_pid", ["relay_alive"]),
        ("pid_reused", ["relay_alive"]),
        ("loopback_no_state", ["state_file"]),
        ("plain_nfs", ["loopback_source", "relay_port"]),
    ],
)
def test_tls_is_not_proven(scenario, expected_failures):
    proof = prove(scenario)
    assert proof["mounted"] is True
    assert proof["tls"] is False
    assert failed(proof) == expected_failures


def test_plain_nfs_log_line_is_only_supporting_evidence():
    proof = prove("plain_nfs")
    sup = proof["supporting_evidence"]
    assert sup["dns_name"] == "fs-12345678.efs.us-east-1.amazonaws.com"
    assert sup["file"].endswith("mount.log.1")  # found in the rotated file
    assert pr.supporting_matches(proof) is True
    assert proof["tls"] is False


def test_log_line_is_anchored_to_the_exact_path(tmp_path):
    (tmp_path / "mount.log").write_text(
        "x - INFO - Successfully mounted fs-1.efs.r.amazonaws.com at /mnt/efs\n"
        "x - INFO - Successfully mounted fs-2.efs.r.amazonaws.com at /mnt/efs/deeper\n"
        "x - INFO - Successfully mounted fs-3.efs.r.amazonaws.com at /mnt/efs2\n"
    )
    assert pr.find_log_line(str(tmp_path), "/mnt/efs")["dns_name"] == "fs-1.efs.r.amazonaws.com"
    assert pr.find_log_line(str(tmp_path), "/mnt/ef") is None


def test_newest_log_file_wins(tmp_path):
    (tmp_path / "mount.log.2").write_text("x - INFO - Successfully mounted old.efs at /mnt/efs\n")
    (tmp_path / "mount.log.1").write_text("x - INFO - Successfully mounted new.efs at /mnt/efs\n")
    assert pr.find_log_line(str(tmp_path), "/mnt/efs")["dns_name"] == "new.efs"


def test_not_mounted():
    proof = prove("v2_stunnel", path="/mnt/other")
    assert proof["mounted"] is False and proof["tls"] is False
    assert failed(proof) == ["mounted"]


def test_other_file_system_on_the_port():
    proof = prove("v2_stunnel", fs_id="fs-87654321")
    assert proof["tls"] is False
    assert "state_file_fs_id" in failed(proof) and "check_host" in failed(proof)


# ---------------------------------------------------------------- NFSv4.1 client sharing


def test_shared_client_follows_the_port_to_the_carrying_relay():
    proof = prove("shared_client", path="/mnt/b")
    assert proof["tls"] is True
    assert proof["shared_nfs_client"] is True
    assert proof["state_file"] == "fs-12345678.mnt.a.20100"  # the relay that carries the traffic
    assert proof["own_state_file"] == "fs-12345678.mnt.b.20200"  # matched by mount point, not port
    assert proof["relay_pid"] == 501


def test_shared_client_with_an_unverified_carrier_is_not_tls():
    """/mnt/b's own tunnel is fine, but the traffic goes through /mnt/a's relay with verify = 0."""
    proof = prove("shared_client_bad_carrier", path="/mnt/b")
    assert proof["tls"] is False
    assert "verify" in failed(proof)
    assert proof["own_state_file"] == "fs-12345678.mnt.b.20200"


def test_first_mount_of_a_shared_client_is_not_marked_shared():
    proof = prove("shared_client", path="/mnt/a")
    assert proof["tls"] is True and proof["shared_nfs_client"] is False


def test_state_file_found_by_json_mountpoint_when_the_name_differs():
    proof = prove("escaped_mount_point", path="/srv/data\tx")
    assert proof["tls"] is True
    assert proof["own_state_file"] == "fs-12345678.srv.data.x.20600"
    # /srv/data shares the port but the state file names another mount point
    other = prove("escaped_mount_point", path="/srv/data")
    assert other["own_state_file"] is None and other["tls"] is True


def test_state_file_prefix_of_a_deeper_path_is_not_ours(tmp_path):
    """fs-x.mnt.efs.deeper.20700 starts with fs-x.mnt.efs. but belongs to /mnt/efs/deeper."""
    root = tmp_path / "h"
    shutil.copytree(HOSTS / "v2_stunnel", root)
    deeper = {"pid": 9, "cmd": ["/usr/bin/stunnel", "x"], "mountpoint": "/mnt/efs/deeper"}
    (root / "efs" / "fs-12345678.mnt.efs.deeper.20700").write_text(json.dumps(deeper))
    states = pr.read_state_files(str(root / "efs"))
    assert pr.find_own(states, FS_ID, "/mnt/efs", None) == "fs-12345678.mnt.efs.20529"
    del states["fs-12345678.mnt.efs.20529"]
    assert pr.find_own(states, FS_ID, "/mnt/efs", None) is None
    assert pr.find_own(states, FS_ID, "/mnt/efs/deeper", None) == "fs-12345678.mnt.efs.deeper.20700"


# ---------------------------------------------------------------- relay parsing


@pytest.mark.parametrize(
    "cmd, expected",
    [
        (["/usr/bin/stunnel", "/var/run/efs/c"], ("stunnel", True, "/var/run/efs/c")),
        (["/usr/bin/stunnel5", "/var/run/efs/c"], ("stunnel", True, "/var/run/efs/c")),
        (["/usr/bin/efs-proxy", "/var/run/efs/c", "--tls"], ("efs-proxy", True, "/var/run/efs/c")),
        (["/usr/bin/efs-proxy", "/var/run/efs/c", "--no-direct-s3-read"], ("efs-proxy", False, "/var/run/efs/c")),
        (
            ["nsenter", "--net=/proc/1/ns/net", "/usr/bin/stunnel", "/var/run/efs/c"],
            ("stunnel", True, "/var/run/efs/c"),
        ),
        (["/usr/bin/socat", "x"], (None, False, "x")),
        ("stunnel", (None, False, None)),
        ([], (None, False, None)),
    ],
)
def test_relay_of(cmd, expected):
    assert pr.relay_of(cmd) == expected


def test_tunnel_config_parse_sections_and_repeats():
    cfg = pr.parse_tunnel_config("fips = no\nsocket = a\nsocket = b\n; comment\n[efs]\nverify = 2\nCAfile = /x\n")
    assert cfg["socket"] == ["a", "b"] and cfg["verify"] == ["2"] and cfg["CAfile"] == ["/x"]


def test_broken_state_file_is_reported_not_fatal(tmp_path):
    root = tmp_path / "h"
    shutil.copytree(HOSTS / "v2_stunnel", root)
    (root / "efs" / "fs-12345678.mnt.efs.20529").write_text("{broken")
    proof = prove("h", root=tmp_path)
    assert proof["tls"] is False and "state_file_readable" in failed(proof)


def test_missing_tunnel_config(tmp_path):
    root = tmp_path / "h"
    shutil.copytree(HOSTS / "v2_stunnel", root)
    (root / "efs" / "stunnel-config.fs-12345678.mnt.efs.20529").unlink()
    proof = prove("h", root=tmp_path)
    assert proof["tls"] is False and failed(proof) == ["tunnel_config"]


# ---------------------------------------------------------------- drift


def test_drift_detects_access_point_and_iam_and_subpath():
    proof = prove("v2_stunnel")
    assert pr.drift(proof, FS_ID, "/", None, False) == []
    assert any("access point" in r for r in pr.drift(proof, FS_ID, "/", "fsap-0123456789abcdef0", False))
    assert any("IAM" in r for r in pr.drift(proof, FS_ID, "/", None, True))
    assert any("exports /" in r for r in pr.drift(proof, FS_ID, "/data", None, False))

# -*- coding: utf-8 -*-
from __future__ import annotations

import json
import os
import sys
import time

import pytest

from ansible_collections.aws_efs.transit.plugins.module_utils import _proof as pr
from ansible_collections.aws_efs.transit.tests.unit.host_trees import HOSTS, materialise

FS_ID = "fs-12345678"


@pytest.fixture(scope="module")
def trees(tmp_path_factory):
    """Every fixture host, copied once with its /proc symlinks made."""
    base = tmp_path_factory.mktemp("hosts")
    for host in HOSTS.iterdir():
        materialise(host.name, base / host.name)
    return base


@pytest.fixture(autouse=True)
def _trees_root(trees, monkeypatch):
    monkeypatch.setattr(ROOT, "path", trees)


class ROOT(object):
    path = None


def answering(mounts):
    """A probe for fixture hosts: the path answers, with the device of what the mount tree reaches there."""

    def probe(path, timeout):
        return {"dev": mounts_dev(mounts, path), "responding": True, "seconds": 0.0, "error": None}

    return probe


def mounts_dev(mounts, path):
    m = pr.reached_mount(mounts, path)
    return m["dev"] if m else None


def prove(scenario, path="/mnt/efs", fs_id=FS_ID, region="us-east-1", root=None, probe=None):
    base = (root or ROOT.path) / scenario
    mounts = pr.read_mountinfo(str(base / "proc"))
    states = pr.read_state_files(str(base / "efs"))
    fs_root = str(base / "root")
    return pr.prove(
        fs_id,
        path,
        mounts,
        states,
        proc_root=str(base / "proc"),
        state_dir=str(base / "efs"),
        log_dir=str(base / "log"),
        region=region,
        fs_root=fs_root,
        probe=probe or (lambda p, t: answering(mounts)(p[len(fs_root) :], t)),
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
    mounts = pr.read_mountinfo(str(HOSTS / "v2_stunnel" / "proc"))  # no symlinks needed
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
        ("efs_proxy_plain", ["ca_certificates", "ca_file", "check_host", "relay_live_tls", "relay_tls", "verify"]),
        ("wrong_check_host", ["check_host"]),
        ("verify_0", ["ca_file", "verify"]),
        ("dead_pid", ["relay_alive"]),
        ("pid_reused", ["relay_alive"]),  # a live pid that is not the relay: its identity is not judged
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
    materialise("v2_stunnel", root)
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
    materialise("v2_stunnel", root)
    (root / "efs" / "fs-12345678.mnt.efs.20529").write_text("{broken")
    proof = prove("h", root=tmp_path)
    assert proof["tls"] is False and "state_file_readable" in failed(proof)


def test_missing_tunnel_config(tmp_path):
    root = tmp_path / "h"
    materialise("v2_stunnel", root)
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


# ---------------------------------------------------------------- a local adversary, a sick relay (issue 11)


def test_tls_proof_names_every_identity_check():
    """A reader of the record sees why the mount passed: tree, device, liveness, relay identity, CA bundle."""
    names = set(checks(prove("efs_proxy_tls")))
    assert {
        "path_reaches_mount",
        "path_device",
        "responding",
        "relay_alive",
        "relay_live_tls",
        "relay_owner",
        "relay_binary",
        "relay_listens",
        "ca_certificates",
    } <= names
    stunnel = checks(prove("v2_stunnel"))
    assert "relay_live_tls" not in stunnel and "ca_certificates" not in stunnel


@pytest.mark.parametrize("sep", ["\f", "\v", "\r", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"])
def test_mountinfo_lines_end_only_at_newline(sep):
    """The kernel escapes space, tab, newline and backslash only; other separators stay inside a field."""
    text = (
        "22 1 8:1 / / rw - ext4 /dev/vda1 rw\n"
        "60 22 0:70 / /mnt/efs rw - nfs4 127.0.0.1:/ rw,port=20529,addr=127.0.0.1\n"
        "70 60 8:1 /a%sb /mnt/efs rw - fuse.x%sy src%sz rw\n" % (sep, sep, sep)
    )
    mounts = pr.parse_mountinfo(text)
    assert len(mounts) == 3
    assert mounts[2]["root"] == "/a%sb" % sep and mounts[2]["fstype"] == "fuse.x%sy" % sep
    assert mounts[2]["source"] == "src%sz" % sep and mounts[2]["dev"] == "8:1"


def test_bind_mount_with_a_form_feed_stacked_on_the_tls_mount():
    proof = prove("stacked_formfeed")
    assert proof["tls"] is False
    assert proof["fstype"] == "ext4" and proof["mount_id"] == "70"
    assert "fstype" in failed(proof)


def test_mount_on_a_parent_directory_hides_the_tls_mount():
    proof = prove("covered_parent")
    assert proof["tls"] is False
    assert failed(proof) == ["path_device", "path_reaches_mount"]  # the tree and stat(2) agree
    assert "tmpfs cover on /mnt" in dict((e["check"], e["detail"]) for e in proof["evidence"])["path_reaches_mount"]


def test_top_of_the_stack_comes_from_the_mount_tree_not_line_order():
    """`mount --move` onto the path: the covering tmpfs (id 55, parent 60) is listed before the nfs4 mount."""
    mounts = pr.read_mountinfo(str(ROOT.path / "moved_on_top" / "proc"))
    assert pr.reached_mount(mounts, "/mnt/efs")["mount_id"] == "55"
    assert pr.stack_top(pr.mounts_at(mounts, "/mnt/efs"))["mount_id"] == "55"
    proof = prove("moved_on_top")
    assert proof["tls"] is False and proof["fstype"] == "tmpfs"


def test_reached_mount_walks_prefixes():
    mounts = pr.parse_mountinfo(
        "22 1 8:1 / / rw - ext4 /dev/vda1 rw\n"
        "30 22 0:30 / /mnt rw - tmpfs a rw\n"
        "31 30 0:31 / /mnt/efs rw - nfs4 127.0.0.1:/ rw\n"
        "32 22 0:32 / /mnt/efs rw - nfs4 127.0.0.1:/ rw\n"  # below /mnt's tmpfs: unreachable
        "33 22 0:33 / /srv rw - tmpfs b rw\n"
    )
    assert pr.reached_mount(mounts, "/mnt/efs")["mount_id"] == "31"
    assert pr.reached_mount(mounts, "/mnt/efs/deeper/x")["mount_id"] == "31"
    assert pr.reached_mount(mounts, "/srv/x")["mount_id"] == "33"
    assert pr.reached_mount(mounts, "/opt")["mount_id"] == "22"
    assert pr.reached_mount(pr.parse_mountinfo("31 30 0:31 / /mnt/efs rw - nfs4 x rw\n"), "/mnt/efs") is None


def test_path_device_must_be_the_judged_mount():
    proof = prove("v2_stunnel", probe=lambda p, t: {"dev": "0:99", "responding": True, "seconds": 0.0})
    assert proof["tls"] is False and failed(proof) == ["path_device"]


def test_impostor_owned_by_nobody_with_a_relay_cmdline():
    """exec -a stunnel: the cmdline and port look right; the uid and the binary do not."""
    proof = prove("impostor_nobody")
    assert proof["tls"] is False
    assert failed(proof) == ["relay_binary", "relay_owner"]
    detail = dict((e["check"], e["detail"]) for e in proof["evidence"])
    assert "65534" in detail["relay_owner"] and "python3" in detail["relay_binary"]


def test_the_mount_port_held_by_another_process():
    proof = prove("port_held_by_other")
    assert proof["tls"] is False and failed(proof) == ["relay_listens"]


def test_any_listener_on_the_port_not_held_by_the_relay_fails(tmp_path):
    """A second listener (0.0.0.0 or ::) that can take 127.0.0.1:<port> connections counts too."""
    root = materialise("v2_stunnel", tmp_path / "h")
    with open(root / "proc" / "435" / "net" / "tcp6", "a") as f:
        f.write(
            "   0: 00000000000000000000000000000000:5031 00000000000000000000000000000000:0000 0A "
            "00000000:00000000 00:00000000 00000000  1000        0 50001 1 0000000000000000 100 0 0 10 0\n"
        )
    proof = prove("h", root=tmp_path)
    assert failed(proof) == ["relay_listens"]


def test_relay_exe_deleted_by_an_upgrade_still_counts(tmp_path):
    root = materialise("v2_stunnel", tmp_path / "h")
    (root / "proc" / "435" / "exe").unlink()
    (root / "proc" / "435" / "exe").symlink_to("/usr/bin/stunnel4 (deleted)")
    assert prove("h", root=tmp_path)["tls"] is True


def test_proc_net_tcp_parsing():
    rows = pr.parse_proc_net_tcp(
        "  sl  local_address rem_address   st\n"
        "   0: 0100007F:5031 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 30435 1\n"
        "   1: 00000000:0801 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 11 1\n"
    )
    if sys.byteorder == "little":
        assert [(str(a), p, st, i) for a, p, st, i in rows] == [
            ("127.0.0.1", 20529, "0A", "30435"),
            ("0.0.0.0", 2049, "0A", "11"),
        ]


def test_efs_proxy_live_cmdline_without_tls(tmp_path):
    """The state file says --tls; the running efs-proxy was started without it."""
    root = materialise("efs_proxy_tls", tmp_path / "h")
    (root / "proc" / "777" / "cmdline").write_bytes(
        b"/usr/bin/efs-proxy\0/var/run/efs/stunnel-config.fs-12345678.mnt.efs.20311\0--no-direct-s3-read\0"
    )
    proof = prove("h", root=tmp_path)
    assert proof["tls"] is False and failed(proof) == ["relay_live_tls"]


def test_efs_proxy_fails_open_on_a_comment_only_ca_bundle():
    proof = prove("efs_proxy_comment_ca")
    assert proof["tls"] is False and failed(proof) == ["ca_certificates"]


@pytest.mark.parametrize(
    "ca, certs",
    [
        (b"", 0),
        (b"\n\n", 0),
        (b"# a\n# b\n", 0),
        (b"\xff\n-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", 0),
        (b"# A\n-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", 1),
        (b"-----BEGIN CERTIFICATE-----\r\nAAAA\r\n-----END CERTIFICATE-----\r\n", 1),
        (b"#x\n-----BEGIN CERTIFICATE-----\nAAAA\n# -----END CERTIFICATE-----\n", 0),
        (
            b"-----BEGIN CERTIFICATE-----\nA\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\nB\n-----END CERTIFICATE-----",
            2,
        ),
    ],
)
def test_ca_bundle_as_efs_proxy_reads_it(ca, certs):
    assert pr.count_pem_certificates(pr.efs_proxy_ca_text(ca)) == certs


@pytest.mark.parametrize(
    "edit, failing",
    [
        (lambda c: c.replace("CAfile = /etc/amazon/efs/efs-utils.crt\n", ""), ["ca_certificates", "ca_file"]),
        # stunnel reads option names case-insensitively, efs-proxy does not: it sees no CAfile, no checkHost
        (lambda c: c.replace("CAfile =", "cafile ="), ["ca_certificates", "ca_file"]),
        (lambda c: c.replace("checkHost =", "checkhost ="), ["check_host"]),
        (lambda c: c.replace("checkHost = fs-12345678.efs.us-east-1.amazonaws.com", "checkHost ="), ["check_host"]),
        (
            lambda c: c.replace("CAfile = /etc/amazon/efs/efs-utils.crt", "CAfile = /etc/missing.crt"),
            ["ca_certificates"],
        ),
    ],
)
def test_efs_proxy_config_as_efs_proxy_reads_it(tmp_path, edit, failing):
    root = materialise("efs_proxy_tls", tmp_path / "h")
    cfg = root / "efs" / "stunnel-config.fs-12345678.mnt.efs.20311"
    cfg.write_text(edit(cfg.read_text()))
    proof = prove("h", root=tmp_path)
    assert proof["tls"] is False and failed(proof) == failing


def test_stunnel_lowercase_keys_still_count(tmp_path):
    root = materialise("v2_stunnel", tmp_path / "h")
    cfg = root / "efs" / "stunnel-config.fs-12345678.mnt.efs.20529"
    cfg.write_text(cfg.read_text().replace("CAfile =", "cafile =").replace("checkHost =", "checkhost ="))
    assert prove("h", root=tmp_path)["tls"] is True


def test_netns_efs_proxy_keeps_its_tls_flag():
    proof = prove("netns_efs_proxy")
    assert failed(proof) == []
    assert proof["tls"] is True and proof["relay"] == "efs-proxy"


@pytest.mark.parametrize(
    "cmd, expected",
    [
        (
            ["nsenter", "--net=/var/run/netns/a", "/usr/bin/efs-proxy", "/c", "--tls", "--no-direct-s3-read"],
            ("efs-proxy", True, "/c"),
        ),
        (["nsenter", "--net=/n", "/usr/bin/efs-proxy", "/c"], ("efs-proxy", False, "/c")),
        (["/usr/bin/nsenter", "-t", "1", "-n", "--", "/usr/bin/stunnel", "/c"], ("stunnel", True, "/c")),
        (["nsenter", "--net=/n"], (None, False, None)),
    ],
)
def test_relay_of_under_nsenter(cmd, expected):
    assert pr.relay_of(cmd) == expected


# ---------------------------------------------------------------- liveness probe


def test_probe_answers_with_the_real_device(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "d")
    st = os.stat(tmp_path / "d")
    res = pr.probe_path(str(tmp_path / "link"), timeout=10)
    assert res["responding"] is True and res["error"] is None
    assert res["dev"] == "%d:%d" % (os.major(st.st_dev), os.minor(st.st_dev))
    assert res["realpath"] == os.path.realpath(str(tmp_path / "d"))


def test_probe_of_a_missing_path_reports_the_error(tmp_path):
    res = pr.probe_path(str(tmp_path / "nothing"), timeout=10)
    assert res["responding"] is False and res["dev"] is None and "FileNotFoundError" in res["error"]


def _hang_after_stat(path, emit):
    emit({"dev": "0:70"})
    pid_file = path + ".pid"
    with open(pid_file, "w") as f:
        f.write(str(os.getpid()))
    time.sleep(60)


def test_probe_of_a_hung_mount_is_killed_within_the_timeout(tmp_path):
    start = time.monotonic()
    res = pr.probe_path(str(tmp_path / "p"), timeout=1.0, steps=_hang_after_stat)
    assert time.monotonic() - start < 4
    assert res["responding"] is False and res["dev"] == "0:70" and "no answer within 1.0 s" in res["error"]
    child = int((tmp_path / "p.pid").read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(child, 0)  # killed and reaped


def test_hung_mount_is_not_tls():
    """The relay is alive and every file agrees, but the mount does not answer (SIGSTOPped relay)."""
    proof = prove(
        "v2_stunnel", probe=lambda p, t: {"dev": "0:70", "responding": False, "error": "no answer within %s s" % t}
    )
    assert proof["tls"] is False and proof["responding"] is False
    assert failed(proof) == ["responding"]


def test_prove_with_the_real_probe_on_a_real_directory(tmp_path):
    """No fake: fs_root + path is stat'ed in a child; the fixture's device is set to what the kernel says."""
    root = materialise("v2_stunnel", tmp_path / "h")
    target = root / "root" / "mnt" / "efs"
    target.mkdir(parents=True)
    st = os.stat(target)
    info = root / "proc" / "self" / "mountinfo"
    info.write_text(info.read_text().replace(" 0:70 ", " %d:%d " % (os.major(st.st_dev), os.minor(st.st_dev))))
    base = tmp_path / "h"
    proof = pr.prove(
        FS_ID,
        "/mnt/efs",
        pr.read_mountinfo(str(base / "proc")),
        pr.read_state_files(str(base / "efs")),
        proc_root=str(base / "proc"),
        state_dir=str(base / "efs"),
        log_dir=str(base / "log"),
        region="us-east-1",
        fs_root=str(base / "root"),
    )
    assert failed(proof) == [] and proof["tls"] is True and proof["responding"] is True


# ---------------------------------------------------------------- S3 Files (efs-utils 3.x mount.s3files)


def test_s3files_mount_is_not_an_efs_mount():
    """mount.s3files mounts look like efs-proxy TLS mounts (same state file names, relay and 127.0.0.1 source)
    but their state file says service_type s3files: never proof of a TLS mount of the EFS file system."""
    proof = prove("s3files")
    assert proof["mounted"] is True and proof["tls"] is False
    assert failed(proof) == ["check_host", "service_type"]
    assert "service_type s3files" in " ".join(pr.failed_checks(proof))
    assert pr.supporting_matches(proof) is False


def test_service_type_alone_rules_out_s3files(tmp_path):
    """Even with an EFS-looking tunnel config, the state file's service_type decides."""
    root = materialise("efs_proxy_tls", tmp_path / "h")
    state = root / "efs" / "fs-12345678.mnt.efs.20311"
    data = json.loads(state.read_text())
    data["service_type"] = "s3files"
    state.write_text(json.dumps(data))
    proof = prove("h", root=tmp_path)
    assert proof["tls"] is False and failed(proof) == ["service_type"]
    del data["service_type"]  # efs-utils 1.x writes none: EFS
    state.write_text(json.dumps(data))
    assert prove("h", root=tmp_path)["tls"] is True


def _real_device_host(tmp_path):
    """v2_stunnel with root/mnt/efs a real directory whose device the mountinfo line carries."""
    root = materialise("v2_stunnel", tmp_path / "h")
    target = root / "root" / "mnt" / "efs"
    target.mkdir(parents=True)
    st = os.stat(target)
    info = root / "proc" / "self" / "mountinfo"
    info.write_text(info.read_text().replace(" 0:70 ", " %d:%d " % (os.major(st.st_dev), os.minor(st.st_dev))))
    return root


def _prove_real(root, path):
    return pr.prove(
        FS_ID,
        path,
        pr.read_mountinfo(str(root / "proc")),
        pr.read_state_files(str(root / "efs")),
        proc_root=str(root / "proc"),
        state_dir=str(root / "efs"),
        log_dir=str(root / "log"),
        region="us-east-1",
        fs_root=str(root / "root"),
    )


def test_symlinked_mount_path_is_judged_where_mount_put_it(tmp_path):
    """mount(8) canonicalises the target: /srv/link -> /mnt/efs is the mount in mountinfo."""
    root = _real_device_host(tmp_path)
    (root / "root" / "srv").mkdir()
    (root / "root" / "srv" / "link").symlink_to("../mnt/efs")
    proof = _prove_real(root, "/srv/link")
    assert failed(proof) == [] and proof["tls"] is True
    assert proof["path"] == "/srv/link" and proof["real_path"] == "/mnt/efs"
    assert proof["state_file"] == "fs-12345678.mnt.efs.20529"
    assert "canonical_path" in checks(proof)
    assert _prove_real(root, "/mnt/efs")["real_path"] is None


def test_shared_client_settings_are_the_carriers(tmp_path):
    """The rider's state file asked for an access point and IAM; the traffic rides on the carrier's
    relay, whose TLS client certificate has neither: that is what the server sees."""
    root = materialise("shared_client", tmp_path / "h")
    rider = root / "efs" / "fs-12345678.mnt.b.20200"
    data = json.loads(rider.read_text())
    data.update({"accessPoint": "fsap-0123456789abcdef0", "awsCredentialsMethod": "metadata"})
    rider.write_text(json.dumps(data))
    proof = prove("h", path="/mnt/b", root=tmp_path)
    assert proof["shared_nfs_client"] is True
    assert proof["mounted_settings"]["access_point"] is None and proof["mounted_settings"]["iam"] is False
    assert any("access point" in r for r in pr.drift(proof, FS_ID, "/", "fsap-0123456789abcdef0", True))


def test_canonical_path(tmp_path):
    (tmp_path / "mnt" / "efs").mkdir(parents=True)
    (tmp_path / "srv").mkdir()
    (tmp_path / "srv" / "link").symlink_to("../mnt/efs")
    assert pr.canonical_path("/srv/link", fs_root=str(tmp_path)) == "/mnt/efs"
    assert pr.canonical_path("/mnt/efs/", fs_root=str(tmp_path)) == "/mnt/efs"
    assert pr.canonical_path("/missing/x", fs_root=str(tmp_path)) == "/missing/x"


def test_leftovers_of_a_killed_helper_are_found_and_cleaned(tmp_path):
    root = materialise("v2_stunnel", tmp_path / "h")
    efs = root / "efs"
    name = "fs-12345678.mnt.efs.20555"
    cmd = ["/usr/bin/stunnel", "/var/run/efs/stunnel-config." + name]
    (efs / ("~" + name)).write_text(json.dumps({"pid": 435, "cmd": cmd}))
    (efs / ("stunnel-config." + name)).write_text("accept = 127.0.0.1:20555\n")
    (efs / (name + "+")).mkdir()
    (efs / (name + "+") / "certificate.pem").write_text("x")
    (efs / "~fs-12345678.mnt.efs.deeper.20556").write_text("{}")  # another path: not ours
    found = pr.find_leftovers(str(efs), FS_ID, "/mnt/efs")
    assert [f["state_file"] for f in found] == ["~" + name] and found[0]["port"] == 20555
    # pid 435 runs another config (the live relay of /mnt/efs): never killed
    killed = []
    done = pr.clean_leftover(found[0], str(efs), str(root / "proc"), kill=lambda p, s: killed.append(p))
    assert killed == [] and done == ["removed ~" + name, "removed stunnel-config." + name, "removed %s+" % name]
    assert sorted(p.name for p in efs.iterdir() if "20555" in p.name) == []


def test_leftover_relay_is_stopped_when_it_is_that_relay(tmp_path):
    root = materialise("v2_stunnel", tmp_path / "h")
    live = "fs-12345678.mnt.efs.20529"
    leftover = {
        "state_file": "~" + live,
        "pid": 435,
        "cmd": ["/usr/bin/stunnel", "/var/run/efs/stunnel-config." + live],
    }
    killed = []
    done = pr.clean_leftover(leftover, str(tmp_path / "none"), str(root / "proc"), kill=lambda p, s: killed.append(p))
    assert killed == [435] and done == ["stopped stunnel pid 435"]


STUNNEL_UNTRUSTED = """\
2026.12.01 23:56:06 LOG5[0]: s_connect: connected 127.0.0.1:18443
2026.12.01 23:56:06 LOG4[0]: CERT: Pre-verification error: self-signed certificate
2026.12.01 23:56:06 LOG4[0]: Rejected by CERT at depth=0: CN=fs-1.efs.us-east-1.amazonaws.com
2026.12.01 23:56:06 LOG3[0]: SSL_connect: ../ssl/statem/statem_clnt.c:1889: error:0A000086:SSL routines::certificate verify failed
"""
STUNNEL_WRONG_NAME = """\
2026.12.01 23:56:10 LOG4[0]: CERT: Subject checks failed
2026.12.01 23:56:10 LOG4[0]: Rejected by CERT at depth=0: CN=fs-1.efs.us-east-1.amazonaws.com
2026.12.01 23:56:10 LOG3[0]: SSL_connect: ../ssl/statem/statem_clnt.c:1889: error:0A000086:SSL routines::certificate verify failed
"""


@pytest.mark.parametrize(
    "log, expected",
    [
        (STUNNEL_UNTRUSTED, "certificate not trusted (CA bundle /etc/ca.pem): self-signed certificate"),
        (STUNNEL_WRONG_NAME, "host name does not match (checkHost fs-1.efs.us-east-1.amazonaws.com)"),
        (
            "Failed to establish an initial connection to EFS. Error: [SSL: CERTIFICATE_VERIFY_FAILED] certificate "
            "verify failed: unable to get local issuer certificate (_ssl.c:992)\n",
            "certificate not trusted (CA bundle /etc/ca.pem): unable to get local issuer certificate",
        ),
        (
            "Error: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: Hostname mismatch, certificate is "
            "not valid for 'fs-1.efs.us-east-1.amazonaws.com'. (_ssl.c:992)\n",
            "host name does not match (checkHost fs-1.efs.us-east-1.amazonaws.com)",
        ),
        ("LOG5[0]: Connection closed\n", None),
    ],
)
def test_relay_failure_in_words(log, expected):
    assert pr.relay_failure(log, "/etc/ca.pem", "fs-1.efs.us-east-1.amazonaws.com") == expected


def test_relay_log_file():
    assert pr.relay_log_file("foreground = yes\noutput = /var/log/amazon/efs/x.stunnel.log\n[efs]\nverify = 2\n") == (
        "/var/log/amazon/efs/x.stunnel.log"
    )
    assert pr.relay_log_file("[efs]\noutput = nope\n") is None


def test_find_own_prefers_the_live_port_then_the_newest_and_keeps_unreadable_files():
    a, b = "fs-12345678.mnt.efs.20050", "fs-12345678.mnt.efs.20051"
    files = {
        a: {"mountpoint": "/mnt/efs", "mount_time": 2.0},
        b: {"mountpoint": "/mnt/efs/", "mount_time": 1.0},  # older, but on the live port
        "fs-87654321.mnt.efs.20052": {"mountpoint": "/mnt/efs", "mount_time": 3.0},
    }
    assert pr.find_own(files, FS_ID, "/mnt/efs", 20051) == b
    assert pr.find_own(files, FS_ID, "/mnt/efs", None) == a
    # An undeclared mount: any file system's, the port first.
    assert pr.find_own(files, None, "/mnt/efs", 20052) == "fs-87654321.mnt.efs.20052"
    assert pr.find_own({a: None}, FS_ID, "/mnt/efs", 20050) == a
    assert pr.find_own({a: None}, None, "/mnt/efs", 20050) is None
    assert pr.find_own(files, FS_ID, "/mnt/other", 20050) is None

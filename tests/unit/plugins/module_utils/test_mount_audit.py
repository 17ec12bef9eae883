# -*- coding: utf-8 -*-
"""Discovery of every NFS mount: EFS over proven TLS, EFS without TLS, not EFS (fixtures under mount/hosts)."""

from __future__ import annotations

import pytest

from ansible_collections.aws_efs.transit.plugins.module_utils import _mount_audit as ma
from ansible_collections.aws_efs.transit.plugins.module_utils import _proof as pr

from ansible_collections.aws_efs.transit.tests.unit.host_trees import fixture_facts


def audit(scenario, declared=(), undeclared="fail", fstab=None):
    base, facts = fixture_facts(scenario)
    if fstab is None:
        fstab = (base / "fstab").read_text() if (base / "fstab").exists() else ""
    return ma.audit_mounts(
        pr.read_mountinfo(facts["proc_root"]),
        pr.read_state_files(facts["state_dir"]),
        fstab,
        ma.validate_declared(list(declared)),
        undeclared=undeclared,
        facts=facts,
    )


def by_path(records):
    return {r["path"]: r for r in records}


# ---------------------------------------------------------------- sources


@pytest.mark.parametrize(
    "host, kind, fs_id, region",
    [
        ("fs-12345678.efs.us-east-1.amazonaws.com", "efs", "fs-12345678", "us-east-1"),
        ("us-east-1a.fs-12345678.efs.us-east-1.amazonaws.com", "efs", "fs-12345678", "us-east-1"),
        ("fs-0123456789abcdef0.efs.cn-north-1.amazonaws.com.cn", "efs", "fs-0123456789abcdef0", "cn-north-1"),
        ("fs-12345678.efs.us-east-1.amazonaws.com.", "efs", "fs-12345678", "us-east-1"),
        ("fs-12345678", "efs", "fs-12345678", None),
        ("use1-az1.fs-12345678.s3files.us-east-1.amazonaws.com", "s3files", None, None),
        ("127.0.0.1", "loopback", None, None),
        ("localhost", "loopback", None, None),
        ("10.0.0.5", "other", None, None),
        ("nas.example.com", "other", None, None),
        # Look-alikes: not an fs id (uppercase, too short, another service).
        ("fs-1234567", "other", None, None),
        ("fs-12345678.example.com", "other", None, None),
        ("myfs-12345678.efs.us-east-1.amazonaws.com", "other", None, None),
    ],
)
def test_classify_source(host, kind, fs_id, region):
    got = ma.classify_source(host)
    assert (got["kind"], got["fs_id"], got["region"]) == (kind, fs_id, region)


def test_split_source_ipv6_and_subpath():
    assert ma.split_source("[fd00::5]:/") == ("fd00::5", "/")
    assert ma.split_source("FS-12345678.EFS.us-east-1.amazonaws.com:/a/b") == (
        "fs-12345678.efs.us-east-1.amazonaws.com",
        "/a/b",
    )
    assert ma.split_source("tmpfs") == ("tmpfs", "")


# ---------------------------------------------------------------- the mixed host


def test_every_nfs_mount_is_examined_and_nothing_else():
    records = audit("audit_mixed")
    paths = [r["path"] for r in records]
    # ext4, proc, tmpfs are not NFS; /mnt/stack has tmpfs stacked on top of its NFS mount.
    assert paths == [
        "/mnt/efs",
        "/mnt/plain",
        "/mnt/proxyplain",
        "/mnt/s3",
        "/mnt/s3dns",
        "/srv/home",
        "/mnt/byip",
        "/mnt/orphan",
        "/mnt/az",
        "/mnt/bare",
        "/mnt/v6",
    ]
    assert all(not r["declared"] for r in records)


def test_kinds_on_the_mixed_host():
    kinds = {p: r["kind"] for p, r in by_path(audit("audit_mixed")).items()}
    assert kinds == {
        "/mnt/efs": "efs_tls",
        "/mnt/plain": "efs_plain",
        "/mnt/proxyplain": "efs_plain",
        "/mnt/s3": "not_efs",
        "/mnt/s3dns": "not_efs",
        "/srv/home": "not_efs",
        "/mnt/byip": "efs_plain",
        "/mnt/orphan": "efs_plain",
        "/mnt/az": "efs_plain",
        "/mnt/bare": "efs_plain",
        "/mnt/v6": "not_efs",
    }


def test_tls_field_is_true_for_proven_tls_only():
    tls = {p: r["tls"] for p, r in by_path(audit("audit_mixed")).items()}
    assert [p for p, t in tls.items() if t] == ["/mnt/efs"]
    assert all(t is False for p, t in tls.items() if p != "/mnt/efs")


def test_tls_mount_carries_the_same_proof_as_efs_tls_mount():
    rec = by_path(audit("audit_mixed"))["/mnt/efs"]
    assert rec["file_system_id"] == "fs-12345678" and rec["region"] == "us-east-1"
    assert rec["relay"] == "stunnel" and rec["relay_pid"] == 435 and rec["port"] == 20529
    assert rec["check_host"] == "fs-12345678.efs.us-east-1.amazonaws.com"
    assert rec["evidence"] and all(e["ok"] for e in rec["evidence"])
    assert rec["compliant"] and rec["severity"] == "ok" and rec["reasons"] == []
    assert rec["fstab_line"] == "fs-12345678:/ /mnt/efs efs _netdev,tls,noresvport 0 0"


def test_plain_mount_by_dns_name_fails_the_host_by_default():
    rec = by_path(audit("audit_mixed"))["/mnt/plain"]
    assert rec["file_system_id"] == "fs-12345678" and rec["region"] == "us-east-1"
    assert rec["compliant"] is False and rec["severity"] == "fail"
    assert rec["reasons"] == [
        "undeclared EFS mount without TLS: plain NFS straight to fs-12345678 "
        "(fs-12345678.efs.us-east-1.amazonaws.com), not through a TLS relay"
    ]


def test_efs_proxy_without_tls_is_efs_plain_with_the_failed_checks():
    rec = by_path(audit("audit_mixed"))["/mnt/proxyplain"]
    assert rec["file_system_id"] == "fs-0123456789abcdef0" and rec["relay"] == "efs-proxy"
    assert any("relay_tls" in f and "without --tls" in f for f in rec["findings"])
    assert not rec["compliant"]


def test_s3files_is_never_efs():
    records = by_path(audit("audit_mixed"))
    assert records["/mnt/s3"]["service_type"] == "s3files" and records["/mnt/s3"]["compliant"]
    assert records["/mnt/s3dns"]["service_type"] == "s3files"
    assert records["/mnt/s3"]["severity"] == records["/mnt/s3dns"]["severity"] == "info"


def test_fstab_names_the_file_system_of_an_address_mount():
    rec = by_path(audit("audit_mixed"))["/mnt/byip"]
    assert rec["file_system_id"] == "fs-aaaaaaaa" and rec["kind"] == "efs_plain"
    # Without that fstab line, 10.0.0.5 is just an NFS server.
    assert by_path(audit("audit_mixed", fstab=""))["/mnt/byip"]["kind"] == "not_efs"


def test_loopback_relay_without_state_file_is_not_tls():
    rec = by_path(audit("audit_mixed"))["/mnt/orphan"]
    assert rec["file_system_id"] is None
    assert "no efs-utils state file" in rec["findings"][0] and rec["severity"] == "fail"


@pytest.mark.parametrize(
    "policy, compliant, severity", [("fail", False, "fail"), ("warn", True, "warn"), ("ignore", True, "info")]
)
def test_undeclared_policy(policy, compliant, severity):
    rec = by_path(audit("audit_mixed", undeclared=policy))["/mnt/plain"]
    assert (rec["compliant"], rec["severity"]) == (compliant, severity)
    # Listed in every case, with the reason.
    assert rec["reasons"][0].startswith("undeclared EFS mount without TLS")
    assert ma.summarize(audit("audit_mixed", undeclared=policy))["compliant"] is compliant


def test_not_efs_never_fails_the_host():
    records = audit("audit_mixed", undeclared="ignore")
    assert ma.summarize(records) == {
        "examined": 11,
        "efs_tls": 1,
        "efs_plain": 6,
        "not_efs": 4,
        "absent": 0,
        "undeclared": 11,
        "compliant": True,
    }


# ---------------------------------------------------------------- declared mounts


def test_declared_tls_mount_compliant_and_wrong_region_not():
    spec = {"file_system_id": "fs-12345678", "path": "/mnt/efs", "region": "us-east-1"}
    rec = by_path(audit("audit_mixed", [spec]))["/mnt/efs"]
    assert rec["declared"] and rec["wanted"] == "mounted" and rec["compliant"]
    rec = by_path(audit("audit_mixed", [dict(spec, region="eu-west-1")]))["/mnt/efs"]
    assert not rec["compliant"] and any(r.startswith("check_host:") for r in rec["reasons"])


def test_declared_plain_mount_fails_whatever_the_undeclared_policy():
    spec = {"file_system_id": "fs-12345678", "path": "/mnt/plain"}
    rec = by_path(audit("audit_mixed", [spec], undeclared="ignore"))["/mnt/plain"]
    assert not rec["compliant"] and rec["severity"] == "fail"
    assert "fstab: no line for this mount point (not mounted over TLS at boot)" in rec["reasons"]
    assert any("plain NFS straight to fs-12345678" in r for r in rec["reasons"])


def test_declared_mount_holding_another_file_system():
    rec = by_path(audit("audit_mixed", [{"file_system_id": "fs-87654321", "path": "/mnt/efs"}]))["/mnt/efs"]
    assert "/mnt/efs holds fs-12345678, not fs-87654321" in rec["reasons"]
    assert any("names fs-12345678, not fs-87654321" in r for r in rec["reasons"])


def test_declared_but_not_mounted_and_not_nfs():
    records = by_path(
        audit(
            "audit_mixed",
            [
                {"file_system_id": "fs-12345678", "path": "/mnt/missing"},
                {"file_system_id": "fs-12345678", "path": "/data"},
                {"file_system_id": "fs-12345678", "path": "/mnt/gone", "state": "absent"},
                {"file_system_id": "fs-12345678", "path": "/mnt/efs/", "state": "unmounted"},
            ],
        )
    )
    assert records["/mnt/missing"]["kind"] == "absent"
    assert "/mnt/missing is not mounted" in records["/mnt/missing"]["reasons"]
    assert records["/data"]["kind"] == "not_efs" and records["/data"]["fstype"] == "ext4"
    assert any("not EFS" in r for r in records["/data"]["reasons"])
    assert records["/mnt/gone"]["compliant"] and records["/mnt/gone"]["reasons"] == []
    assert records["/mnt/efs"]["reasons"] == ["/mnt/efs is mounted (wanted unmounted)"]


def test_declared_present_needs_a_tls_fstab_line_only():
    rec = by_path(audit("audit_mixed", [{"file_system_id": "fs-aaaaaaaa", "path": "/mnt/gone", "state": "present"}]))
    assert rec["/mnt/gone"]["reasons"] == ["fstab: no line for this mount point (not mounted over TLS at boot)"]
    fstab = "fs-aaaaaaaa:/ /mnt/gone efs _netdev,notls 0 0\n"
    rec = by_path(
        audit("audit_mixed", [{"file_system_id": "fs-aaaaaaaa", "path": "/mnt/gone", "state": "present"}], fstab=fstab)
    )
    assert rec["/mnt/gone"]["reasons"] == ["fstab: the line mounts without the tls option: " + fstab.strip()]


def test_shared_nfs_client_both_mount_points_proven():
    specs = [{"file_system_id": "fs-12345678", "path": p} for p in ("/mnt/a", "/mnt/b")]
    fstab = "".join("fs-12345678:/ %s efs _netdev,tls 0 0\n" % p for p in ("/mnt/a", "/mnt/b"))
    records = by_path(audit("shared_client", specs, fstab=fstab))
    assert records["/mnt/a"]["kind"] == records["/mnt/b"]["kind"] == "efs_tls"
    assert records["/mnt/b"]["shared_nfs_client"] is True
    assert all(r["compliant"] for r in records.values())


@pytest.mark.parametrize("scenario", ["dead_pid", "verify_0", "wrong_check_host", "pid_reused", "loopback_no_state"])
def test_broken_relays_are_efs_without_tls(scenario):
    records = audit(scenario)
    efs = [r for r in records if r["path"] == "/mnt/efs"]
    assert efs and efs[0]["kind"] == "efs_plain" and not efs[0]["compliant"]


def test_plain_nfs_by_address_is_not_efs_without_a_hint():
    assert by_path(audit("plain_nfs"))["/mnt/efs"]["kind"] == "not_efs"
    # ... but is, when the role declares the mount point.
    rec = by_path(audit("plain_nfs", [{"file_system_id": "fs-12345678", "path": "/mnt/efs"}]))["/mnt/efs"]
    assert rec["kind"] == "efs_plain" and not rec["compliant"]


@pytest.mark.parametrize(
    "mounts, message",
    [
        (["x"], "mounts[0] is not a dict"),
        ([{"file_system_id": "fs-1", "path": "/x"}], "mounts[0].file_system_id 'fs-1'"),
        ([{"file_system_id": "fs-12345678", "path": "x"}], "mounts[0].path 'x'"),
        ([{"file_system_id": "fs-12345678", "path": "/x", "state": "audited"}], "mounts[0].state 'audited'"),
    ],
)
def test_validate_declared_rejects(mounts, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        ma.validate_declared(mounts)


def test_unknown_undeclared_policy():
    with pytest.raises(ValueError):
        audit("audit_mixed", undeclared="maybe")

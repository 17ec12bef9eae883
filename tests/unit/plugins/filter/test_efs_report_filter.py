# -*- coding: utf-8 -*-
"""The file systems audited hosts mount that the server side has not judged yet (audit.yml's last play)."""

from __future__ import annotations

from ansible_collections.aws_efs.transit.plugins.filter.efs_report import FilterModule, efs_audit_file_systems

ARN = "arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/fs-0123abcd"


def record(*mounts):
    return {"efs_client_compliance": {"host": "h", "compliant": True, "mounts": list(mounts), "problems": []}}


def test_every_mounted_file_system_once_sorted_and_only_efs():
    hostvars = {
        "web1": record(
            {"path": "/mnt/efs", "kind": "efs_tls", "file_system_id": "fs-87654321"},
            {"path": "/data", "kind": "efs_plain", "file_system_id": "fs-0123abcd", "declared": False},
            {"path": "/mnt/unknown", "kind": "efs_plain", "file_system_id": None},
            {"path": "/home", "kind": "not_efs", "file_system_id": None},
            {"path": "/mnt/gone", "kind": "absent", "file_system_id": "fs-aaaaaaaa"},
        ),
        "web2": record({"path": "/mnt/efs", "kind": "efs_tls", "file_system_id": "fs-87654321"}),
    }
    assert efs_audit_file_systems(hostvars, ["web1", "web2"]) == ["fs-0123abcd", "fs-87654321"]


def test_already_judged_by_id_or_arn_are_left_out():
    hostvars = {
        "web1": record(
            {"path": "/a", "kind": "efs_tls", "file_system_id": "fs-87654321"},
            {"path": "/b", "kind": "efs_plain", "file_system_id": "fs-0123abcd"},
            {"path": "/c", "kind": "efs_plain", "file_system_id": "fs-bbbbbbbb"},
        )
    }
    judged = [{"file_system_id": "fs-87654321", "compliant": True}, {"file_system_id": None, "file_system_arn": ARN}]
    assert efs_audit_file_systems(hostvars, ["web1"], judged) == ["fs-bbbbbbbb"]
    assert efs_audit_file_systems(hostvars, ["web1"], [ARN, "fs-bbbbbbbb"]) == ["fs-87654321"]


def test_converge_records_without_kind_and_hosts_without_records():
    hostvars = {
        "web1": record({"path": "/a", "tls": True, "mounted": True, "file_system_id": "fs-87654321"}),
        "web2": {},
        "web3": {"efs_client_compliance": None},
    }
    assert efs_audit_file_systems(hostvars, ["web1", "web2", "web3", "web4"]) == ["fs-87654321"]
    assert efs_audit_file_systems(hostvars, []) == []


def test_registered():
    assert FilterModule().filters()["efs_audit_file_systems"] is efs_audit_file_systems

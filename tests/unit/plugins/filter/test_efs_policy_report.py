# -*- coding: utf-8 -*-
from __future__ import annotations

import pytest

from ansible_collections.aws_efs.transit.plugins.filter.efs_policy_report import efs_policy_report

GOOD = {"enforces_tls": True, "reasons": ["every client action without TLS is denied"]}
BAD = {"enforces_tls": False, "reasons": ["without TLS, anonymous clients may ClientMount"]}
UNKNOWN = {"enforces_tls": None, "reasons": ["unknown: aws:sourcevpc"]}


def info(*file_systems):
    return {"changed": False, "file_systems": list(file_systems)}


def fs(fs_id, verdict, **extra):
    return dict({"file_system_id": fs_id, "file_system_arn": f"arn:aws:...:{fs_id}", "verdict": verdict}, **extra)


def test_only_an_enforcing_verdict_without_drift_or_error_is_compliant():
    entries = efs_policy_report(
        info(
            fs("fs-00000001", GOOD),
            fs("fs-00000002", BAD),
            fs("fs-00000003", UNKNOWN),
            fs("fs-00000004", GOOD, drift=True),
            fs("fs-00000005", GOOD, drift=None, plan_error="refusing a policy under which no client could mount"),
            fs("fs-00000006", UNKNOWN, error={"code": "FileSystemNotFound", "message": "no"}),
        )
    )
    assert [e["compliant"] for e in entries] == [True, False, False, False, False, False]
    assert entries[1]["msg"].startswith("policy does NOT enforce TLS")
    assert "counts as not enforcing" in entries[2]["msg"]
    assert "drift" in entries[3]["msg"]
    assert "would refuse" in entries[4]["msg"]
    assert "FileSystemNotFound" in entries[5]["msg"]
    assert [e["desired"] for e in entries] == [False, False, False, True, True, False]


def test_applied_results_replace_the_verdict_read_before():
    applied = {
        "results": [
            {
                "item": {"file_system_id": "arn:aws:elasticfilesystem:us-east-1:1:file-system/fs-00000002"},
                "changed": True,
                "verdict": GOOD,
            },
            {"item": {"file_system_id": "fs-00000003"}, "failed": True, "msg": "AccessDenied"},
            {"item": {"file_system_id": "fs-00000001"}, "skipped": True},
        ]
    }
    entries = efs_policy_report(
        info(fs("fs-00000001", GOOD), fs("fs-00000002", BAD, drift=True), fs("fs-00000003", BAD, drift=True)), applied
    )
    assert [(e["compliant"], e["changed"]) for e in entries] == [(True, False), (True, True), (False, False)]
    assert entries[1]["drift"] is False
    assert entries[2]["msg"] == "efs_policy failed: AccessDenied"


def test_skipped_and_failed_info():
    assert efs_policy_report({"skipped": True, "changed": False}) == []
    failed = efs_policy_report({"failed": True, "msg": "endpoint down"})
    assert failed[0]["compliant"] is False and "endpoint down" in failed[0]["msg"]
    with pytest.raises(TypeError, match="registered result"):
        efs_policy_report("nope")

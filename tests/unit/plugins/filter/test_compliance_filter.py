# -*- coding: utf-8 -*-
from __future__ import annotations

import pytest

from ansible_collections.aws_efs.transit.plugins.filter import compliance


def test_layout_filter_from_facts():
    facts = {"distribution": "Amazon", "distribution_major_version": "2", "os_family": "RedHat"}
    layout = compliance.efs_client_layout(facts)
    assert layout["stunnel_names"] == ["stunnel5"] and layout["mount_efs"] == "/sbin/mount.efs"
    with pytest.raises(Exception, match="no efs-utils layout for Archlinux"):
        compliance.efs_client_layout({"distribution": "Archlinux", "os_family": "Archlinux"})


def test_every_filter_is_exposed():
    names = set(compliance.FilterModule().filters())
    assert {
        "efs_client_layout",
        "efs_mount_records",
        "efs_host_record",
        "efs_policy_record",
    } <= names


@pytest.mark.parametrize(
    "installed, pin, matches, upstream",
    [
        ("1:3.2.0-1", "3.2.0", True, "3.2.0"),  # an epoch: the role's old Jinja rule and _helper agree
        ("3.2.0~standin1", "v3.2.0", True, "3.2.0"),
        ("3.2.0-1.amzn2023", "3.2.0", True, "3.2.0"),
        ("3.2.01", "3.2.0", False, "3.2.1"),
        ("1.36.0-1", "3.2.0", False, "1.36.0"),
        ("1.36.0-1", None, True, "1.36.0"),
    ],
)
def test_version_filter_is_the_helpers_rule(installed, pin, matches, upstream):
    filters = compliance.FilterModule().filters()
    assert filters["efs_version_matches"](installed, pin) is matches
    assert filters["efs_upstream_version"](installed) == upstream

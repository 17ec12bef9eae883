# -*- coding: utf-8 -*-
from __future__ import annotations

import pytest

from ansible_collections.aws_efs.transit.plugins.module_utils import _pkg_repo as repo

MADISON = """amazon-efs-utils | 3.2.1~standin1 | http://10.0.2.100/efs stable/main all Packages
amazon-efs-utils | 3.2.0~standin1 | http://10.0.2.100/efs stable/main all Packages
other-package | 9.9.9 | http://10.0.2.100/efs stable/main all Packages
"""


def test_parse_madison_keeps_only_the_package():
    assert repo.parse_madison(MADISON, "amazon-efs-utils") == ["3.2.1~standin1", "3.2.0~standin1"]
    assert repo.parse_madison("", "amazon-efs-utils") == []


@pytest.mark.parametrize(
    "older,newer,want",
    [
        ("3.2.0", "3.2.0", 0),
        ("3.2.0~standin1", "3.2.0", -1),
        ("3.2.0", "3.2.0-1", -1),
        ("3.2.0-1", "3.2.0-2", -1),
        ("3.10.0", "3.9.1", 1),
        ("1:1.0", "3.2.0", 1),
        ("3.2.0-1.el9", "3.2.0-1.el8", 1),
        ("2.4.0-1", "2.4.0-1", 0),
    ],
)
def test_compare_versions(older, newer, want):
    assert repo.compare_versions(older, newer) == want
    swapped = (newer, older)
    assert repo.compare_versions(*swapped) == -want


def test_select_version_pin_latest_and_missing():
    have = ["3.2.1~standin1", "3.2.0~standin1", "3.1.3-1"]
    assert repo.select_version(have, "3.2.0") == ("3.2.0~standin1", None)
    assert repo.select_version(have, "latest") == ("3.2.1~standin1", None)
    assert repo.select_version(have, None) == ("3.2.1~standin1", None)
    version, problem = repo.select_version(have, "9.9.9")
    assert version is None
    assert problem == "the repository has no amazon-efs-utils 9.9.9; it has: 3.1.3-1, 3.2.0~standin1, 3.2.1~standin1"
    assert repo.select_version([], "3.2.0")[1].startswith("the repository offers no")


def test_select_version_takes_the_newest_revision_of_the_pin_never_a_longer_version():
    assert repo.select_version(["3.2.0-1", "3.2.0-2", "3.2.01-1", "3.2.0.1-1"], "3.2.0") == ("3.2.0-2", None)


def test_render_deb822_trusts_only_the_keyring():
    text = repo.render_deb822(
        "efs-utils", "https://x/repo/deb/ubuntu/24.04", "24.04", ["main"], "/etc/apt/keyrings/efs-utils.gpg"
    )
    lines = text.splitlines()
    assert "Types: deb" in lines
    assert "URIs: https://x/repo/deb/ubuntu/24.04" in lines
    assert "Suites: 24.04" in lines
    assert "Components: main" in lines
    assert "Signed-By: /etc/apt/keyrings/efs-utils.gpg" in lines
    assert text.endswith("\n")
    flat = repo.render_deb822("r", "file:///srv", "./", ["main"], "/k.gpg")
    assert "Components:" not in flat


@pytest.mark.parametrize("manager", ["dnf", "yum", "zypper"])
def test_render_rpm_repo_checks_packages_and_metadata(manager):
    text = repo.render_rpm_repo(
        "efs-utils", "https://x/repo/rpm/redhat/9.*", "/etc/pki/rpm-gpg/RPM-GPG-KEY-efs-utils", manager
    )
    lines = text.splitlines()
    for line in ("[efs-utils]", "gpgcheck=1", "repo_gpgcheck=1", "enabled=1", "baseurl=https://x/repo/rpm/redhat/9.*",
                 "gpgkey=file:///etc/pki/rpm-gpg/RPM-GPG-KEY-efs-utils"):  # fmt: skip
        assert line in lines
    assert ("type=rpm-md" in lines) == (manager == "zypper")


def test_paths_per_manager():
    assert repo.paths("apt", "efs-utils") == (
        "/etc/apt/sources.list.d/efs-utils.sources",
        "/etc/apt/keyrings/efs-utils.gpg",
    )
    assert repo.paths("dnf", "efs-utils") == (
        "/etc/yum.repos.d/efs-utils.repo",
        "/etc/pki/rpm-gpg/RPM-GPG-KEY-efs-utils",
    )
    assert repo.paths("dnf5", "e")[0] == "/etc/yum.repos.d/e.repo"
    assert repo.paths("zypper", "efs-utils")[0] == "/etc/zypp/repos.d/efs-utils.repo"
    assert repo.paths("apt", "x", "/r", "/k") == ("/r", "/k")


@pytest.mark.parametrize(
    "args,needle",
    [
        (("bad name", "https://x"), "repository name"),
        (("efs", "https://x y"), "white space"),
        (("efs", "https://x\nTypes: deb"), "white space"),
        (("efs", "ftp://x", "s"), "must be http"),
        (("efs", "https://x", None, ["main"], "apt"), "needs a suite"),
        (("efs", "https://x", "stable", ["ma in"], "apt"), "white space"),
    ],
)
def test_check_inputs_refuses_what_would_widen_the_definition(args, needle):
    assert needle in repo.check_inputs(*args)


def test_check_inputs_accepts_aws_defaults():
    assert (
        repo.check_inputs("efs-utils", "https://amazon-efs-utils.aws.com/repo/rpm/redhat/9.*", None, [], "dnf") is None
    )
    assert repo.check_inputs("efs-utils", "https://a/repo/deb/ubuntu/24.04", "24.04", ["main"], "apt") is None

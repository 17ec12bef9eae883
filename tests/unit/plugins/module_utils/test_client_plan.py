# -*- coding: utf-8 -*-
"""_client_plan.changes: the efs_client role's one rule for which steps must run on a host."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.aws_efs.transit.plugins.module_utils import _client_plan as cp

SHA = "0" * 40
OK_MOUNT = {"changed": False, "actions": [], "proof": {"path": "/mnt/efs", "compliant": True, "reasons": []}}

COMPLIANT = {
    "efs_utils": {
        "installed": True,
        "version": "3.2.0-1",
        "version_ok": True,
        "layout": "deb",
        "package": "amazon-efs-utils",
    },
    "stunnel": {"path": "/usr/bin/stunnel", "version": "5.68", "check_host": True},
    "relay": "efs-proxy",
    "watchdog": {"enabled": True, "active": True},
    "ca_file": {"path": "/etc/amazon/efs/ca.pem", "exists": True, "checksum": SHA, "owner": "root", "group": "root"},
    "config_plan": {"path": "/etc/amazon/efs/efs-utils.conf", "exists": True, "changed": False, "changes": []},
    "mounts": [OK_MOUNT],
}
WANTED = {
    "layout": "deb",
    "package": "amazon-efs-utils",
    "pin": "3.2.0",
    "method": "repo",
    "latest": False,
    "watchdog": True,
    "ca": {"checksum": SHA, "owner": "root", "group": "root", "mode": "0644"},
    "mount_count": 1,
}
COMPLIANT["ca_file"]["mode"] = "0644"


def info(**changes):
    out = copy.deepcopy(COMPLIANT)
    for path, value in changes.items():
        node = out
        keys = path.split("__")
        for key in keys[:-1]:
            node = node[key]
        node[keys[-1]] = value
    return out


def steps(result):
    return [s for s in cp.STEPS if result[s]]


def test_a_compliant_host_needs_nothing_and_its_judged_mounts_are_the_records():
    out = cp.changes(info(), WANTED)
    assert steps(out) == [] and not out["any"] and out["reasons"] == {}
    assert out["present"] is True and out["mount_results"] == [OK_MOUNT]


@pytest.mark.parametrize(
    "change, wanted, step, why",
    [
        ({"efs_utils__layout": "rpm"}, {}, "reread", "layout rpm, not deb"),
        ({"efs_utils__package": "aws-efs-utils"}, {}, "reread", "package aws-efs-utils"),
        ({"efs_utils__version": "2.1.0-1"}, {}, "install", "2.1.0-1 is not the pinned 3.2.0"),
        ({}, {"latest": True}, "install", "latest"),
        ({}, {"method": "url", "pin": None}, "install", "method url"),
        ({}, {"method": "file", "pin": "3.2.0", "package_version": "3.1.0"}, "install", "package file is 3.1.0"),
        ({"stunnel__path": None}, {}, "stunnel", "no stunnel"),
        ({"stunnel__check_host": False, "relay": "stunnel"}, {}, "stunnel", "cannot check host names"),
        ({"ca_file__checksum": "1" * 40}, {}, "ca", "checksum"),
        ({"ca_file__mode": "0600"}, {}, "ca", "mode is 0600"),
        ({"ca_file__exists": False}, {}, "ca", "missing"),
        (
            {"config_plan__changed": True, "config_plan__changes": [{"section": "mount", "key": "region"}]},
            {},
            "config",
            "[mount] region",
        ),
        ({"config_plan__error": "duplicate key"}, {}, "config", "duplicate key"),
        ({"config_plan__exists": False}, {}, "config", "does not exist"),
        ({"watchdog__active": False}, {}, "watchdog", "not enabled and running"),
        ({"mounts": [dict(OK_MOUNT, changed=True, actions=["write fstab line"])]}, {}, "mounts", "write fstab line"),
        ({"mounts": [dict(OK_MOUNT, failed=True, msg="holds a plain mount")]}, {}, "mounts", "holds a plain mount"),
        (
            {"mounts": [dict(OK_MOUNT, proof={"path": "/mnt/efs", "compliant": False, "reasons": ["no TLS"]})]},
            {},
            "mounts",
            "no TLS",
        ),
        ({"mounts": []}, {}, "mounts", "not judged"),
    ],
)
def test_each_step_runs_for_its_own_reason(change, wanted, step, why):
    out = cp.changes(info(**change), dict(WANTED, **wanted))
    assert step in steps(out) and why in out["reasons"][step], out["reasons"]
    assert out["any"]
    # Whatever else runs, efs_tls_mount's own results are the records then (mount_results null).
    assert (out["mount_results"] is None) is out["mounts"]


@pytest.mark.parametrize(
    "step, change", [("install", {"efs_utils__version": "2.1.0"}), ("config", {"config_plan__changed": True})]
)
def test_mounts_run_after_a_step_that_changes_what_they_read(step, change):
    out = cp.changes(info(**change), WANTED)
    assert out[step] and out["mounts"] and "after the %s step" % step in out["reasons"]["mounts"]
    assert out["mount_results"] is None


def test_watchdog_alone_leaves_the_mounts_alone_and_unwanted_watchdog_is_no_step():
    out = cp.changes(info(watchdog__enabled=False), WANTED)
    assert steps(out) == ["watchdog"] and out["mount_results"] == [OK_MOUNT]
    assert steps(cp.changes(info(watchdog__enabled=False), dict(WANTED, watchdog=False))) == []


def test_a_fresh_host_installs_and_nothing_else_is_judged_yet():
    fresh = info(efs_utils={"installed": False, "version": None, "layout": "deb", "package": "amazon-efs-utils"})
    out = cp.changes(fresh, WANTED)
    assert steps(out) == ["install"] and out["present"] is False
    # Not installed: efs_tls_mount's loop is skipped and the records say it did not run.
    assert out["mount_results"] is None


def test_without_a_ca_bundle_there_is_no_ca_step_and_a_pinless_file_method_installs():
    assert not cp.changes(info(ca_file=None), dict(WANTED, ca=None))["ca"]
    assert cp.changes(info(), dict(WANTED, method="file", pin=None))["install"]
    # A package file of the installed version: nothing to install.
    assert not cp.changes(info(), dict(WANTED, method="file", pin="3.2.0-1", package_version="3.2.0-1"))["install"]


def test_wanted_defaults_and_garbage_in():
    out = cp.changes(None, None)
    assert out["install"] and not out["mounts"] and out["present"] is False
    assert cp.ca_reason(None, {"checksum": SHA}) == "the CA bundle was not read"
    assert cp.mount_reason(None, 0) == "the mounts were not judged ahead"
    assert cp.mount_reason([], 0) is None

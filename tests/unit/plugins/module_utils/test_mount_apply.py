# -*- coding: utf-8 -*-
"""The actions of efs_tls_mount that are not covered end to end in test_efs_tls_mount.py."""

from __future__ import annotations

import os
from collections import namedtuple

import pytest

from ansible_collections.aws_efs.transit.plugins.module_utils import _mount_apply


def test_ensure_mount_point(tmp_path):
    target = tmp_path / "a" / "b"
    assert _mount_apply.ensure_mount_point(str(target)) is True and target.is_dir()
    assert _mount_apply.ensure_mount_point(str(target)) is False
    (tmp_path / "file").write_text("")
    with pytest.raises(OSError, match="not a directory"):
        _mount_apply.ensure_mount_point(str(tmp_path / "file"))


def test_remove_mount_point_only_when_empty(tmp_path):
    (tmp_path / "m").mkdir()
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("")
    assert _mount_apply.remove_mount_point(str(tmp_path / "m")) == "removed directory %s" % (tmp_path / "m")
    assert _mount_apply.remove_mount_point(str(tmp_path / "full")) is None and (tmp_path / "full" / "x").exists()
    assert _mount_apply.remove_mount_point(str(tmp_path / "missing")) is None


SPEC = namedtuple("Spec", "fs_id path")("fs-12345678", "/mnt/efs")
BASE = "fs-12345678.mnt.efs.20777"


def test_attempt_names_are_this_fs_and_path_only(tmp_path):
    for name in (
        "~" + BASE,
        "stunnel-config." + BASE,
        BASE + "+",
        "fs-12345678.mnt.efs.deeper.20778",
        "~fs-87654321.mnt.efs.20779",
        "stunnel-config.fs-12345678.mnt.efs2.20780",
    ):
        (tmp_path / name).write_text("")
    names = _mount_apply.attempt_names(str(tmp_path), SPEC)
    assert _mount_apply._bases(names, SPEC) == [BASE]
    assert _mount_apply.attempt_names(str(tmp_path / "none"), SPEC) == set()


def _config(tmp_path, output=None):
    text = ("output = %s\n" % output if output else "") + (
        "[efs]\nconnect = 10.0.0.9:2049\nCAfile = /etc/ca.pem\ncheckHost = fs-12345678.efs.us-east-1.amazonaws.com\n"
    )
    (tmp_path / ("stunnel-config." + BASE)).write_text(text)


def test_relay_refusal_reads_the_configured_log_and_skips_old_ones(tmp_path):
    log = tmp_path / "custom.log"
    log.write_text("LOG5[0]: Service [efs] accepted connection\nLOG4[0]: CERT: Subject checks failed\n")
    _config(tmp_path, output=str(log))
    got = _mount_apply.relay_refusal([BASE], str(tmp_path), str(tmp_path), since=0)
    assert got == {
        "reason": "host name does not match (checkHost fs-12345678.efs.us-east-1.amazonaws.com)",
        "line": "LOG4[0]: CERT: Subject checks failed",
        "file": str(log),
    }
    # A log last written before the attempt started says nothing about it.
    os.utime(log, (1000, 1000))
    assert _mount_apply.relay_refusal([BASE], str(tmp_path), str(tmp_path), since=2000) is None


def test_relay_refusal_default_log_name_and_hint(tmp_path):
    _config(tmp_path)
    hint = _mount_apply.relay_refusal([BASE], str(tmp_path), str(tmp_path), since=0)
    assert "stunnel_debug_enabled" in hint["hint"] and "10.0.0.9:2049" in hint["hint"]
    (tmp_path / (BASE + ".efs-proxy.log")).write_text(
        "WARN efs_proxy Failed to establish an initial connection to EFS. Error: [SSL: CERTIFICATE_VERIFY_FAILED] "
        "certificate verify failed: unable to get local issuer certificate (_ssl.c:992)\n"
    )
    got = _mount_apply.relay_refusal([BASE], str(tmp_path), str(tmp_path), since=0)
    assert got["reason"] == "certificate not trusted (CA bundle /etc/ca.pem): unable to get local issuer certificate"
    assert _mount_apply.relay_refusal([], str(tmp_path), str(tmp_path), since=0) is None

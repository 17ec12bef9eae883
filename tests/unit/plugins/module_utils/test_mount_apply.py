# -*- coding: utf-8 -*-
"""The actions of efs_tls_mount that are not covered end to end in test_efs_tls_mount.py."""

from __future__ import annotations

import pytest

from ansible_collections.aws_efs.transit.plugins.module_utils import _mount_apply


def test_ensure_mount_point(tmp_path):
    target = tmp_path / "a" / "b"
    assert _mount_apply.ensure_mount_point(str(target)) is True and target.is_dir()
    assert _mount_apply.ensure_mount_point(str(target)) is False
    (tmp_path / "file").write_text("")
    with pytest.raises(OSError, match="not a directory"):
        _mount_apply.ensure_mount_point(str(tmp_path / "file"))

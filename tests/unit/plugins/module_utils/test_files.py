# -*- coding: utf-8 -*-
"""The one locked atomic writer shared by fstab and efs-utils.conf (moved from test_fstab.py)."""

from __future__ import annotations

import fcntl
import os
import stat
import threading
import time
from pathlib import Path

import pytest

from ansible_collections.aws_efs.transit.plugins.module_utils import _files
from ansible_collections.aws_efs.transit.plugins.module_utils import _fstab

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "mount" / "fstab"
FS_ID = "fs-12345678"
OURS = "_netdev,tls"


def fixture(name):
    return _files.decode((FIXTURES / (name + ".fstab")).read_bytes())


@pytest.mark.parametrize(
    "path, expected",
    [("/mnt/efs/", "/mnt/efs"), ("//mnt//efs", "/mnt/efs"), ("/a/b/../c", "/a/c"), ("/", "/"), ("rel/x", "rel/x")],
)
def test_normalize_path(path, expected):
    assert _files.normalize_path(path) == expected


# ---------------------------------------------------------------- locked atomic write


def edit_to_ours(text):
    return _fstab.set_line(text, "/mnt/efs", FS_ID, "/", OURS)


def test_locked_update_writes_atomically_and_keeps_mode(tmp_path):
    path = tmp_path / "fstab"
    path.write_bytes((FIXTURES / "hostile_no_trailing_newline.fstab").read_bytes())
    os.chmod(path, 0o640)
    inode = path.stat().st_ino
    before, after, backup = _files.locked_update(str(path), edit_to_ours)
    assert before == fixture("hostile_no_trailing_newline")
    assert path.read_bytes() == _files.encode(after)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert path.stat().st_ino != inode  # renamed, not rewritten in place
    assert backup is None
    assert (tmp_path / ".fstab.efs.lock").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [".fstab.efs.lock", "fstab"]  # no temp file left


def test_locked_update_no_change_does_not_touch_the_file(tmp_path):
    path = tmp_path / "fstab"
    path.write_bytes((FIXTURES / "equivalent_other_order.fstab").read_bytes())
    inode = path.stat().st_ino
    calls = []
    _files.locked_update(str(path), edit_to_ours, backup=calls.append)
    assert path.stat().st_ino == inode and calls == []


def test_locked_update_uses_move_and_backup_callables(tmp_path):
    path = tmp_path / "fstab"
    path.write_text("a /a ext4 defaults 0 0\n")
    moved = []

    def move(src, dest):
        moved.append((os.path.dirname(src), dest))
        os.rename(src, dest)

    def backup(p):
        copy = p + ".bak"
        Path(copy).write_bytes(Path(p).read_bytes())
        return copy

    _b, _a, backup_file = _files.locked_update(str(path), edit_to_ours, move=move, backup=backup)
    assert moved == [(str(tmp_path), str(path))]  # temp file lives beside fstab
    assert Path(backup_file).read_text() == "a /a ext4 defaults 0 0\n"


def test_locked_update_creates_a_missing_file(tmp_path):
    path = tmp_path / "fstab"
    before, after, backup = _files.locked_update(str(path), edit_to_ours)
    assert before is None and backup is None and after == path.read_text()
    assert path.read_text() == "fs-12345678:/ /mnt/efs efs _netdev,tls 0 0\n"


def test_failed_move_leaves_original_and_no_temp(tmp_path):
    path = tmp_path / "fstab"
    path.write_text("a /a ext4 defaults 0 0\n")

    def broken(src, dest):
        raise OSError("disk full")

    with pytest.raises(OSError):
        _files.locked_update(str(path), edit_to_ours, move=broken)
    assert path.read_text() == "a /a ext4 defaults 0 0\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".fstab.efs.lock", "fstab"]


def test_concurrent_writer_change_is_not_lost(tmp_path):
    """Another writer holds the lock and appends a line; our update must be based on its result."""
    path = tmp_path / "fstab"
    path.write_text("a /a ext4 defaults 0 0\n")
    stale = path.read_text()  # what we planned from
    lock = open(_files.lock_path_for(str(path)), "a+")
    fcntl.flock(lock, fcntl.LOCK_EX)
    done = []

    def ours():
        done.append(_files.locked_update(str(path), edit_to_ours, lock_timeout=5))

    t = threading.Thread(target=ours)
    t.start()
    time.sleep(0.3)
    assert not done  # we are waiting for the lock
    tmp = tmp_path / "other.tmp"
    tmp.write_text(stale + "b /b xfs defaults 0 0\n")
    os.rename(tmp, path)  # the other writer also renames atomically
    fcntl.flock(lock, fcntl.LOCK_UN)
    lock.close()
    t.join(5)
    assert path.read_text() == (
        "a /a ext4 defaults 0 0\nb /b xfs defaults 0 0\n" "fs-12345678:/ /mnt/efs efs _netdev,tls 0 0\n"
    )
    assert done[0][0] == stale + "b /b xfs defaults 0 0\n"


def test_lock_timeout(tmp_path):
    path = tmp_path / "fstab"
    path.write_text("")
    lock = open(_files.lock_path_for(str(path)), "a+")
    fcntl.flock(lock, fcntl.LOCK_EX)
    try:
        with pytest.raises(TimeoutError):
            _files.locked_update(str(path), edit_to_ours, lock_timeout=0.2)
    finally:
        lock.close()
    assert path.read_text() == ""

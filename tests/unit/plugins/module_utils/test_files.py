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


# ---------------------------------------------------------------- symlinked fstab / efs-utils.conf


LINKED_TEXT = b"# caf\xe9 (latin-1)\n\tUUID=1 / ext4 defaults 0 1 # comment\n\n/dev/vdb /data xfs noauto 0 0"


def _linked(tmp_path, relative=True, chain=False):
    """etc/fstab -> ../data/fstab.real (optionally through a second link), mode 0640, owner nobody."""
    (tmp_path / "etc").mkdir()
    (tmp_path / "data").mkdir()
    real = tmp_path / "data" / "fstab.real"
    real.write_bytes(LINKED_TEXT)
    os.chmod(real, 0o640)
    try:
        os.chown(real, 65534, 65534)
    except PermissionError:
        pass
    link = tmp_path / "etc" / "fstab"
    target = real
    if chain:
        middle = tmp_path / "data" / "fstab.current"
        middle.symlink_to("fstab.real")
        target = middle
    link.symlink_to(os.path.relpath(target, link.parent) if relative else str(target))
    return link, real


@pytest.mark.parametrize("relative, chain", [(True, False), (False, False), (True, True)])
def test_symlinked_file_is_edited_where_the_link_points(tmp_path, relative, chain):
    link, real = _linked(tmp_path, relative, chain)
    link_text = os.readlink(link)
    st = real.stat()
    original = real.read_bytes()
    before, after, _backup = _files.locked_update(str(link), edit_to_ours)
    assert before == _files.decode(original) and original == LINKED_TEXT
    # The link is still the same link; its target holds the edit, with its mode and owner.
    assert link.is_symlink() and os.readlink(link) == link_text
    assert real.read_bytes() == _files.encode(after)
    new = real.stat()
    assert stat.S_IMODE(new.st_mode) == 0o640 and (new.st_uid, new.st_gid) == (st.st_uid, st.st_gid)
    assert new.st_ino != st.st_ino  # renamed over the target, not rewritten in place
    # Every byte but our line is as it was.
    assert _files.encode(after).replace(b"fs-12345678:/ /mnt/efs efs _netdev,tls 0 0\n", b"") == original + b"\n"
    # The temp file went beside the target, the lock stays beside the link; nothing else is left.
    assert sorted(p.name for p in (tmp_path / "etc").iterdir()) == [".fstab.efs.lock", "fstab"]
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == (
        ["fstab.current", "fstab.real"] if chain else ["fstab.real"]
    )
    if chain:
        assert (tmp_path / "data" / "fstab.current").is_symlink()


def test_symlinked_file_move_gets_the_target(tmp_path):
    """AnsibleModule.atomic_move renames over its dest: it must be given the target, not the link."""
    link, real = _linked(tmp_path)
    moved = []

    def move(src, dest):
        moved.append((os.path.dirname(src), dest))
        os.rename(src, dest)

    _files.locked_update(str(link), edit_to_ours, move=move)
    assert moved == [(str(tmp_path / "data"), str(real))]
    assert link.is_symlink()


def test_dangling_symlink_creates_the_target(tmp_path):
    (tmp_path / "data").mkdir()
    link = tmp_path / "fstab"
    link.symlink_to("data/fstab.real")
    before, _after, _b = _files.locked_update(str(link), edit_to_ours)
    assert before is None and link.is_symlink()
    assert (tmp_path / "data" / "fstab.real").read_text() == "fs-12345678:/ /mnt/efs efs _netdev,tls 0 0\n"


def test_write_target():
    assert _files.write_target("/nonexistent/fstab") == "/nonexistent/fstab"


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

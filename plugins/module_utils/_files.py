# -*- coding: utf-8 -*-
# Copyright: contributors to aws_efs.transit
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Files the collection edits (fstab, efs-utils.conf): read, lock, atomic write; path normalisation.

One writer: the new text goes to a temporary file beside the original, is fsynced, renamed over
it and the directory fsynced, all under an exclusive lock file beside the original. A symlinked
file (/etc/fstab -> elsewhere) is edited where the link points: the temporary file goes beside
the target and is renamed over it, so the link stays a link. Text is str decoded with
surrogateescape, so bytes that are not UTF-8 survive a round trip unchanged.
"""

from __future__ import annotations

import errno
import fcntl
import os
import posixpath
import tempfile
import time

ENCODING = "utf-8"


def decode(data):
    return data.decode(ENCODING, "surrogateescape")


def encode(text):
    return text.encode(ENCODING, "surrogateescape")


def normalize_path(path):
    """/a//b/../c -> /a/c, and a leading // becomes / (posixpath keeps it); relative paths stay."""
    if not path.startswith("/"):
        return path
    norm = posixpath.normpath(path)
    return "/" + norm.lstrip("/") if norm.startswith("//") else norm


def lock_path_for(path):
    return posixpath.join(posixpath.dirname(path) or ".", ".%s.efs.lock" % posixpath.basename(path))


def acquire_lock(fd, timeout):
    """An exclusive flock on the open file fd, waiting up to timeout seconds (TimeoutError after)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except OSError as e:
            if e.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            if time.monotonic() >= deadline:
                raise TimeoutError("could not lock %s within %s s" % (fd, timeout))
            time.sleep(0.05)


def read_text(path):
    try:
        with open(path, "rb") as f:
            return decode(f.read())
    except FileNotFoundError:
        return None


def _replace_keeping_attrs(tmp, path):
    try:
        st = os.stat(path)
    except FileNotFoundError:
        os.chmod(tmp, 0o644)
    else:
        os.chmod(tmp, st.st_mode & 0o7777)
        try:
            os.chown(tmp, st.st_uid, st.st_gid)
        except PermissionError:
            pass
    os.rename(tmp, path)


def write_target(path):
    """Where a write to `path` must land: the file a symlink (chain) points to, else `path` itself.

    Renaming over the link would replace it with a regular file; the lock stays beside `path`,
    where other writers look for it.
    """
    return os.path.realpath(path) if os.path.islink(path) else path


def locked_update(path, edit, move=None, backup=None, lock_timeout=30.0, lock_path=None):
    """Apply `edit(text) -> text` to the file at `path` under an exclusive lock.

    The file is re-read after the lock is taken, so an edit made by another
    writer while we planned is kept. The new text goes to a temp file in the
    same directory as the file (the link's target when `path` is a symlink),
    is fsynced and renamed over it by `move(tmp, target)`
    (AnsibleModule.atomic_move keeps owner, mode and SELinux context).
    Returns (before, after, backup_file); before is None if the file did not exist.
    """
    lock_path = lock_path or lock_path_for(path)
    lock_fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        acquire_lock(lock_fd, lock_timeout)
        before = read_text(path)
        after = edit(before or "")
        if before is not None and after == before:
            return before, after, None
        if before is None and after == "":
            return before, after, None
        backup_file = backup(path) if (backup and before is not None) else None
        target = write_target(path)
        directory = posixpath.dirname(target) or "."
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".%s.efs." % posixpath.basename(target))
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(encode(after))
                f.flush()
                os.fsync(f.fileno())
            (move or _replace_keeping_attrs)(tmp, target)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        return before, after, backup_file
    finally:
        os.close(lock_fd)

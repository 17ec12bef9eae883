# -*- coding: utf-8 -*-
# Copyright: contributors to aws_efs.transit
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""fstab as data: parse without losing a byte, edit one mount point, write atomically under a lock.

Text is handled as str decoded with surrogateescape, so bytes that are not
UTF-8 survive a round trip unchanged.
"""

from __future__ import annotations

import errno
import fcntl
import os
import posixpath
import re
import tempfile
import time

from ansible_collections.aws_efs.transit.plugins.module_utils._mount_options import option_set

ENCODING = "utf-8"
_ESCAPE_RE = re.compile(r"\\([0-7]{3})")
# libmount separates fields by space and tab only; NBSP, \f or \x1f are part of a field.
_FIELD_SEP_RE = re.compile(r"[ \t]+")


def decode(data):
    return data.decode(ENCODING, "surrogateescape")


def encode(text):
    return text.encode(ENCODING, "surrogateescape")


def unescape(field):
    """fstab/mountinfo octal escapes (\\040 space, \\011 tab, \\012 newline, \\134 backslash)."""
    return _ESCAPE_RE.sub(lambda m: chr(int(m.group(1), 8)), field)


def escape(field):
    return "".join("\\%03o" % ord(c) if c in " \t\n\\" else c for c in field)


def split_lines(text):
    """Lines with their '\\n' kept; only '\\n' ends a line (as for mount(8))."""
    return re.findall(r"[^\n]*\n|[^\n]+$", text)


class Entry(object):
    """One fstab line. `fields` is None for comments, blank and short lines."""

    __slots__ = ("index", "raw", "fields")

    def __init__(self, index, raw, fields):
        self.index = index
        self.raw = raw
        self.fields = fields

    @property
    def spec(self):
        return self.fields[0]

    @property
    def mount_point(self):
        return normalize_mount_point(unescape(self.fields[1]))

    @property
    def vfstype(self):
        return self.fields[2] if len(self.fields) > 2 else ""

    @property
    def options(self):
        return self.fields[3] if len(self.fields) > 3 else "defaults"

    @property
    def freq(self):
        return self.fields[4] if len(self.fields) > 4 else "0"

    @property
    def passno(self):
        return self.fields[5] if len(self.fields) > 5 else "0"

    @property
    def comment(self):
        """A trailing `# ...` after the six fields (libmount ignores what follows passno)."""
        return " ".join(self.fields[6:]) if len(self.fields) > 6 and self.fields[6].startswith("#") else None


def normalize_mount_point(path):
    if not path.startswith("/"):
        return path
    norm = posixpath.normpath(path)
    return "/" + norm.lstrip("/") if norm.startswith("//") else norm


def split_fields(body):
    """One line's fields as libmount sees them (None for comments, blank and short lines)."""
    if body.endswith("\r"):
        body = body[:-1]  # libmount drops one carriage return before the newline
    stripped = body.strip(" \t")
    if not stripped or stripped.startswith("#"):
        return None
    parts = _FIELD_SEP_RE.split(stripped)
    return parts if len(parts) >= 2 else None


def parse(text):
    return [
        Entry(index, raw, split_fields(raw[:-1] if raw.endswith("\n") else raw))
        for index, raw in enumerate(split_lines(text))
    ]


def find(entries, mount_point):
    """Entries whose mount point (field 2, escapes decoded) is `mount_point`."""
    target = normalize_mount_point(mount_point)
    return [e for e in entries if e.fields is not None and e.mount_point == target]


def source_spec(fs_id, subpath="/"):
    return "%s:%s" % (fs_id, subpath or "/")


def spec_fs_id(spec):
    """fs id named by an fstab source: fs-x, fs-x:/p, fs-x.efs.region..., az.fs-x.efs..."""
    host = spec.split(":", 1)[0]
    m = re.match(r"^(?:[a-z0-9-]+\.)?(fs-[0-9a-f]+)(?:\.efs\.|$)", host)
    return m.group(1) if m else None


def _spec_key(spec):
    host, _sep, path = spec.partition(":")
    path = normalize_mount_point(unescape(path or "/"))
    return host, path


def render_line(fs_id, subpath, mount_point, options_text):
    return "%s %s efs %s 0 0" % (escape(source_spec(fs_id, subpath)), escape(mount_point), options_text)


def equivalent(entry, fs_id, subpath, options_text):
    """Same source, type, option set and dump/pass: a hand-written line in another order, or with a
    trailing `# comment`, counts."""
    if entry.fields is None or (len(entry.fields) > 6 and entry.comment is None):
        return False
    return (
        _spec_key(entry.spec) == (fs_id, normalize_mount_point(subpath or "/"))
        and entry.vfstype == "efs"
        and option_set(entry.options) == option_set(options_text)
        and entry.freq == "0"
        and entry.passno == "0"
    )


def _join(entries):
    return "".join(e.raw for e in entries)


def set_line(text, mount_point, fs_id, subpath, options_text):
    """Make `mount_point` have exactly one equivalent line. Returns the new text.

    An equivalent line stays byte-identical; otherwise the first line for the
    mount point is replaced in place and later duplicates are dropped, so
    mount -a cannot stack two mounts on the path.
    """
    entries = parse(text)
    matches = find(entries, mount_point)
    if len(matches) == 1 and equivalent(matches[0], fs_id, subpath, options_text):
        return text
    new_line = render_line(fs_id, subpath, mount_point, options_text)
    if not matches:
        prefix = text if (text == "" or text.endswith("\n")) else text + "\n"
        return prefix + new_line + "\n"
    keep = matches[0] if equivalent(matches[0], fs_id, subpath, options_text) else None
    out = []
    for e in entries:
        if e is matches[0]:
            if keep is not None:
                out.append(e)
            else:
                ending = "\n" if e.raw.endswith("\n") else ""
                out.append(Entry(e.index, new_line + ending, None))
        elif e in matches:
            continue
        else:
            out.append(e)
    return _join(out)


def remove_lines(text, mount_point, fs_id):
    """Drop the lines for `mount_point` that name `fs_id`; other lines stay as they are."""
    entries = parse(text)
    ours = [e for e in find(entries, mount_point) if spec_fs_id(e.spec) == fs_id]
    if not ours:
        return text
    out = [e for e in entries if e not in ours]
    result = _join(out)
    # Keep "no trailing newline" if the file had none and we removed the last line.
    if text and not text.endswith("\n") and result.endswith("\n") and ours[-1] is entries[-1]:
        result = result[:-1]
    return result


def current_line(text, mount_point):
    """The first line for the mount point, without its newline (reporting)."""
    matches = find(parse(text), mount_point)
    return matches[0].raw.rstrip("\n") if matches else None


def restore(current_text, written_text, original_text, mount_point, original_lines):
    """Undo our edit without losing other writers' edits made since.

    If nobody touched the file since we wrote it, the original bytes come
    back. Otherwise our line(s) for the mount point are swapped for the lines
    that were there before.
    """
    if current_text == written_text:
        return original_text
    entries = parse(current_text)
    matches = find(entries, mount_point)
    out = []
    placed = False
    for e in entries:
        if e in matches:
            if not placed:
                for raw in original_lines:
                    out.append(Entry(-1, raw if raw.endswith("\n") else raw + "\n", None))
                placed = True
            continue
        out.append(e)
    if not placed and original_lines:
        tail = current_text if (current_text == "" or current_text.endswith("\n")) else current_text + "\n"
        return tail + "".join(r if r.endswith("\n") else r + "\n" for r in original_lines)
    return _join(out)


def lines_for(text, mount_point):
    return [e.raw for e in find(parse(text), mount_point)]


def lock_path_for(path):
    return posixpath.join(posixpath.dirname(path) or ".", ".%s.efs.lock" % posixpath.basename(path))


def _acquire(fd, timeout):
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


def locked_update(path, edit, move=None, backup=None, lock_timeout=30.0, lock_path=None):
    """Apply `edit(text) -> text` to the file at `path` under an exclusive lock.

    The file is re-read after the lock is taken, so an edit made by another
    writer while we planned is kept. The new text goes to a temp file in the
    same directory, is fsynced and renamed over the original by `move(tmp,
    path)` (AnsibleModule.atomic_move keeps owner, mode and SELinux context).
    Returns (before, after, backup_file); before is None if the file did not exist.
    """
    lock_path = lock_path or lock_path_for(path)
    lock_fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        _acquire(lock_fd, lock_timeout)
        before = read_text(path)
        after = edit(before or "")
        if before is not None and after == before:
            return before, after, None
        if before is None and after == "":
            return before, after, None
        backup_file = backup(path) if (backup and before is not None) else None
        directory = posixpath.dirname(path) or "."
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".%s.efs." % posixpath.basename(path))
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(encode(after))
                f.flush()
                os.fsync(f.fileno())
            (move or _replace_keeping_attrs)(tmp, path)
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

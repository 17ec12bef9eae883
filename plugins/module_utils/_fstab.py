# -*- coding: utf-8 -*-
# Copyright: contributors to aws_efs.transit
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""fstab as data: parse without losing a byte, edit one mount point (pure).

Reading and the atomic locked write are in _files.py; text is str decoded with
surrogateescape there, so bytes that are not UTF-8 survive a round trip unchanged.
"""

from __future__ import annotations

import re

from ansible_collections.aws_efs.transit.plugins.module_utils._files import normalize_path as normalize_mount_point
from ansible_collections.aws_efs.transit.plugins.module_utils._mount_options import option_set

_ESCAPE_RE = re.compile(r"\\([0-7]{3})")
# libmount separates fields by space and tab only; NBSP, \f or \x1f are part of a field.
_FIELD_SEP_RE = re.compile(r"[ \t]+")


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


def earlier_mount_of(text, fs_id, mount_point):
    """The mount point of the first boot-time efs line of `fs_id` above `mount_point`'s own line (anywhere,
    when it has none yet: a new line goes last), or None."""
    target = normalize_mount_point(mount_point)
    for e in parse(text):
        if e.fields is None or len(e.fields) < 4:
            continue
        if e.mount_point == target:
            return None
        if e.vfstype == "efs" and spec_fs_id(e.spec) == fs_id and "noauto" not in e.options.split(","):
            return e.mount_point
    return None


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

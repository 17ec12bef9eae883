# -*- coding: utf-8 -*-
# Copyright: contributors to aws_efs.transit
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The version of a .deb or .rpm package file, read on the controller without dpkg or rpm, so that the
role knows a package file's version (method file) before anything goes to the host. None whenever the
file cannot be read this way (the role then reads it on the host, as before)."""

from __future__ import annotations

import io
import re
import struct
import tarfile

AR_MAGIC = b"!<arch>\n"
RPM_LEAD = b"\xed\xab\xee\xdb"
RPM_HEADER = b"\x8e\xad\xe8\x01"
RPM_VERSION, RPM_RELEASE = 1001, 1002
_STRING = 6


def _ar_members(data):
    pos = len(AR_MAGIC)
    while pos + 60 <= len(data):
        header = data[pos : pos + 60]
        name = header[:16].decode("ascii", "replace").strip().rstrip("/")
        size = int(header[48:58].decode("ascii").strip() or 0)
        yield name, data[pos + 60 : pos + 60 + size]
        pos += 60 + size + (size % 2)


def deb_version(data):
    """The Version field of a .deb's control file (without an epoch), or None."""
    if not data.startswith(AR_MAGIC):
        return None
    for name, member in _ar_members(data):
        if not name.startswith("control.tar"):
            continue
        try:
            with tarfile.open(fileobj=io.BytesIO(member), mode="r:*") as tar:
                for entry in tar.getmembers():
                    if entry.name.lstrip("./") == "control" and entry.isfile():
                        text = tar.extractfile(entry).read().decode("utf-8", "replace")
                        match = re.search(r"(?m)^Version:\s*(\S+)", text)
                        return re.sub(r"^\d+:", "", match.group(1)) if match else None
        except (tarfile.TarError, OSError, EOFError, ValueError):
            return None  # control.tar.zst and others tarfile cannot open
    return None


def _rpm_header(data, pos):
    """({tag: (type, offset, count)}, store bytes, end) of the header at pos."""
    if data[pos : pos + 4] != RPM_HEADER:
        raise ValueError("no RPM header")
    nindex, hsize = struct.unpack(">II", data[pos + 8 : pos + 16])
    entries = {}
    for i in range(nindex):
        tag, typ, offset, count = struct.unpack(">IIII", data[pos + 16 + 16 * i : pos + 32 + 16 * i])
        entries[tag] = (typ, offset, count)
    start = pos + 16 + 16 * nindex
    return entries, data[start : start + hsize], start + hsize


def _rpm_string(entries, store, tag):
    typ, offset, _count = entries[tag]
    if typ != _STRING:
        raise ValueError("tag %d is not a string" % tag)
    return store[offset : store.index(b"\0", offset)].decode("utf-8")


def rpm_version(data):
    """VERSION-RELEASE of an .rpm (what `rpm -qp --qf '%{VERSION}-%{RELEASE}'` prints), or None."""
    if not data.startswith(RPM_LEAD):
        return None
    try:
        _sig, _store, end = _rpm_header(data, 96)
        end += (8 - end % 8) % 8  # the signature header is padded to 8 bytes
        entries, store, _end = _rpm_header(data, end)
        return "%s-%s" % (_rpm_string(entries, store, RPM_VERSION), _rpm_string(entries, store, RPM_RELEASE))
    except (ValueError, KeyError, struct.error, UnicodeDecodeError):
        return None


def package_version(data):
    """The version of a .deb or .rpm package's bytes, or None."""
    return deb_version(data) or rpm_version(data)

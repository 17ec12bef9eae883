# -*- coding: utf-8 -*-
"""_package_file: a .deb's or .rpm's version read on the controller without dpkg or rpm; the lookup over it."""

from __future__ import annotations

import io
import json
import struct
import subprocess
import sys
import tarfile

import pytest

from ansible_collections.aws_efs.transit.plugins.plugin_utils import _package_file as pf


def _ar(members):
    out = [pf.AR_MAGIC]
    for name, data in members:
        header = b"%-16s%-12d%-6d%-6d%-8s%-10d`\n" % (name.encode(), 0, 0, 0, b"100644", len(data))
        out.append(header + data + (b"\n" if len(data) % 2 else b""))
    return b"".join(out)


def _tar(files, mode):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def deb(version, compression="gz", control_name="./control"):
    control = b"Package: amazon-efs-utils\nVersion: %s\nArchitecture: all\n" % version.encode()
    suffix = {"gz": ".gz", "xz": ".xz", "": ""}[compression]
    mode = "w:" + compression if compression else "w"
    return _ar(
        [
            ("debian-binary", b"2.0\n"),
            ("control.tar" + suffix, _tar({control_name: control}, mode)),
            ("data.tar.gz", _tar({"./sbin/mount.efs": b"#!/bin/sh\n"}, "w:gz")),
        ]
    )


def _header(tags):
    """An RPM header structure: tags {tag: string}."""
    store, index = b"", b""
    for tag, value in tags.items():
        index += struct.pack(">IIII", tag, 6, len(store), 1)
        store += value.encode() + b"\0"
    return pf.RPM_HEADER + b"\0" * 4 + struct.pack(">II", len(tags), len(store)) + index + store


def rpm(version, release):
    lead = pf.RPM_LEAD + b"\x03\x00" + b"\0" * 90
    sig = _header({1000: "sha"})  # 1000 bytes-ish signature stand-in
    pad = b"\0" * ((8 - len(sig) % 8) % 8)
    return lead + sig + pad + _header({1000: "amazon-efs-utils", 1001: version, 1002: release}) + b"payload"


@pytest.mark.parametrize("compression", ["gz", "xz", ""])
def test_deb_version_from_its_control_file(compression):
    assert pf.package_version(deb("3.2.0~standin1", compression)) == "3.2.0~standin1"


def test_deb_epoch_is_dropped_and_control_without_dot_slash_is_found():
    assert pf.deb_version(deb("1:3.2.0-1", control_name="control")) == "3.2.0-1"


def test_rpm_version_release():
    assert pf.package_version(rpm("3.2.0", "1.amzn2023")) == "3.2.0-1.amzn2023"


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not a package at all",
        pf.AR_MAGIC + b"garbage",
        _ar([("debian-binary", b"2.0\n"), ("control.tar.zst", b"(\xb5/\xfd zstd")]),
        pf.RPM_LEAD + b"\0" * 200,
        rpm("3.2.0", "1")[:150],
    ],
)
def test_unreadable_is_none(data):
    assert pf.package_version(data) is None


LOOKUP = """
import json, sys
from ansible.parsing.dataloader import DataLoader
from ansible_collections.aws_efs.transit.plugins.lookup.efs_package_version import LookupModule
print(json.dumps(LookupModule(loader=DataLoader()).run(sys.argv[1:], variables={})))
"""


def test_lookup_reads_files_and_answers_empty_for_the_rest(tmp_path):
    # In its own process: the controller's plugin loader changes how later module tests see warnings.
    (tmp_path / "a.deb").write_bytes(deb("3.2.0~standin1"))
    (tmp_path / "b.txt").write_text("hello")
    terms = [str(tmp_path / "a.deb"), str(tmp_path / "b.txt"), str(tmp_path / "missing.deb")]
    out = subprocess.run([sys.executable, "-c", LOOKUP] + terms, capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.splitlines()[-1]) == ["3.2.0~standin1", "", ""]

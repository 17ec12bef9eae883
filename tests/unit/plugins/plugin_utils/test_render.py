# -*- coding: utf-8 -*-
"""Renderings: Markdown, JUnit XML (a testcase per host, mount and file system) and the SVG chart."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from ansible_collections.aws_efs.transit.plugins.plugin_utils import _render as rd
from ansible_collections.aws_efs.transit.plugins.plugin_utils import _report as rp

from .test_report import ENFORCES, META, OPEN

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def doc(fleet):
    return rp.build(
        fleet,
        [{"file_system_id": "fs-12345678", "verdict": ENFORCES}, {"file_system_id": "fs-aaaaaaaa", "verdict": OPEN}],
        ["web1", "web2", "db1"],
        META,
    )


def test_markdown_headline_tables_and_every_failure(doc):
    md = rd.markdown(doc)
    lines = md.splitlines()
    assert lines[0] == "# " + rp.headline(doc)
    assert "| hosts | 1 | 3 |" in lines
    for failure in doc["failures"]:
        assert "- " + failure.replace("|", "\\|") in lines
    assert "| `fs-12345678` | **no** | enforces TLS | web2 | web1 | web1 mounts it at /mnt/plain without TLS |" in lines
    assert "| `fs-aaaaaaaa` | **no** | does NOT enforce TLS |" in md
    # Each table's separator has as many cells as its header.
    for i, line in enumerate(lines):
        if line.startswith("|---"):
            assert line.count("---") == lines[i - 1].count(" | ") + 1
    # The host's own efs-utils.conf, not the role's variables.
    assert (
        "| web1 | **no** | i-0123456789abcdef0 | us-east-1 | 3.2.0-1 | stunnel | on | off | off | `/etc/amazon/efs/test-ca.pem` |"
        in md
    )


def test_markdown_escapes_cells():
    record = {"host": "h|1", "compliant": False, "problems": ["a|b\nc"], "mounts": []}
    md = rd.markdown(rp.build([record], meta=META))
    assert "| h\\|1 | **no** |" in md and "a\\|b c" in md


def test_junit_a_testcase_per_host_mount_and_file_system(doc):
    root = ET.fromstring(rd.junit(doc))
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert set(suites) == {"efs_transit.hosts", "efs_transit.mounts", "efs_transit.file_systems"}
    mounts = suites["efs_transit.mounts"].findall("testcase")
    assert len(mounts) == doc["summary"]["mounts_total"]
    assert len(suites["efs_transit.file_systems"].findall("testcase")) == len(doc["file_systems"])
    failed = {c.get("classname") + " " + c.get("name") for c in mounts if c.find("failure") is not None}
    assert "efs_transit.mounts.web1 /mnt/plain (fs-12345678)" in failed
    assert len(failed) == doc["summary"]["mounts_total"] - doc["summary"]["mounts_compliant"]
    skipped = [c.get("name") for c in mounts if c.find("skipped") is not None]
    assert "/mnt/s3 (not EFS)" in skipped
    fs_failed = [c.get("name") for c in suites["efs_transit.file_systems"] if c.find("failure") is not None]
    assert "fs-aaaaaaaa" in fs_failed and "fs-12345678" in fs_failed
    total = sum(int(s.get("tests")) for s in suites.values())
    assert root.get("tests") == str(total)
    assert root.get("failures") == str(sum(int(s.get("failures")) for s in suites.values()))


def test_junit_all_green():
    root = ET.fromstring(rd.junit(rp.build([], [{"file_system_id": "fs-12345678", "verdict": ENFORCES}], meta=META)))
    assert root.get("failures") == "0" and root.get("tests") == "1"


def _texts(svg):
    return [t.text for t in ET.fromstring(svg).iter(SVG + "text")]


def test_svg_a_row_per_file_system_with_counts_and_verdict(doc):
    svg = rd.svg(doc)
    root = ET.fromstring(svg)
    assert root.tag == SVG + "svg" and root.find(SVG + "title").text == rp.headline(doc)
    texts = _texts(svg)
    assert "EFS encryption in transit: NOT COMPLIANT" in texts
    for fs in doc["file_systems"]:
        assert fs["file_system_id"] in texts
    assert "1 over TLS, 1 without TLS" in texts
    assert "policy enforces TLS" in texts and "policy allows plain NFS" in texts and "policy not checked" in texts
    # Red and green bars both appear; widths follow the host counts.
    fills = [r.get("fill") for r in root.iter(SVG + "rect")]
    assert rd.GREEN in fills and rd.RED in fills


def test_svg_compliant_and_empty():
    ok = rd.svg(rp.build([], [{"file_system_id": "fs-12345678", "verdict": ENFORCES}], meta=META))
    assert "EFS encryption in transit: COMPLIANT" in _texts(ok) and "no audited host mounts it" in _texts(ok)
    empty = rd.svg(rp.build([], [], meta=META))
    assert any(t.startswith("no EFS file systems found") for t in _texts(empty))

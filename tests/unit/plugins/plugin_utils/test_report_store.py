# -*- coding: utf-8 -*-
"""Reports on disk: finding the files to merge, reading them, one writer at a time."""

from __future__ import annotations

import json
import os

import pytest

from ansible_collections.aws_efs.transit.plugins.plugin_utils import _report_store as st

DOC = {"schema_version": "1.0", "hosts": [], "file_systems": []}


def write(path, content):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return str(path)


def test_directories_globs_and_files(tmp_path):
    # What ansible.builtin.fetch leaves: dest/<host>/<path on the host>.
    a = write(tmp_path / "hosts" / "web1" / "var" / "report" / "r.json", DOC)
    b = write(tmp_path / "hosts" / "web2" / "var" / "report" / "r.json", DOC)
    write(tmp_path / "hosts" / "web2" / "var" / "report" / "r.md", "# not json")
    c = write(tmp_path / "one.json", DOC)
    assert st.report_paths([str(tmp_path / "hosts")]) == [a, b]
    assert st.report_paths([str(tmp_path / "hosts" / "*" / "var" / "report" / "*.json"), c, c]) == [a, b, c]
    assert st.report_paths([str(tmp_path / "missing.json")]) == [str(tmp_path / "missing.json")]


def test_read_reports_leaves_out_what_is_not_a_report(tmp_path):
    good = write(tmp_path / "d" / "good.json", DOC)
    write(tmp_path / "d" / "half.json", '{"schema_version": "1.0", "hosts": [')
    write(tmp_path / "d" / "other.json", {"some": "thing"})
    own = write(tmp_path / "d" / "own.json", DOC)
    docs, problems = st.read_reports([str(tmp_path / "d"), str(tmp_path / "gone.json")], skip=[own, None])
    assert docs == [DOC]
    assert len(problems) == 3 and any("half.json: not read" in p for p in problems)
    assert any("other.json: not an aws_efs.transit report" in p for p in problems)
    assert st.read_report(good) == (DOC, None)


def test_one_writer_at_a_time(tmp_path):
    with st.locked(str(tmp_path), "rep") as path:
        assert os.path.basename(path) == ".rep.lock"
        # flock locks belong to an open file: a second open in this process is another writer.
        with pytest.raises(OSError, match="cannot lock"):
            with st.locked(str(tmp_path), "rep", timeout=0.3):
                pass
    with st.locked(str(tmp_path), "rep"):
        pass

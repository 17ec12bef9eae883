# -*- coding: utf-8 -*-
# Copyright: contributors to aws_efs.transit
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reports on disk (controller side): finding and reading earlier reports to merge, and one writer
at a time for a report directory that several runs share (ansible-pull hosts on a shared file
system, AWX job slices). The merge itself is _report.merge_runs (pure)."""

from __future__ import annotations

import contextlib
import glob
import json
import os

from ansible_collections.aws_efs.transit.plugins.module_utils import _files

LOCK_TIMEOUT = 120


def report_paths(paths):
    """Files to merge: a directory means every *.json under it (fetch's dest/<host>/... trees too),
    anything else a file or a glob pattern."""
    out = []
    for raw in paths or []:
        path = os.path.expanduser(str(raw))
        if os.path.isdir(path):
            found = glob.glob(os.path.join(path, "**", "*.json"), recursive=True)
        else:
            found = glob.glob(path) or [path]
        out.extend(sorted(found))
    seen = set()
    return [p for p in out if not (os.path.realpath(p) in seen or seen.add(os.path.realpath(p)))]


def read_report(path):
    """(document, None) for a report, (None, why) for anything else: a file another host is still
    writing, an unrelated JSON file, a file that is not there."""
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        return None, "%s: not read (%s)" % (path, e)
    if not isinstance(doc, dict) or "schema_version" not in doc or not isinstance(doc.get("hosts"), list):
        return None, "%s: not an aws_efs.transit report" % path
    return doc, None


def read_reports(paths, skip=()):
    """The reports among paths (skip: paths not to read, e.g. the destination's own report) and a
    line per file left out."""
    skipped = {os.path.realpath(p) for p in skip if p}
    docs, problems = [], []
    for path in report_paths(paths):
        if os.path.realpath(path) in skipped:
            continue
        doc, problem = read_report(path)
        if doc is None:
            problems.append(problem)
        else:
            docs.append(doc)
    return docs, problems


@contextlib.contextmanager
def locked(directory, name, timeout=None):
    """An exclusive flock on <directory>/.<name>.lock for a read-merge-write of the report (NFS
    clients, EFS included, take it as a POSIX lock on the server)."""
    path = os.path.join(directory, ".%s.lock" % name)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            _files.acquire_lock(fd, LOCK_TIMEOUT if timeout is None else timeout)
        except OSError as e:
            raise OSError(e.errno, "cannot lock %s: %s" % (path, e.strerror or e)) from None
        yield path
    finally:
        os.close(fd)

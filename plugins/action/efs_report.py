# -*- coding: utf-8 -*-
# Copyright: contributors to aws_efs.transit
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build the fleet's compliance report on the controller and write its renderings (see modules/efs_report.py)."""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import socket
import tempfile

from ansible.module_utils.common.text.converters import to_native
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase
from ansible.release import __version__ as ANSIBLE_CORE_VERSION

from ansible_collections.aws_efs.transit.plugins.plugin_utils import _render, _report, _report_store

COLLECTION_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FORMATS = {"json": ".json", "markdown": ".md", "junit": ".junit.xml", "svg": ".svg"}


def collection_version(root=COLLECTION_ROOT):
    """From MANIFEST.json (an installed collection) or galaxy.yml (a checkout)."""
    try:
        with open(os.path.join(root, "MANIFEST.json"), encoding="utf-8") as f:
            return json.load(f)["collection_info"]["version"]
    except (OSError, ValueError, KeyError, TypeError):
        pass
    try:
        with open(os.path.join(root, "galaxy.yml"), encoding="utf-8") as f:
            for line in f:
                if line.startswith("version:"):
                    return line.split(":", 1)[1].strip().strip("'\"")
    except OSError:
        pass
    return None


def run_id():
    """One id per ansible-playbook process: workers are forked from it, so it is our parent."""
    ppid = os.getppid()
    start = ""
    try:
        with open("/proc/%d/stat" % ppid, encoding="ascii", errors="replace") as f:
            start = f.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        pass
    return "%s-%d-%s" % (socket.gethostname(), ppid, start)


def write_atomic(path, text):
    directory = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def render(doc, fmt):
    if fmt == "json":
        return json.dumps(doc, indent=2, sort_keys=False) + "\n"
    return {"markdown": _render.markdown, "junit": _render.junit, "svg": _render.svg}[fmt](doc)


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _VALID_ARGS = frozenset(
        (
            "hosts",
            "record_var",
            "records",
            "policies",
            "dest",
            "name",
            "formats",
            "mode",
            "undeclared",
            "merge",
            "merge_runs",
            "merge_from",
            "merge_max_age",
        )
    )

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        args = self._task.args
        # hosts: [] means no host (an audit of an empty group), not "this play's hosts".
        given = args.get("hosts")
        hosts = [to_native(h) for h in (given if given is not None else task_vars.get("ansible_play_hosts_all") or [])]
        records = args.get("records")
        if records is None:
            hostvars = task_vars.get("hostvars") or {}
            var = args.get("record_var") or "efs_client_compliance"
            records = []
            for name in hosts:
                rec = hostvars[name].get(var) if name in hostvars else None
                if isinstance(rec, dict):
                    records.append(rec)
        formats = args.get("formats") or list(FORMATS)
        unknown = [f for f in formats if f not in FORMATS]
        if unknown:
            return dict(result, failed=True, msg="unknown formats %s (choose from %s)" % (unknown, ", ".join(FORMATS)))
        meta = {
            "generated_at": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "collection_version": collection_version(),
            "ansible_core_version": ANSIBLE_CORE_VERSION,
            "mode": args.get("mode") or "audit",
            "check_mode": bool(self._task.check_mode or self._play_context.check_mode),
            "run_id": run_id(),
            "undeclared_mounts": args.get("undeclared") or "fail",
        }
        dest = args.get("dest")
        name = args.get("name") or "efs-transit-compliance"
        try:
            merge_runs = boolean(args.get("merge_runs", False), strict=True)
            merge_from = args.get("merge_from") or []
            merge_from = [to_native(p) for p in ([merge_from] if isinstance(merge_from, str) else merge_from)]
            max_age = args.get("merge_max_age")
            max_age = None if max_age in (None, "") else int(max_age)
            if max_age is not None and max_age < 0:
                raise ValueError("merge_max_age must be 0 or more seconds")
        except (TypeError, ValueError) as e:
            return dict(result, failed=True, msg="bad merge options: %s" % to_native(e))
        json_path = os.path.join(dest, name + FORMATS["json"]) if dest else None
        files = {}
        try:
            if dest:
                os.makedirs(dest, exist_ok=True)
            # One writer at a time: runs that share the directory merge into each other's report.
            with _report_store.locked(dest, name) if dest else contextlib.nullcontext():
                doc, skipped = self._build(args, json_path, merge_runs, merge_from, max_age, records, hosts, meta)
                if doc is None:
                    return dict(result, failed=True, msg=skipped)
                for fmt in formats if dest else []:
                    path = os.path.join(dest, name + FORMATS[fmt])
                    write_atomic(path, render(doc, fmt))
                    files[fmt] = path
        except OSError as e:
            return dict(result, failed=True, msg="cannot write the report in %s: %s" % (dest, to_native(e)))
        if skipped:
            result["warnings"] = ["efs_report: left out of the merge: %s" % line for line in skipped]
        # Reports are outputs with a timestamp, not managed state: writing one is not a change.
        result.update(
            changed=False,
            report=doc,
            compliant=doc["compliant"],
            headline=_report.headline(doc),
            failures=doc["failures"],
            warnings_found=doc["warnings"],
            msg=_report.message(doc),
            files=files,
            ansible_stats={"data": _report.stats(doc), "per_host": False, "aggregate": False},
        )
        return result

    @staticmethod
    def _build(args, json_path, merge_runs, merge_from, max_age, records, hosts, meta):
        """(the document, lines about reports left out of the merge), or (None, why not)."""
        previous = None
        if json_path and (args.get("merge", True) or merge_runs) and os.path.isfile(json_path):
            previous, _problem = _report_store.read_report(json_path)
        policies = args.get("policies") or []
        try:
            if not (merge_runs or merge_from):
                return _report.merge(previous, records, policies, hosts, meta), []
            docs, skipped = _report_store.read_reports(merge_from, skip=[json_path])
            if previous is not None and (merge_runs or previous.get("run_id") == meta["run_id"]):
                docs.insert(0, previous)
            return _report.merge_runs(docs, records, policies, hosts, meta, max_age), skipped
        except (TypeError, ValueError, KeyError, AttributeError) as e:
            return None, "cannot build the report: %s" % to_native(e)

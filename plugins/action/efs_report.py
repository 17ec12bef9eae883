# -*- coding: utf-8 -*-
# Copyright: contributors to aws_efs.transit
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build the fleet's compliance report on the controller and write its renderings (see modules/efs_report.py)."""

from __future__ import annotations

import datetime
import json
import os
import socket
import tempfile

from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.action import ActionBase
from ansible.release import __version__ as ANSIBLE_CORE_VERSION

from ansible_collections.aws_efs.transit.plugins.plugin_utils import _render, _report

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
        ("hosts", "record_var", "records", "policies", "dest", "name", "formats", "mode", "undeclared", "merge")
    )

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        args = self._task.args
        hosts = [to_native(h) for h in args.get("hosts") or task_vars.get("ansible_play_hosts_all") or []]
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
        previous = None
        json_path = os.path.join(dest, name + FORMATS["json"]) if dest else None
        if json_path and args.get("merge", True) and os.path.isfile(json_path):
            try:
                with open(json_path, encoding="utf-8") as f:
                    previous = json.load(f)
            except (OSError, ValueError):
                previous = None
        try:
            doc = _report.merge(previous, records, args.get("policies") or [], hosts, meta)
        except (TypeError, ValueError, KeyError, AttributeError) as e:
            return dict(result, failed=True, msg="cannot build the report: %s" % to_native(e))
        files = {}
        if dest:
            try:
                os.makedirs(dest, exist_ok=True)
                for fmt in formats:
                    path = os.path.join(dest, name + FORMATS[fmt])
                    write_atomic(path, render(doc, fmt))
                    files[fmt] = path
            except OSError as e:
                return dict(result, failed=True, msg="cannot write the report in %s: %s" % (dest, to_native(e)))
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

# Test-only callback: counts, per host, the tasks that ran a module on that host (skipped tasks,
# controller-only actions and tasks delegated elsewhere are not counted) plus changed/failed,
# and writes them as JSON to $EXEC_COUNTER_FILE at the end of the run.
from __future__ import annotations

DOCUMENTATION = """
name: exec_counter
type: aggregate
short_description: counts module executions per host (tests and benchmarks only)
description: Writes per-host executions, changed, failed and task names as JSON to EXEC_COUNTER_FILE.
requirements:
  - enabled through ANSIBLE_CALLBACKS_ENABLED
"""

import json
import os
from collections import defaultdict

from ansible.plugins.callback import CallbackBase

CONTROLLER_ONLY = {
    "set_fact",
    "debug",
    "assert",
    "fail",
    "meta",
    "add_host",
    "group_by",
    "include_vars",
    "include_tasks",
    "import_tasks",
    "include_role",
    "import_role",
    "set_stats",
    "pause",
    "validate_argument_spec",
}


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "exec_counter"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self.hosts = defaultdict(lambda: {"executions": 0, "changed": 0, "failed": 0, "tasks": []})

    def _record(self, result, failed=False):
        action = result._task.action.split(".")[-1]
        host = result._host.get_name()
        delegated = result._task.delegate_to
        if action in CONTROLLER_ONLY or result._result.get("skipped") or delegated not in (None, host):
            return
        items = result._result.get("results")
        runs = 1 if items is None else sum(1 for r in items if not r.get("skipped"))
        entry = self.hosts[host]
        entry["executions"] += runs
        entry["changed"] += int(bool(result._result.get("changed")))
        entry["failed"] += int(failed)
        entry["tasks"].append(result._task.get_name())

    def v2_runner_on_ok(self, result):
        self._record(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, failed=not ignore_errors)

    def v2_playbook_on_stats(self, stats):
        path = os.environ.get("EXEC_COUNTER_FILE")
        if path:
            with open(path, "w", encoding="utf-8") as f:
                json.dump(self.hosts, f, indent=2, sort_keys=True)

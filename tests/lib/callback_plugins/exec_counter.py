# The one callback for module-execution counts and task times, used by the tests and (through
# tests/lib/env.sh) by the benchmarks. A task counts as one execution on a host when it ran a
# module there: skipped tasks, controller-only actions and tasks delegated to another host do not
# count; a loop counts its non-skipped items. Writes, at the end of the run:
#   $EXEC_COUNTER_FILE: {host: {executions, changed, failed, tasks}} (when set);
#   $EXEC_TASK_TIMES:   [{task, action, host, seconds, changed, failed, skipped, delegated, module_runs, actions}].
from __future__ import annotations

DOCUMENTATION = """
name: exec_counter
type: aggregate
short_description: module executions per host and per-task wall times (tests and benchmarks only)
description:
  - Writes per-host executions, changed, failed and task names as JSON to EXEC_COUNTER_FILE, and every
    task's per-host wall time (task start to that host's result) to EXEC_TASK_TIMES, each only when set.
  - Delegation is recognised from the task (ansible-core 2.19 strips ansible_delegated_host from the
    results callbacks see).
requirements:
  - enabled through ANSIBLE_CALLBACKS_ENABLED
"""

import json
import os
import time
from collections import defaultdict

from ansible.plugins.callback import CallbackBase

# Actions that run on the controller only: never a module execution on the host.
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


def module_runs(action, host, delegate_to, result, skipped):
    """How many module executions on `host` one task result stands for (the one counting rule)."""
    if skipped or result.get("skipped") or delegate_to not in (None, "", host):
        return 0
    if action.split(".")[-1] in CONTROLLER_ONLY:
        return 0
    items = result.get("results")
    return 1 if items is None else sum(1 for r in items if not r.get("skipped"))


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "exec_counter"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self.started = {}
        self.rows = []
        self.hosts = defaultdict(lambda: {"executions": 0, "changed": 0, "failed": 0, "tasks": []})

    def v2_playbook_on_task_start(self, task, is_conditional):
        self.started[task._uuid] = time.monotonic()

    def v2_playbook_on_handler_task_start(self, task):
        self.started[task._uuid] = time.monotonic()

    def _record(self, result, failed=False, skipped=False):
        task, host = result._task, result._host.get_name()
        runs = module_runs(task.action, host, task.delegate_to, result._result, skipped)
        changed = bool(result._result.get("changed"))
        start = self.started.get(task._uuid)
        self.rows.append(
            {
                "task": task.get_name(),
                "action": task.action,
                "host": host,
                "seconds": round(time.monotonic() - start, 4) if start is not None else 0.0,
                "changed": changed,
                "failed": failed,
                "skipped": skipped,
                "delegated": task.delegate_to not in (None, "", host),
                "module_runs": runs,
                "actions": result._result.get("actions"),
            }
        )
        if runs:
            entry = self.hosts[host]
            entry["executions"] += runs
            entry["changed"] += int(changed)
            entry["failed"] += int(failed)
            entry["tasks"].append(task.get_name())

    def v2_runner_on_ok(self, result):
        self._record(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, failed=not ignore_errors)

    def v2_runner_on_skipped(self, result):
        self._record(result, skipped=True)

    def v2_playbook_on_stats(self, stats):
        for variable, data in (("EXEC_COUNTER_FILE", self.hosts), ("EXEC_TASK_TIMES", self.rows)):
            path = os.environ.get(variable)
            if path:
                with open(path, "w", encoding="utf-8") as f:
                    json.dump(data, f, indent=2, sort_keys=variable == "EXEC_COUNTER_FILE")

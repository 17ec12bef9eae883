# Benchmark-only callback: wall time of every task on every host (task start -> that host's
# result), written as JSON to BENCH_TASK_TIMES at the end of the run.
from __future__ import annotations

DOCUMENTATION = """
name: task_timer
type: aggregate
short_description: per-task, per-host wall times (benchmarks only)
description:
  - Writes a list of {task, action, host, seconds, changed, failed, skipped, delegated, module_runs} to
    BENCH_TASK_TIMES.
  - module_runs counts the module executions the task caused on the host itself, like
    tests/lib/callback_plugins/exec_counter.py, but recognises delegation from the task (ansible-core
    2.19 strips ansible_delegated_host from the results callbacks see).
requirements:
  - enabled through ANSIBLE_CALLBACKS_ENABLED
"""

import json
import os
import time

from ansible.plugins.callback import CallbackBase

# The same set as tests/lib/callback_plugins/exec_counter.py: actions that run on the controller.
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
    CALLBACK_NAME = "task_timer"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self.started = {}
        self.rows = []

    def v2_playbook_on_task_start(self, task, is_conditional):
        self.started[task._uuid] = time.monotonic()

    def _record(self, result, failed=False, skipped=False):
        start = self.started.get(result._task._uuid)
        if start is None:
            return
        host = result._host.get_name()
        delegated = result._task.delegate_to not in (None, "", host)
        items = result._result.get("results")
        runs = 0
        if not (skipped or delegated or result._task.action.split(".")[-1] in CONTROLLER_ONLY):
            runs = 1 if items is None else sum(1 for r in items if not r.get("skipped"))
        self.rows.append(
            {
                "task": result._task.get_name(),
                "action": result._task.action,
                "host": host,
                "seconds": round(time.monotonic() - start, 4),
                "changed": bool(result._result.get("changed")),
                "failed": failed,
                "skipped": skipped,
                "delegated": delegated,
                "module_runs": runs,
                "actions": result._result.get("actions"),
            }
        )

    def v2_runner_on_ok(self, result):
        self._record(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, failed=not ignore_errors)

    def v2_runner_on_skipped(self, result):
        self._record(result, skipped=True)

    def v2_playbook_on_stats(self, stats):
        path = os.environ.get("BENCH_TASK_TIMES")
        if path:
            with open(path, "w", encoding="utf-8") as f:
                json.dump(self.rows, f, indent=2)

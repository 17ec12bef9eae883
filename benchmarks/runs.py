"""Reads what one benchmark playbook run left in .build/bench-logs (see bplay in lib.sh)."""

from __future__ import annotations

import collections
import json
import os


def _json(path, default):
    if not os.path.exists(path):
        return default
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def load_run(plogs, name):
    """Wall/CPU times, and per host: module executions (exec_counter task rows), the
    exec_counter figure, changed count, the tasks that ran a module and seconds per task."""
    rec = _json(os.path.join(plogs, name + ".time.json"), {})
    counts = _json(os.path.join(plogs, name + ".counts.json"), {})
    tasks = _json(os.path.join(plogs, name + ".tasks.json"), [])
    hosts = {}
    for h in sorted({t["host"] for t in tasks} | set(counts)):
        rows = [t for t in tasks if t["host"] == h]
        secs = collections.defaultdict(float)
        for t in rows:
            if not t["skipped"]:
                secs[t["task"]] += t["seconds"]
        hosts[h] = {
            "executions": sum(t.get("module_runs", 0) for t in rows),
            "exec_counter": counts.get(h, {}).get("executions"),
            "changed": sum(1 for t in rows if t["changed"]),
            "module_tasks": [t["task"] for t in rows if t.get("module_runs")],
            "delegated_tasks": [t["task"] for t in rows if t.get("delegated") and not t["skipped"]],
            "task_seconds": dict(sorted(secs.items(), key=lambda kv: -kv[1])),
        }
    rec["hosts"] = hosts
    return rec

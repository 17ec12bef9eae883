# -*- coding: utf-8 -*-
"""The one counting rule of tests/lib/callback_plugins/exec_counter.py (tests and benchmarks use it)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

_PATH = Path(__file__).resolve().parents[1] / "lib" / "callback_plugins" / "exec_counter.py"


def _load():
    # Loaded in the test, not at collection: importing ansible.plugins switches ansible into
    # controller mode, which sends the module tests' warnings to the display instead of the result.
    spec = importlib.util.spec_from_file_location("exec_counter", _PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    "action, delegate_to, result, skipped, runs",
    [
        ("aws_efs.transit.efs_tls_mount", None, {}, False, 1),
        ("ansible.builtin.set_fact", None, {}, False, 0),  # controller only
        ("ansible.builtin.copy", "localhost", {}, False, 0),  # delegated elsewhere
        ("ansible.builtin.copy", "h1", {}, False, 1),  # delegated to itself
        ("ansible.builtin.copy", "", {}, False, 1),
        ("ansible.builtin.stat", None, {"skipped": True}, False, 0),
        ("ansible.builtin.stat", None, {}, True, 0),
        ("aws_efs.transit.efs_tls_mount", None, {"results": [{}, {"skipped": True}, {}]}, False, 2),
    ],
)
def test_module_runs(action, delegate_to, result, skipped, runs):
    assert _load().module_runs(action, "h1", delegate_to, result, skipped) == runs

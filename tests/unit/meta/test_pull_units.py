# -*- coding: utf-8 -*-
"""The example systemd units for ansible-pull (playbooks/examples/systemd/): what the docs promise
is in them, and the command line they make from the example EnvironmentFile."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
UNITS = REPO / "playbooks" / "examples" / "systemd"
SERVICE = UNITS / "aws-efs-transit-pull.service"


def unit_command():
    spec = importlib.util.spec_from_file_location("unit_command", REPO / "tests/integration/pull/unit_command.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def settings(path):
    return dict(unit_command().unit_lines(path.read_text().replace("[Timer]", "[Service]")))


def test_the_service_locks_logs_and_keeps_the_relays():
    s = settings(SERVICE)
    assert s["Type"] == "oneshot" and s["EnvironmentFile"] == "/etc/aws-efs-transit/pull.env"
    assert s["ExecStart"].startswith("/usr/bin/flock --nonblock --conflict-exit-code 75 /run/lock/")
    assert s["SuccessExitStatus"] == "75" and s["KillMode"] == "process"
    assert s["SyslogIdentifier"] == "aws-efs-transit-pull" and s["StandardOutput"] == "journal"


def test_the_timer_spreads_the_fleet():
    t = settings(UNITS / "aws-efs-transit-pull.timer")
    assert t["RandomizedDelaySec"] and t["OnCalendar"] and t["Persistent"] == "true"
    assert "WantedBy=timers.target" in (UNITS / "aws-efs-transit-pull.timer").read_text()


def test_the_example_environment_file_makes_an_ansible_pull_command():
    uc = unit_command()
    pairs = uc.unit_lines(SERVICE.read_text())
    env = uc.environment(pairs, UNITS / "aws-efs-transit-pull.env")
    used = set(re.findall(r"\$\{?(\w+)\}?", dict(pairs)["ExecStart"]))
    assert used <= set(env), used - set(env)
    argv = uc.command(pairs, env)
    assert argv[5] == "ansible-pull" and argv[-1] == "ansible_pull.yml"
    assert argv[argv.index("--url") + 1] == "https://git.example.com/platform/efs-clients.git"
    assert "--clean" in argv and "efs_pull_report_dir=/var/lib/aws-efs-transit/report" in argv
    # $EFS_PULL_ARGS is split at spaces; empty, it adds no argument.
    env["EFS_PULL_ARGS"] = "--check -e @/etc/aws-efs-transit/vars.yml"
    argv = uc.command(pairs, env)
    assert argv[-4:] == ["--check", "-e", "@/etc/aws-efs-transit/vars.yml", "ansible_pull.yml"]

# -*- coding: utf-8 -*-
"""The efs_report action: records from hostvars, files written, batches merged, stats for AWX."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from unittest.mock import MagicMock

import pytest
import yaml

try:
    from ansible.module_utils import _internal
except ImportError:  # ansible-core 2.17
    _internal = None


@pytest.fixture(scope="module")
def act():
    """Import the action lazily: controller imports flip module_utils into controller mode
    (module warnings then go to the display), which would break the module tests run after these."""
    # ansible-core < 2.19 has no controller mode to restore (2.18 has _internal without it).
    has_mode = hasattr(_internal, "is_controller")
    before = _internal.is_controller if has_mode else None
    from ansible_collections.aws_efs.transit.plugins.action import efs_report

    yield efs_report
    if has_mode:
        _internal.is_controller = before


RECORD = {
    "host": "web1",
    "compliant": False,
    "problems": [],
    "mounts": [
        {
            "path": "/mnt/plain",
            "kind": "efs_plain",
            "file_system_id": "fs-12345678",
            "compliant": False,
            "reasons": ["plain"],
        }
    ],
}
GOOD = {
    "host": "web2",
    "compliant": True,
    "problems": [],
    "mounts": [{"path": "/mnt/efs", "kind": "efs_tls", "file_system_id": "fs-12345678", "compliant": True}],
}


def run(act, args, hostvars, play_hosts, check_mode=False):
    task = MagicMock()
    task.args = args
    task.check_mode = check_mode
    task.async_val = 0
    play_context = MagicMock()
    play_context.check_mode = check_mode
    action = act.ActionModule(task, MagicMock(), play_context, MagicMock(), MagicMock(), MagicMock())
    return action.run(task_vars={"hostvars": hostvars, "ansible_play_hosts_all": play_hosts})


def test_writes_every_rendering_and_returns_stats(act, tmp_path):
    out = run(
        act,
        {"dest": str(tmp_path)},
        {"web1": {"efs_client_compliance": RECORD}, "db1": {}},
        ["web1", "db1"],
        check_mode=True,
    )
    assert out["compliant"] is False and out["changed"] is False
    assert set(out["files"]) == {"json", "markdown", "junit", "svg"}
    doc = json.loads((tmp_path / "efs-transit-compliance.json").read_text())
    assert doc == json.loads(json.dumps(out["report"]))
    assert doc["check_mode"] is True and doc["generator"]["collection_version"] == act.collection_version()
    assert [h["host"] for h in doc["hosts"]] == ["db1", "web1"]
    ET.parse(str(tmp_path / "efs-transit-compliance.junit.xml"))
    ET.parse(str(tmp_path / "efs-transit-compliance.svg"))
    assert (tmp_path / "efs-transit-compliance.md").read_text().startswith("# EFS encryption in transit: NOT COMPLIANT")
    assert out["ansible_stats"]["per_host"] is False
    assert out["ansible_stats"]["data"]["efs_transit_compliant"] is False
    assert "mount web1:/mnt/plain (fs-12345678): plain" in out["msg"]


def test_second_batch_of_the_same_run_merges(act, tmp_path):
    run(act, {"dest": str(tmp_path), "hosts": ["web1"]}, {"web1": {"efs_client_compliance": RECORD}}, ["web1"])
    out = run(act, {"dest": str(tmp_path), "hosts": ["web2"]}, {"web2": {"efs_client_compliance": GOOD}}, ["web2"])
    assert [h["host"] for h in out["report"]["hosts"]] == ["web1", "web2"]
    fs = out["report"]["file_systems"][0]
    assert fs["hosts_tls"] == ["web2"] and fs["hosts_without_tls"] == ["web1"]
    out = run(
        act,
        {"dest": str(tmp_path), "hosts": ["web2"], "merge": False},
        {"web2": {"efs_client_compliance": GOOD}},
        ["web2"],
    )
    assert [h["host"] for h in out["report"]["hosts"]] == ["web2"] and out["compliant"] is True


def test_merge_runs_keeps_other_runs_and_takes_turns(act, tmp_path, monkeypatch):
    monkeypatch.setattr(act, "run_id", lambda: "run-a")
    run(act, {"dest": str(tmp_path), "hosts": ["web1"]}, {"web1": {"efs_client_compliance": RECORD}}, ["web1"])
    monkeypatch.setattr(act, "run_id", lambda: "run-b")
    other = run(act, {"dest": str(tmp_path), "hosts": ["web2"]}, {"web2": {"efs_client_compliance": GOOD}}, ["web2"])
    assert [h["host"] for h in other["report"]["hosts"]] == ["web2"]
    monkeypatch.setattr(act, "run_id", lambda: "run-a")
    run(act, {"dest": str(tmp_path), "hosts": ["web1"]}, {"web1": {"efs_client_compliance": RECORD}}, ["web1"])
    monkeypatch.setattr(act, "run_id", lambda: "run-b")
    out = run(
        act,
        {"dest": str(tmp_path), "hosts": ["web2"], "merge_runs": True},
        {"web2": {"efs_client_compliance": GOOD}},
        ["web2"],
    )
    assert [(h["host"], h["run_id"]) for h in out["report"]["hosts"]] == [("web1", "run-a"), ("web2", "run-b")]
    assert json.loads((tmp_path / "efs-transit-compliance.json").read_text())["summary"]["hosts_total"] == 2
    assert (tmp_path / ".efs-transit-compliance.lock").exists() and "warnings" not in out


def test_merge_from_the_reports_of_pull_hosts(act, tmp_path):
    hosts = tmp_path / "hosts"
    for rec in (RECORD, GOOD):
        out = run(
            act,
            {"dest": str(hosts / rec["host"]), "formats": ["json"]},
            {rec["host"]: {"efs_client_compliance": rec}},
            [rec["host"]],
        )
        assert out["files"] == {"json": str(hosts / rec["host"] / "efs-transit-compliance.json")}
    (hosts / "web3").mkdir()
    (hosts / "web3" / "efs-transit-compliance.json").write_text('{"schema_version": "1.0", "ho')
    fleet = tmp_path / "fleet"
    args = {"dest": str(fleet), "hosts": [], "records": [], "merge_from": str(hosts), "merge_runs": True}
    out = run(act, args, {}, ["ignored"])
    assert [h["host"] for h in out["report"]["hosts"]] == ["web1", "web2"]
    assert out["report"]["file_systems"][0]["hosts_tls"] == ["web2"] and out["compliant"] is False
    assert len(out["warnings"]) == 1 and "web3" in out["warnings"][0]
    # The fleet report merges its own earlier report too, and never reads itself as a source.
    again = run(act, dict(args, merge_from=[str(hosts), str(fleet)]), {}, [])
    assert [h["host"] for h in again["report"]["hosts"]] == ["web1", "web2"]
    # Without a destination nothing is written and nothing is locked.
    dry = run(act, {"hosts": [], "records": [], "merge_from": [str(hosts / "web2")]}, {}, [])
    assert dry["files"] == {} and dry["compliant"] is True


@pytest.mark.parametrize("args", [{"merge_max_age": -1}, {"merge_max_age": "soon"}, {"merge_runs": "perhaps"}])
def test_bad_merge_options(act, args):
    out = run(act, args, {}, [])
    assert out["failed"] is True and out["msg"].startswith("bad merge options")


def test_bad_format_and_unwritable_dest(act, tmp_path):
    assert run(act, {"formats": ["pdf"]}, {}, [])["failed"] is True
    blocker = tmp_path / "file"
    blocker.write_text("")
    out = run(act, {"dest": str(blocker / "sub")}, {}, [])
    assert out["failed"] is True and "cannot write the report" in out["msg"]


def test_versions_and_run_id(act):
    with open(act.COLLECTION_ROOT + "/galaxy.yml", encoding="utf-8") as f:
        assert act.collection_version() == yaml.safe_load(f)["version"]
    assert act.run_id() == act.run_id() and act.run_id().count("-") >= 2

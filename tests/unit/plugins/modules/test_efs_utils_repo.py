# -*- coding: utf-8 -*-
"""efs_utils_repo with the package manager faked: nothing is written before the key and the pin check out."""

from __future__ import annotations

import json
import pathlib

import pytest

from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args

from ansible_collections.aws_efs.transit.plugins.module_utils import _pgp_key as pgp
from ansible_collections.aws_efs.transit.plugins.modules import efs_utils_repo as mod

FIX = pathlib.Path(__file__).resolve().parents[2] / "fixtures" / "pgp"
KEY = (FIX / "one.asc").read_text()
FPR = (FIX / "one.fpr").read_text().strip()
OTHER_FPR = (FIX / "other.fpr").read_text().strip()
MADISON = "amazon-efs-utils | 3.2.1-1 | https://r stable/main all Packages\namazon-efs-utils | 3.2.0-1 | https://r stable/main all Packages\n"


@pytest.fixture
def run(monkeypatch, capsys, tmp_path):
    commands = []

    def fake_run(self, cmd, **_kw):
        commands.append(list(cmd))
        text = " ".join(cmd)
        if "madison" in text:
            return 0, MADISON, ""
        if text.startswith("dpkg --print-architecture"):
            return 0, "amd64\n", ""
        return 0, "", ""

    def _run(**params):
        monkeypatch.setattr(basic.AnsibleModule, "run_command", fake_run)
        monkeypatch.setattr(
            basic.AnsibleModule, "get_bin_path", lambda self, name, required=False, opt_dirs=None: "/usr/bin/" + name
        )
        args = dict(manager="apt", url="https://r", suite="stable", key_data=KEY, key_fingerprints=[FPR],
                    repo_file=str(tmp_path / "efs.sources"), key_file=str(tmp_path / "keyrings" / "efs.gpg"))  # fmt: skip
        args.update(params)
        with patch_module_args(args):
            with pytest.raises(SystemExit):
                mod.main()
        return json.loads(capsys.readouterr().out), commands

    return _run


def test_wrong_key_fails_before_anything(run, tmp_path):
    result, commands = run(key_fingerprints=[OTHER_FPR])
    assert result["failed"] and "refusing the repository key" in result["msg"]
    assert commands == []
    assert list(tmp_path.iterdir()) == []


def test_missing_pin_fails_listing_versions_and_writes_nothing(run, tmp_path):
    result, commands = run(version="9.9.9")
    assert result["failed"]
    assert "has no amazon-efs-utils 9.9.9; it has: 3.2.0-1, 3.2.1-1" in result["msg"]
    # The listing used a throwaway configuration, never the host's sources.
    update = next(c for c in commands if "update" in c)
    assert any(o.startswith("Dir::State::Lists=") and "efs-utils-repo-" in o for o in update)
    assert list(tmp_path.iterdir()) == []


def test_pin_writes_keyring_and_source_then_refreshes_that_source_only(run, tmp_path):
    result, commands = run(version="3.2.0")
    assert result["changed"] and result["version"] == "3.2.0-1"
    assert result["install_name"] == "amazon-efs-utils=3.2.0-1"
    assert result["versions"] == ["3.2.0-1", "3.2.1-1"]
    assert (tmp_path / "keyrings" / "efs.gpg").read_bytes() == pgp.dearmor(KEY.encode())
    assert "Signed-By: %s" % (tmp_path / "keyrings" / "efs.gpg") in (tmp_path / "efs.sources").read_text()
    last = commands[-1]
    assert "update" in last and "Dir::Etc::sourcelist=%s" % (tmp_path / "efs.sources") in last


def test_check_mode_writes_nothing(run, tmp_path):
    result, _commands = run(version="latest", _ansible_check_mode=True)
    assert result["changed"] and result["version"] == "3.2.1-1"
    assert list(tmp_path.iterdir()) == []

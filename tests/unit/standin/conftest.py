"""Make the stand-in's package importable and give every test a private copy of its paths."""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import sys

import pytest

SRC = os.path.join(os.path.dirname(__file__), "..", "..", "standin", "src")
DIST = os.path.join(os.path.dirname(__file__), "..", "..", "standin", "dist")
sys.path.insert(0, os.path.abspath(SRC))

from efs_standin import common  # noqa: E402  pylint: disable=wrong-import-position

# Tools tests/setup.sh installs, with the Debian package that carries each: a missing one is a
# broken setup, so the test fails naming the package instead of skipping.
TOOL_PACKAGES = {"stunnel": "stunnel4", "openssl": "openssl"}


@pytest.fixture
def openssl_tool():
    """openssl on PATH; a failure names the package."""
    if not shutil.which("openssl"):
        pytest.fail("missing Debian package openssl: run tests/setup.sh as root")


@pytest.fixture
def real_tools():
    """stunnel and openssl on PATH (a failure names the package), and root (SO_BINDTODEVICE)."""
    missing = sorted({pkg for tool, pkg in TOOL_PACKAGES.items() if not shutil.which(tool)})
    if missing:
        pytest.fail("missing Debian package(s) %s: run tests/setup.sh as root" % ", ".join(missing))
    if os.geteuid() != 0:
        pytest.skip("needs root: the relay binds with SO_BINDTODEVICE (run the unit tier as root)")


@pytest.fixture
def shipped_config():
    """The efs-utils.conf the package installs."""
    parser = configparser.ConfigParser()
    parser.read(os.path.join(DIST, "efs-utils.conf"))
    return parser


@pytest.fixture
def sandbox_paths(tmp_path, monkeypatch):
    """State, log and key paths under tmp_path."""
    state = tmp_path / "run-efs"
    state.mkdir()
    logs = tmp_path / "log"
    logs.mkdir()
    monkeypatch.setattr(common, "STATE_FILE_DIR", str(state))
    monkeypatch.setattr(common, "LOG_DIR", str(logs))
    monkeypatch.setattr(common, "PRIVATE_KEY_FILE", str(tmp_path / "privateKey.pem"))
    return tmp_path


@pytest.fixture(scope="session")
def _shared_key(tmp_path_factory):
    """One RSA key for the tests that do not test key generation itself (3072-bit keys are slow)."""
    path = tmp_path_factory.mktemp("key") / "privateKey.pem"
    subprocess.run(
        ["openssl", "genpkey", "-algorithm", "RSA", "-out", str(path), "-pkeyopt", "rsa_keygen_bits:3072"],
        check=True,
        capture_output=True,
    )
    return path


@pytest.fixture
def preset_key(sandbox_paths, _shared_key):
    shutil.copy(_shared_key, common.PRIVATE_KEY_FILE)
    os.chmod(common.PRIVATE_KEY_FILE, 0o400)
    return common.PRIVATE_KEY_FILE

# -*- coding: utf-8 -*-
"""Fixture host trees (tests/unit/fixtures/mount/hosts/<name>) copied to a temp dir.

/proc holds symlinks (/proc/<pid>/exe, /proc/<pid>/fd/*) whose targets do not exist on the test
machine; git and ansible-test's symlink check dislike dangling links, so each tree lists them in
links.json and they are made here.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
from pathlib import Path

HOSTS = Path(__file__).resolve().parent / "fixtures" / "mount" / "hosts"


def materialise(name, dest, merge=False):
    """Copy host tree `name` to `dest` (over it when merge) and create its symlinks; returns dest."""
    src = HOSTS / name
    dest = Path(dest)
    shutil.copytree(src, dest, dirs_exist_ok=merge, ignore=shutil.ignore_patterns("links.json"))
    links = src / "links.json"
    if links.exists():
        for rel, target in json.loads(links.read_text()).items():
            link = dest / rel
            link.parent.mkdir(parents=True, exist_ok=True)
            if link.is_symlink() or link.exists():
                link.unlink()
            os.symlink(target, link)
    return dest


_MADE = {}


def answering(mounts):
    """A probe for fixture hosts: the path answers, with the device the mount tree reaches there."""
    # Imported here: host_trees is also used where module_utils are not on the path.
    from ansible_collections.aws_efs.transit.plugins.module_utils import _proof

    def probe(path, timeout):
        m = _proof.reached_mount(mounts, path)
        return {"dev": m["dev"] if m else None, "responding": True, "seconds": 0.0, "error": None}

    return probe


def fixture_facts(name):
    """(tree, facts) for reading host `name` the way efs_client_audit reads a host: the tree is made
    once per process in a temp dir; facts are dict(proc_root, state_dir, log_dir, fs_root, probe)."""
    import tempfile

    from ansible_collections.aws_efs.transit.plugins.module_utils import _proof

    if name not in _MADE:
        tmp = tempfile.mkdtemp(prefix="efs-host-")
        atexit.register(shutil.rmtree, tmp, True)
        _MADE[name] = materialise(name, Path(tmp) / name)
    base = _MADE[name]
    fs_root = str(base / "root")
    mounts = _proof.read_mountinfo(str(base / "proc"))
    probe = answering(mounts)
    return base, {
        "proc_root": str(base / "proc"),
        "state_dir": str(base / "efs"),
        "log_dir": str(base / "log"),
        "fs_root": fs_root,
        "probe": lambda path, timeout: probe(path[len(fs_root) :] or "/", timeout),
    }

# -*- coding: utf-8 -*-
"""Fixture host trees (tests/unit/fixtures/mount/hosts/<name>) copied to a temp dir.

/proc holds symlinks (/proc/<pid>/exe, /proc/<pid>/fd/*) whose targets do not exist on the test
machine; git and ansible-test's symlink check dislike dangling links, so each tree lists them in
links.json and they are made here.
"""

from __future__ import annotations

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

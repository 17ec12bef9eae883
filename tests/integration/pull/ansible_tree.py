"""Writes a tarball of ansible-core as a guest without network can run it: this interpreter's
ansible-core and its pure-Python dependencies under lib/ (no compiled speedups: PyYAML and MarkupSafe
fall back to their Python code), and bin/ansible* scripts for /usr/bin/python3 that find them.
   python ansible_tree.py OUT.tar.gz PREFIX      (PREFIX: where the guest unpacks it)
ansible-pull runs ansible and ansible-playbook from its own directory, so all the scripts are there.
"""

from __future__ import annotations

import importlib.metadata as md
import io
import sys
import tarfile

DISTS = ("ansible-core", "jinja2", "markupsafe", "pyyaml", "packaging", "resolvelib")
SCRIPT = """#!/usr/bin/python3
import sys
sys.path.insert(0, {lib!r})
from {module} import {func}
sys.exit({func}())
"""


def keep(path):
    return not (path.startswith("..") or "__pycache__" in path or path.endswith((".so", ".pyc", ".pyd")))


def main(out, prefix):
    with tarfile.open(out, "w:gz") as tar:
        for name in DISTS:
            dist = md.distribution(name)
            for f in dist.files or []:
                path = str(f)
                # ansible-test is not needed to run playbooks.
                if keep(path) and not path.startswith("ansible_test/"):
                    tar.add(str(dist.locate_file(f)), arcname="lib/" + path, recursive=False)
        for ep in md.distribution("ansible-core").entry_points:
            if ep.group != "console_scripts" or ep.name == "ansible-test":
                continue
            module, func = ep.value.split(":")
            data = SCRIPT.format(lib=prefix + "/lib", module=module, func=func).encode()
            info = tarfile.TarInfo("bin/" + ep.name)
            info.size, info.mode = len(data), 0o755
            tar.addfile(info, io.BytesIO(data))


if __name__ == "__main__":
    main(*sys.argv[1:3])

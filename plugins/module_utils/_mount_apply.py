# -*- coding: utf-8 -*-
# Copyright: contributors to aws_efs.transit
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""efs_tls_mount's actions: the fstab edit with its undo, the unmount, the mount with rollback.

Each step raises ApplyError with the message and extra result keys when it fails; the fstab
edit is undone first when a later step fails, keeping any other writer's change made since.
"""

from __future__ import annotations

import os
import posixpath

from ansible_collections.aws_efs.transit.plugins.module_utils import _files
from ansible_collections.aws_efs.transit.plugins.module_utils import _fstab
from ansible_collections.aws_efs.transit.plugins.module_utils import _mount_options as mo
from ansible_collections.aws_efs.transit.plugins.module_utils import _proof

MAX_UNMOUNTS = 8


class ApplyError(Exception):
    def __init__(self, msg, **extra):
        super().__init__(msg)
        self.msg = msg
        self.extra = extra


class FstabEdit(object):
    """Our one write to fstab, and how to take it back."""

    def __init__(self, module, path, spec):
        self.module = module
        self.path = path
        self.spec = spec
        self.before = None
        self.written = None
        self.original_lines = []

    def write(self, state, options_text, backup):
        spec = self.spec

        def edit(text):
            if state == "absent":
                return _fstab.remove_lines(text, spec.path, spec.fs_id)
            return _fstab.set_line(text, spec.path, spec.fs_id, spec.subpath, options_text)

        try:
            self.before, self.written, backup_file = _files.locked_update(
                self.path, edit, move=self.module.atomic_move, backup=self.module.backup_local if backup else None
            )
        except (OSError, TimeoutError) as e:
            raise ApplyError("could not update %s: %s" % (self.path, e)) from None
        self.original_lines = _fstab.lines_for(self.before or "", spec.path)
        return backup_file

    def undo(self):
        """Put our line back as it was; returns a note for the failure message, or None."""
        if self.written is None or self.before is None:
            return None

        def back(text):
            return _fstab.restore(text, self.written, self.before, self.spec.path, self.original_lines)

        try:
            _files.locked_update(self.path, back, move=self.module.atomic_move)
            return "fstab restored"
        except (OSError, TimeoutError) as e:
            return "fstab could not be restored: %s" % e


def _with(msg, note):
    return "%s%s" % (msg, "; %s" % note if note else "")


def _run(module, cmd):
    return module.run_command(cmd, environ_update={"LC_ALL": "C"})


def unmount(module, path, lazy, proc_root, undo=None):
    """Unmount until no NFS mount is left at the path (mounts can be stacked)."""
    cmd = [module.get_bin_path("umount", required=True)] + (["-l"] if lazy else []) + [path]
    for _i in range(MAX_UNMOUNTS):
        rc, out, err = _run(module, cmd)
        if rc != 0:
            note = undo() if undo else None
            raise ApplyError(
                _with("umount %s failed: %s" % (path, (err or out).strip()), note), rc=rc, stdout=out, stderr=err
            )
        still = _proof.mounts_at(_proof.read_mountinfo(proc_root), path)
        if not still or still[-1]["fstype"] not in _proof.NFS_TYPES:
            return


def ensure_mount_point(path):
    """Create the mount point directory if missing; True when created."""
    if os.path.isdir(path):
        return False
    if os.path.lexists(path):
        raise OSError("%s exists and is not a directory" % path)
    os.makedirs(path, 0o755)
    return True


def log_tail(log_dir, lines=20):
    try:
        with open(posixpath.join(log_dir, "mount.log"), "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - 65536))
            return f.read().decode("utf-8", "replace").splitlines()[-lines:]
    except OSError:
        return []


def mount(module, mount_efs, spec, options, timeout, proc_root, log_dir, undo):
    """`mount -t efs -o tls,...` under `timeout`; the fstab edit is undone when it does not mount."""
    if not mount_efs:
        raise ApplyError(_with("amazon-efs-utils is not installed: no mount.efs found", undo()))
    prefix = []
    if timeout:
        timeout_bin = module.get_bin_path("timeout")
        prefix = [timeout_bin, "--kill-after=10", str(timeout)] if timeout_bin else []
    source = _fstab.source_spec(spec.fs_id, spec.subpath)
    cmd = prefix + [module.get_bin_path("mount", required=True), "-t", "efs", "-o", mo.render(options), source]
    rc, out, err = _run(module, cmd + [spec.path])
    if rc == 0 and _proof.mounts_at(_proof.read_mountinfo(proc_root), spec.path):
        return
    if rc == 124:
        why = "the helper did not finish within mount_timeout=%s s" % timeout
    elif rc != 0:
        why = "the helper failed (rc=%s): %s" % (rc, (err or out).strip())
    else:
        why = "the helper exited 0 but %s is not mounted: %s" % (spec.path, (out or err).strip() or "no message")
    note = undo()
    raise ApplyError(
        _with("mount failed: %s" % why, note),
        rc=rc,
        stdout=out,
        stderr=err,
        mount_log_tail=log_tail(log_dir),
        reason="mount failed: %s" % why,
    )

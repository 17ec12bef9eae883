# -*- coding: utf-8 -*-
# Copyright: contributors to aws_efs.transit
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""efs_tls_mount's actions: the fstab edit with its undo, the unmount, the mount with rollback.

Each step raises ApplyError with the message and extra result keys when it fails; the fstab
edit is undone first when a later step fails, keeping any other writer's change made since.
A mount that fails also takes back what its own attempt left: the `~` state file, tunnel config,
`+` directory and relay of a helper stopped by mount_timeout (never another mount's), and says
why the relay refused the target when its log tells.
"""

from __future__ import annotations

import json
import os
import posixpath
import time

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
        self.restored = False
        self.original_lines = []

    @property
    def changed(self):
        """True while our edit is on disk (written and not taken back)."""
        return self.written is not None and self.written != (self.before or "") and not self.restored

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
            self.restored = True
            return "fstab restored"
        except (OSError, TimeoutError) as e:
            return "fstab could not be restored: %s" % e


def with_note(msg, note):
    return "%s%s" % (msg, "; %s" % note if note else "")


def _run(module, cmd):
    return module.run_command(cmd, environ_update={"LC_ALL": "C"})


def unmount(module, path, lazy, proc_root, undo=None, again=None):
    """Unmount until no NFS mount is left at the path (mounts can be stacked).

    `again()`, when given, decides after each umount whether what the path shows now may be
    unmounted too (state=unmounted/absent: only another mount of the same file system).
    """
    cmd = [module.get_bin_path("umount", required=True)] + (["-l"] if lazy else []) + [path]
    for _i in range(MAX_UNMOUNTS):
        rc, out, err = _run(module, cmd)
        if rc != 0:
            note = undo() if undo else None
            raise ApplyError(
                with_note("umount %s failed: %s" % (path, (err or out).strip()), note), rc=rc, stdout=out, stderr=err
            )
        still = _proof.mounts_at(_proof.read_mountinfo(proc_root), path)
        if not still or still[-1]["fstype"] not in _proof.NFS_TYPES:
            return
        if again is not None and not again():
            return


def lingering_relay(proof, state_dir, proc_root):
    """The relay of the path's own state file when it still runs after the unmount, else None.

    On a shared NFS client the path's traffic rode on another mount's relay, which keeps serving
    that mount: only the relay that names this path is reported.
    """
    name = proof.get("own_state_file")
    if not name:
        return None
    data = _proof.read_state_files(state_dir).get(name)
    if not isinstance(data, dict):
        return None
    kind, _tls, config = _proof.relay_of(data.get("cmd"))
    pid = data.get("pid")
    if not kind or not _proof.cmdline_is_relay(_proof.read_cmdline(proc_root, pid), kind, config):
        return None
    return {"pid": pid, "state_file": name, "relay": kind}


def ensure_mount_point(path):
    """Create the mount point directory if missing; True when created."""
    if os.path.isdir(path):
        return False
    if os.path.lexists(path):
        raise OSError("%s exists and is not a directory" % path)
    os.makedirs(path, 0o755)
    return True


def remove_mount_point(path):
    """Take back a mount point directory we created (only while empty); a note, or None."""
    try:
        os.rmdir(path)
    except OSError:
        return None
    return "removed directory %s" % path


def log_tail(log_dir, lines=20):
    try:
        with open(posixpath.join(log_dir, "mount.log"), "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - 65536))
            return f.read().decode("utf-8", "replace").splitlines()[-lines:]
    except OSError:
        return []


# ---------------------------------------------------------------- what a failed attempt left


def _attempt_prefix(spec):
    return "%s.%s." % (spec.fs_id, _proof.safe_mount_point_name(spec.path))


def attempt_names(state_dir, spec):
    """Names in the state directory that a mount of this file system at this path may create."""
    prefix = _attempt_prefix(spec)
    try:
        names = os.listdir(state_dir)
    except OSError:
        return set()
    return set(n for n in names if n.lstrip("~").startswith(prefix) or n.startswith("stunnel-config." + prefix))


def _bases(names, spec):
    """`<fs>.<path>.<port>` of each state file or tunnel config among `names`."""
    prefix = _attempt_prefix(spec)
    out = set()
    for name in names:
        base = name[len("stunnel-config.") :] if name.startswith("stunnel-config.") else name.lstrip("~")
        if base.startswith(prefix) and base[len(prefix) :].isdigit():
            out.add(base)
    return sorted(out)


def _read(path, limit=65536):
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - limit))
            return f.read().decode("utf-8", "replace")
    except OSError:
        return None


def _relay_pid(leftover, state_dir):
    """The leftover's relay pid: the state file's, or (written as -1 until the relay started) its pid file."""
    pid = leftover.get("pid")
    if isinstance(pid, int) and pid > 0:
        return leftover
    text = _read(posixpath.join(state_dir, leftover["state_file"][1:] + "+", "stunnel.pid"))
    if text and text.strip().isdigit():
        leftover = dict(leftover, pid=int(text.strip()))
    return leftover


def kill_relay(pid, sig):
    os.kill(pid, sig)


def clean_attempt(spec, before, state_dir, proc_root):
    """Take back the `~` state files this attempt created (not those there before it): their relay (root's
    relay for exactly that config), tunnel config and `+` directory. Returns one phrase per step."""
    done = []
    for leftover in _proof.find_leftovers(state_dir, spec.fs_id, spec.path):
        if leftover["state_file"] in before:
            continue  # an earlier attempt's, or another run's: not ours to judge
        done.extend(_proof.clean_leftover(_relay_pid(leftover, state_dir), state_dir, proc_root, kill=kill_relay))
    return done


def relay_refusal(bases, state_dir, log_dir, since):
    """Why the relay of this attempt refused the target, from its own log (written with
    stunnel_debug_enabled: `<log dir>/<fs>.<path>.<port>.stunnel.log` or `.efs-proxy.log`, or the
    config's `output`). dict(reason, line, file), a dict with only `hint` when the relay kept no log,
    or None when there was no relay."""
    hint = None
    for base in bases:
        config_text = _read(posixpath.join(state_dir, "stunnel-config." + base)) or ""
        sections = _proof.parse_tunnel_sections(config_text)
        efs = sections.get("efs", {})
        ca_file = (efs.get("CAfile") or [None])[-1]
        check_host = (efs.get("checkHost") or [None])[-1]
        output = _proof.relay_log_file(config_text)
        logs = [output] if output else []
        logs += [posixpath.join(log_dir, "%s.%s.log" % (base, kind)) for kind in ("stunnel", "efs-proxy")]
        for log in logs:
            try:
                if os.stat(log).st_mtime < since:
                    continue
            except OSError:
                continue
            for line in reversed((_read(log) or "").split("\n")):
                reason = _proof.relay_failure(line, ca_file, check_host)
                if reason:
                    return {"reason": reason, "line": line.strip(), "file": log}
        if config_text and ca_file and not output:
            hint = (
                "the relay keeps no log (stunnel_debug_enabled is off in efs-utils.conf); a TLS relay that never "
                "carries NFS usually means the target's certificate was refused: check the CA bundle %s and "
                "checkHost %s, or that %s is reachable"
                % (ca_file, check_host, ((efs.get("connect") or ["the mount target"])[-1]))
            )
    return {"hint": hint} if hint else None


def _failure_detail(refusal):
    if not refusal:
        return ""
    if "reason" in refusal:
        return ": %s (the relay logged in %s: %s)" % (refusal["reason"], refusal["file"], json.dumps(refusal["line"]))
    return " (%s)" % refusal["hint"]


def mount(module, mount_efs, spec, options, timeout, proc_root, log_dir, undo, state_dir=None):
    """`mount -t efs -o tls,...` under `timeout`; when it does not mount, the fstab edit is undone (`undo()`)
    and what this attempt left in the state directory is cleaned."""
    if not mount_efs:
        raise ApplyError(with_note("amazon-efs-utils is not installed: no mount.efs found", undo()))
    prefix = []
    if timeout:
        timeout_bin = module.get_bin_path("timeout")
        prefix = [timeout_bin, "--kill-after=10", str(timeout)] if timeout_bin else []
    source = _fstab.source_spec(spec.fs_id, spec.subpath)
    cmd = prefix + [module.get_bin_path("mount", required=True), "-t", "efs", "-o", mo.render(options), source]
    before = attempt_names(state_dir, spec) if state_dir else set()
    since = time.time() - 1
    rc, out, err = _run(module, cmd + [spec.path])
    if rc == 0 and _proof.mounts_at(_proof.read_mountinfo(proc_root), spec.path):
        return
    if prefix and rc in (124, 137):
        why = "the helper did not finish within mount_timeout=%s s" % timeout
    elif rc != 0:
        why = "the helper failed (rc=%s): %s" % (rc, (err or out).strip())
    else:
        why = "the helper exited 0 but %s is not mounted: %s" % (spec.path, (out or err).strip() or "no message")
    extra = {}
    if state_dir:
        refusal = relay_refusal(_bases(attempt_names(state_dir, spec) - before, spec), state_dir, log_dir, since)
        why += _failure_detail(refusal)
        if refusal and "reason" in refusal:
            extra["relay_failure"] = refusal
    notes = [undo()]
    cleaned = clean_attempt(spec, before, state_dir, proc_root) if state_dir else []
    if cleaned:
        notes.append("cleaned up after the stopped helper: %s" % ", ".join(cleaned))
        extra["cleaned_leftovers"] = cleaned
    raise ApplyError(
        with_note("mount failed: %s" % why, "; ".join(n for n in notes if n)),
        rc=rc,
        stdout=out,
        stderr=err,
        mount_log_tail=log_tail(log_dir),
        reason="mount failed: %s" % why,
        **extra,
    )

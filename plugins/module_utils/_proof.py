# -*- coding: utf-8 -*-
# Copyright: contributors to aws_efs.transit
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Proof that a live mount goes through a verified TLS relay.

From amazon-efs-utils 2.0 on every mount, TLS or not, shows 127.0.0.1 as its
source, so that alone proves nothing. The proof joins four sources: the
kernel's mountinfo, the helper's state file, the relay process and the
tunnel config that relay reads, plus what a local adversary or a sick relay
could fake: who owns the relay and holds its port, whether the path still
reaches the judged mount, whether the mount answers at all. Every reader takes
its root directory as an argument so tests run on fixtures.
"""

from __future__ import annotations

import ipaddress
import json
import os
import posixpath
import re
import select
import signal
import sys
import time

from ansible_collections.aws_efs.transit.plugins.module_utils._files import normalize_path as normalize_mount_point
from ansible_collections.aws_efs.transit.plugins.module_utils._fstab import unescape
from ansible_collections.aws_efs.transit.plugins.module_utils._helper import LOG_DIR, STATE_DIR

PROC_ROOT = "/proc"

NFS_TYPES = ("nfs4", "nfs")
# How long the liveness probe may wait for the mount to answer before it is killed.
PROBE_TIMEOUT = 10.0
# A state file without service_type (efs-utils 1.x) is an EFS mount.
EFS_SERVICE_TYPE = "elasticfilesystem"

_RELAY_STUNNEL_RE = re.compile(r"^stunnel\d*$")
_CHECK_HOST_RE = r"^%s\.efs\.(?P<region>[a-z0-9-]+)\.(?P<suffix>[a-z0-9.-]+)$"
_LOG_RE = re.compile(r"Successfully mounted (?P<name>\S+) at (?P<path>.*)$")


# ---------------------------------------------------------------- mountinfo


def parse_mountinfo(text):
    """/proc/self/mountinfo -> list of dicts, in kernel order (not stacking order: see reached_mount()).

    Only '\\n' ends a line: the kernel escapes space, tab, newline and backslash
    and nothing else, so a source or fs type may hold \\f, \\v, \\r or U+2028.
    """
    mounts = []
    for line in text.split("\n"):
        parts = line.split(" ")
        if "-" not in parts[6:]:
            continue
        sep = parts.index("-", 6)
        if len(parts) < sep + 3:
            continue
        super_options = parts[sep + 3] if len(parts) > sep + 3 else ""
        mounts.append(
            {
                "mount_id": parts[0],
                "parent_id": parts[1],
                "dev": parts[2],
                "root": unescape(parts[3]),
                "mount_point": unescape(parts[4]),
                "mount_options": parts[5].split(","),
                "fstype": unescape(parts[sep + 1]),
                "source": unescape(parts[sep + 2]),
                "super_options": super_options.split(",") if super_options else [],
            }
        )
    return mounts


def read_mountinfo(proc_root=PROC_ROOT):
    with open(posixpath.join(proc_root, "self", "mountinfo"), "rb") as f:
        return parse_mountinfo(f.read().decode("utf-8", "surrogateescape"))


def mounts_at(mounts, path):
    target = normalize_mount_point(path)
    return [m for m in mounts if normalize_mount_point(m["mount_point"]) == target]


def _prefixes(path):
    """/mnt/efs -> ["/mnt", "/mnt/efs"]"""
    out, cur = [], ""
    for part in normalize_mount_point(path).split("/")[1:]:
        if part:
            cur += "/" + part
            out.append(cur)
    return out


def _climb(children, mount, at):
    """Follow mounts stacked on `mount` at the same mount point to the top of that stack."""
    seen = set()
    while mount["mount_id"] not in seen:
        seen.add(mount["mount_id"])
        above = [c for c in children.get(mount["mount_id"], []) if normalize_mount_point(c["mount_point"]) == at]
        if not above:
            break
        mount = above[-1]
    return mount


def reached_mount(mounts, path):
    """The mount that `path` resolves to, walking the mount tree (mount id / parent id) from /.

    Line order says nothing about stacking (`mount --move` lists a covering
    mount before the one it covers), and a mount on a parent directory hides
    every mount below it. None when mountinfo lists no root mount.
    """
    ids = set(m["mount_id"] for m in mounts)
    children = {}
    for m in mounts:
        if m["parent_id"] != m["mount_id"]:
            children.setdefault(m["parent_id"], []).append(m)
    roots = [
        m for m in mounts if m["mount_point"] == "/" and (m["parent_id"] not in ids or m["parent_id"] == m["mount_id"])
    ]
    if not roots:
        return None
    current = _climb(children, roots[0], "/")
    for prefix in _prefixes(path):
        below = [c for c in children.get(current["mount_id"], []) if normalize_mount_point(c["mount_point"]) == prefix]
        if below:
            current = _climb(children, below[-1], prefix)
    return current


def stack_top(mounts_here):
    """Of the mounts listed at one path, the one no other of them is stacked on."""
    parents = set(m["parent_id"] for m in mounts_here)
    tops = [m for m in mounts_here if m["mount_id"] not in parents]
    return tops[-1] if tops else mounts_here[-1]


def options_dict(options):
    result = {}
    for opt in options:
        key, sep, val = opt.partition("=")
        result[key] = val if sep else None
    return result


# ---------------------------------------------------------------- state files


def safe_mount_point_name(mount_point):
    """The helper's file-safe form: /mnt/efs -> mnt.efs (see get_file_safe_mountpoint_name)."""
    return normalize_mount_point(mount_point).replace("/", ".").lstrip(".")


def state_file_name(fs_id, mount_point, port):
    return "%s.%s.%d" % (fs_id, safe_mount_point_name(mount_point), int(port))


def read_state_files(state_dir=STATE_DIR):
    """{name: parsed JSON} for the helper's finished state files (not ~temp, not configs, not dirs)."""
    result = {}
    try:
        names = os.listdir(state_dir)
    except (FileNotFoundError, NotADirectoryError, PermissionError):
        return result
    for name in sorted(names):
        if name.startswith("~") or name.startswith("stunnel-config.") or name.endswith("+"):
            continue
        full = posixpath.join(state_dir, name)
        if not os.path.isfile(full):
            continue
        try:
            with open(full, "rb") as f:
                data = json.loads(f.read().decode("utf-8", "replace"))
        except (OSError, ValueError):
            result[name] = None
            continue
        result[name] = data if isinstance(data, dict) else None
    return result


def state_file_port(name):
    m = re.search(r"\.(\d+)$", name)
    return int(m.group(1)) if m else None


def state_file_fs_id(name, data):
    if isinstance(data, dict) and data.get("fsId"):
        return data["fsId"]
    m = re.match(r"^(fs-[0-9a-f]+)\.", name)
    return m.group(1) if m else None


def find_carrier(state_files, fs_id, port):
    """The state file of the relay listening on `port` (the one carrying the kernel's NFS traffic).

    With NFSv4.1 client sharing this can belong to another mount point of
    the same file system, so we match on the port and prefer our file system.
    """
    if port is None:
        return None
    named = [n for n in state_files if state_file_port(n) == port]
    named.sort(key=lambda n: (state_file_fs_id(n, state_files[n]) != fs_id, n))
    return named[0] if named else None


def find_own(state_files, fs_id, path, port):
    """This mount point's own state file: by its JSON mountpoint or its name, the one on `port` first.

    `fs_id` None takes any file system's (an undeclared mount: the state file names it). The one rule
    for which state file belongs to a mount, for the proof and the audit alike.
    """
    target = normalize_mount_point(path)
    prefix = "%s.%s." % (fs_id, safe_mount_point_name(path)) if fs_id else None
    candidates = []
    for name, data in state_files.items():
        # An unreadable file (None) still belongs to the mount its name gives.
        mp = data.get("mountpoint") if isinstance(data, dict) else None
        if isinstance(mp, str) and normalize_mount_point(mp) == target:
            if fs_id is None or state_file_fs_id(name, data) == fs_id:
                candidates.append(name)
        elif prefix and name.startswith(prefix) and name[len(prefix) :].isdigit():
            candidates.append(name)
    if not candidates:
        return None
    # The live mount's port first, then the newest mount when stale files linger.
    candidates.sort(
        key=lambda n: (port is not None and state_file_port(n) == port, _num(state_files[n], "mount_time"), n)
    )
    return candidates[-1]


def _num(data, key):
    try:
        return float((data or {}).get(key) or 0)
    except (TypeError, ValueError):
        return 0.0


# ---------------------------------------------------------------- relay


# nsenter options that take their value as the next argument.
_NSENTER_ARG_OPTS = ("-t", "--target", "-S", "--setuid", "-G", "--setgid")


def _strip_nsenter(args):
    """netns mounts run the relay as `nsenter --net=<ns> <relay> <args>`: keep the relay's own argv whole."""
    if not args or posixpath.basename(args[0]) != "nsenter":
        return args
    i = 1
    while i < len(args) and args[i].startswith("-"):
        if args[i] == "--":
            i += 1
            break
        i += 2 if args[i] in _NSENTER_ARG_OPTS else 1
    return args[i:]


def relay_of(cmd):
    """(kind, tls, config_path) from a state file's `cmd`; kind is stunnel, efs-proxy or None."""
    if not isinstance(cmd, list) or not all(isinstance(a, str) for a in cmd) or not cmd:
        return None, False, None
    args = _strip_nsenter(list(cmd))
    if not args:
        return None, False, None
    binary = posixpath.basename(args[0])
    config = next((a for a in args[1:] if not a.startswith("-")), None)
    if _RELAY_STUNNEL_RE.match(binary):
        return "stunnel", True, config
    if binary == "efs-proxy":
        return "efs-proxy", "--tls" in args[1:], config
    return None, False, config


def read_cmdline(proc_root, pid):
    """argv of a live process, or None if it does not exist (or is a zombie)."""
    try:
        pid = int(pid)
    except (TypeError, ValueError):
        return None
    if pid <= 0:
        return None
    try:
        with open(posixpath.join(proc_root, str(pid), "cmdline"), "rb") as f:
            data = f.read()
    except (FileNotFoundError, NotADirectoryError, PermissionError, ProcessLookupError):
        return None
    if not data:
        return None
    return [a.decode("utf-8", "surrogateescape") for a in data.rstrip(b"\0").split(b"\0")]


def cmdline_is_relay(cmdline, kind, config):
    if not cmdline:
        return False
    k, tls, conf = relay_of(cmdline)
    return k == kind and (config is None or conf == config)


# ---------------------------------------------------------------- leftovers of a killed helper


def find_leftovers(state_dir, fs_id, path):
    """The helper writes its state file as `~<name>` and renames it once mounted; killed before
    (mount_timeout) it leaves that file, its tunnel config, its `<name>+` directory and a running
    relay, which the watchdog never looks at, and the name keeps its port reserved."""
    prefix = "~%s.%s." % (fs_id, safe_mount_point_name(path))
    found = []
    try:
        names = sorted(os.listdir(state_dir))
    except OSError:
        return found
    for name in names:
        if not (name.startswith(prefix) and name[len(prefix) :].isdigit()):
            continue
        try:
            with open(posixpath.join(state_dir, name), "rb") as f:
                data = json.loads(f.read().decode("utf-8", "replace"))
        except (OSError, ValueError):
            data = {}
        found.append(
            {
                "state_file": name,
                "pid": data.get("pid") if isinstance(data, dict) else None,
                "cmd": data.get("cmd") if isinstance(data, dict) else None,
                "port": state_file_port(name),
            }
        )
    return found


def _remove(remove, path):
    try:
        remove(path)
    except FileNotFoundError:
        pass


def clean_leftover(leftover, state_dir=STATE_DIR, proc_root=PROC_ROOT, kill=os.kill):
    """Stop the leftover's relay (only when it is root's relay for exactly that config) and remove
    its files. Returns what was done, one phrase per step."""
    done = []
    base = leftover["state_file"][1:]
    kind, _tls, config = relay_of(leftover.get("cmd"))
    pid = leftover.get("pid")
    if pid and kind and cmdline_is_relay(read_cmdline(proc_root, pid), kind, config):
        uids = read_uids(proc_root, pid)
        if uids is not None and all(u == 0 for u in uids) and exe_kind(read_exe(proc_root, pid)) == kind:
            try:
                kill(int(pid), signal.SIGTERM)
                done.append("stopped %s pid %s" % (kind, pid))
            except OSError:
                pass
    for name in (leftover["state_file"], "stunnel-config." + base):
        try:
            os.unlink(posixpath.join(state_dir, name))
            done.append("removed %s" % name)
        except FileNotFoundError:
            pass
    extra = posixpath.join(state_dir, base + "+")
    if os.path.isdir(extra) and not os.path.islink(extra):
        # The relay just stopped removes its own pid file meanwhile: a file already gone is fine.
        for root, dirs, files in os.walk(extra, topdown=False):
            for n in files:
                _remove(os.unlink, posixpath.join(root, n))
            for n in dirs:
                _remove(os.rmdir, posixpath.join(root, n))
        _remove(os.rmdir, extra)
        done.append("removed %s+" % base)
    return done


# ---------------------------------------------------------------- relay identity
# /proc/<pid>/cmdline is whatever the process says it is (`exec -a stunnel`), and the
# relay ports are unprivileged: identity comes from what only the kernel writes.


def read_uids(proc_root, pid):
    """(real, effective, saved, fs) uids from /proc/<pid>/status, or None."""
    try:
        with open(posixpath.join(proc_root, str(int(pid)), "status"), "rb") as f:
            text = f.read().decode("utf-8", "replace")
    except (OSError, TypeError, ValueError):
        return None
    m = re.search(r"^Uid:\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)", text, re.M)
    return tuple(int(x) for x in m.groups()) if m else None


def read_exe(proc_root, pid):
    """The binary a process runs (/proc/<pid>/exe), ' (deleted)' kept; None when unreadable."""
    try:
        return os.readlink(posixpath.join(proc_root, str(int(pid)), "exe"))
    except (OSError, TypeError, ValueError):
        return None


def exe_kind(exe):
    """stunnel, efs-proxy or None for a binary path (an upgraded binary shows ' (deleted)')."""
    if not exe:
        return None
    name = posixpath.basename(exe[: -len(" (deleted)")] if exe.endswith(" (deleted)") else exe)
    if _RELAY_STUNNEL_RE.match(name):
        return "stunnel"
    if name == "efs-proxy":
        return "efs-proxy"
    return None


def read_socket_inodes(proc_root, pid):
    """Inodes of the sockets a process holds open (/proc/<pid>/fd/* -> socket:[inode]), or None."""
    fd_dir = posixpath.join(proc_root, str(int(pid)), "fd")
    try:
        names = os.listdir(fd_dir)
    except OSError:
        return None
    inodes = set()
    for name in names:
        try:
            target = os.readlink(posixpath.join(fd_dir, name))
        except OSError:
            continue
        m = re.match(r"^socket:\[(\d+)\]$", target)
        if m:
            inodes.add(m.group(1))
    return inodes


def _hex_address(text):
    """/proc/net/tcp{,6} prints addresses as 32-bit words in host byte order."""
    raw = b"".join(int(text[i : i + 8], 16).to_bytes(4, sys.byteorder) for i in range(0, len(text), 8))
    return ipaddress.ip_address(raw)


def parse_proc_net_tcp(text):
    """/proc/net/tcp or tcp6 -> [(address, port, state hex, inode)]."""
    rows = []
    for line in text.split("\n")[1:]:
        f = line.split()
        if len(f) < 10 or ":" not in f[1]:
            continue
        addr, _sep, port = f[1].partition(":")
        try:
            rows.append((_hex_address(addr), int(port, 16), f[3], f[9]))
        except ValueError:
            continue
    return rows


_LISTEN = "0A"


def listeners_for_loopback_port(proc_root, pid, port):
    """Inodes of the LISTEN sockets that take connections to 127.0.0.1:<port>, or None if unreadable.

    Read in the relay's own network namespace (/proc/<pid>/net), which is the
    one the kernel's NFS client connects in (netns mounts run both in it).
    """
    rows = []
    readable = False
    for name in ("tcp", "tcp6"):
        try:
            with open(posixpath.join(proc_root, str(int(pid)), "net", name), "rb") as f:
                rows.extend(parse_proc_net_tcp(f.read().decode("ascii", "replace")))
            readable = True
        except (OSError, TypeError, ValueError):
            continue
    if not readable:
        return None
    catch = {ipaddress.ip_address(a) for a in ("127.0.0.1", "0.0.0.0", "::", "::ffff:127.0.0.1", "::ffff:0.0.0.0")}
    return sorted(set(inode for addr, p, state, inode in rows if state == _LISTEN and p == port and addr in catch))


# ---------------------------------------------------------------- liveness probe
# A hung relay (alive, not answering) makes every access to the mount block. The
# probe runs in a child process the parent kills after a timeout, so the proof
# (and the play) never hangs.


def _probe_steps(path, emit):
    """In the child: resolve, stat, then ask the server (statvfs, one READDIR); one report per step."""
    real = os.path.realpath(path)
    emit({"realpath": real})
    st = os.stat(real)
    emit({"dev": "%d:%d" % (os.major(st.st_dev), os.minor(st.st_dev))})
    os.statvfs(real)
    with os.scandir(real) as it:
        next(it, None)
    emit({"responding": True})


def probe_path(path, timeout=PROBE_TIMEOUT, steps=_probe_steps):
    """{"realpath", "dev" ("maj:min"), "responding", "seconds", "error"} for `path`, within `timeout` s."""
    result = {"realpath": None, "dev": None, "responding": False, "seconds": None, "error": None}
    start = time.monotonic()
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report and leave without running any of the parent's cleanup
        code = 0
        try:
            os.close(r)

            def emit(data):
                os.write(w, (json.dumps(data) + "\n").encode("utf-8", "surrogateescape"))

            try:
                steps(path, emit)
            except OSError as e:
                emit({"error": "%s: %s" % (type(e).__name__, e)})
        except BaseException:  # pylint: disable=broad-except
            code = 1
        finally:
            os._exit(code)
    os.close(w)
    buf = b""
    timed_out = False
    try:
        while True:
            left = timeout - (time.monotonic() - start)
            if left <= 0:
                timed_out = True
                break
            ready, _w, _x = select.select([r], [], [], left)
            if not ready:
                timed_out = True
                break
            chunk = os.read(r, 65536)
            if not chunk:
                break
            buf += chunk
    finally:
        os.close(r)
        if timed_out:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        _reap(pid)
    for line in buf.decode("utf-8", "surrogateescape").split("\n"):
        if line:
            try:
                result.update(json.loads(line))
            except ValueError:
                continue
    result["seconds"] = round(time.monotonic() - start, 3)
    if timed_out:
        result["responding"] = False
        result["error"] = "no answer within %s s" % timeout
    return result


def _realpath_step(path, emit):
    emit({"realpath": os.path.realpath(path)})
    emit({"responding": True})


def canonical_path(path, fs_root="/", timeout=PROBE_TIMEOUT):
    """Where mount(8) puts a mount for `path` (symlinks resolved), resolved in a bounded child;
    `path` itself when that does not answer in time."""
    real = probe_path(posixpath.join(fs_root, path.lstrip("/")), timeout, steps=_realpath_step).get("realpath")
    return normalize_mount_point(_within_root(fs_root, real) or path)


def _reap(pid, grace=1.0):
    """Collect the child; one stuck in the kernel is left to init rather than waited for."""
    deadline = time.monotonic() + grace
    while True:
        try:
            done, _status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return
        if done or time.monotonic() >= deadline:
            return
        time.sleep(0.01)


# ---------------------------------------------------------------- tunnel config


def parse_tunnel_sections(text):
    """stunnel-style config -> {section: {key: [values]}}; "" holds the global keys. Names keep their case."""
    sections = {"": {}}
    current = ""
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(";") or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = line[1:-1].strip()
            sections.setdefault(current, {})
            continue
        key, sep, val = line.partition("=")
        if not sep:
            continue
        sections[current].setdefault(key.strip(), []).append(val.strip())
    return sections


def parse_tunnel_config(text):
    """stunnel-style config -> {key: [values]} for the [efs] section (global keys as fallback)."""
    sections = parse_tunnel_sections(text)
    merged = dict(sections[""])
    for name, values in sections.items():
        if name:
            merged.update(values)
    return merged


def _last(config, key):
    values = config.get(key)
    return values[-1] if values else None


def _lower_keys(config):
    return {k.lower(): v for k, v in config.items()}


_PEM_CERT_RE = re.compile(r"-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/=\s]+?-----END CERTIFICATE-----")


def efs_proxy_ca_text(data):
    """The CA bundle as efs-proxy loads it (src/proxy/src/tls.rs, v3.2.0).

    It reads line by line and stops silently at the first line that is not
    UTF-8, drops lines that start with "# ", and when nothing is left turns
    certificate verification off: that is the text that must hold a certificate.
    """
    lines = data.split(b"\n")
    if data.endswith(b"\n"):
        lines.pop()  # the empty piece after the last newline is not a line
    out = ""
    for raw in lines:
        try:
            line = (raw[:-1] if raw.endswith(b"\r") else raw).decode("utf-8")
        except UnicodeDecodeError:
            break
        if line.startswith("# "):
            continue
        if out:
            out += "\n"
        out += line
    return out


def count_pem_certificates(text):
    return len(_PEM_CERT_RE.findall(text))


# ---------------------------------------------------------------- why a relay refused the target

# stunnel 5 ("CERT: ..."), and Python/OpenSSL wording as a Python relay logs it.
_NAME_FAILURE_RE = re.compile(
    r"CERT: Subject checks failed|Hostname mismatch|host ?name (?:does not match|mismatch)", re.I
)
_CA_FAILURE_RE = re.compile(
    r"CERT: Pre-verification error: (?P<a>.+)|certificate verify failed: (?P<b>[^(\n]+)|(?P<c>unknown ca|untrusted)",
    re.I,
)


def relay_log_file(config_text):
    """The relay's own log (`output =`, written with stunnel_debug_enabled), or None."""
    return _last(parse_tunnel_sections(config_text).get("", {}), "output")


def relay_failure(log_text, ca_file, check_host):
    """The last certificate refusal a relay logged, in words; None when it logged none."""
    for line in reversed(log_text.split("\n")):
        if _NAME_FAILURE_RE.search(line):
            return "host name does not match (checkHost %s)" % check_host
        m = _CA_FAILURE_RE.search(line)
        if m:
            why = (m.group("a") or m.group("b") or m.group("c")).strip().rstrip(".")
            return "certificate not trusted (CA bundle %s): %s" % (ca_file, why)
    return None


# ---------------------------------------------------------------- mount.log


def find_log_line(log_dir, path, max_rotations=10):
    """The last `Successfully mounted <name> at <path>` line, newest file first."""
    target = normalize_mount_point(path)
    files = ["mount.log"] + ["mount.log.%d" % i for i in range(1, max_rotations + 1)]
    for name in files:
        full = posixpath.join(log_dir, name)
        try:
            with open(full, "rb") as f:
                lines = f.read().decode("utf-8", "replace").splitlines()
        except (FileNotFoundError, PermissionError, IsADirectoryError):
            continue
        for line in reversed(lines):
            m = _LOG_RE.search(line)
            if m and m.group("path") == target:
                return {"line": line, "file": full, "dns_name": m.group("name")}
    return None


# ---------------------------------------------------------------- the proof


def empty_proof(fs_id, path):
    return {
        "file_system_id": fs_id,
        "path": path,
        "real_path": None,
        "mounted": False,
        "fstype": None,
        "source": None,
        "mount_id": None,
        "device": None,
        "responding": None,
        "tls": False,
        "relay": None,
        "relay_pid": None,
        "relay_cmd": None,
        "port": None,
        "ca_file": None,
        "check_host": None,
        "connect": None,
        "nfs_options": [],
        "fstab_line": None,
        "state_file": None,
        "own_state_file": None,
        "shared_nfs_client": False,
        "mounted_settings": {},
        "evidence": [],
        "supporting_evidence": None,
        "compliant": False,
        "reasons": [],
    }


def _within_root(fs_root, real):
    """A path resolved under `fs_root`, as seen from inside it (None when unknown or outside)."""
    if not real:
        return None
    root = os.path.realpath(fs_root)
    if root == "/":
        return real
    if real == root:
        return "/"
    return real[len(root) :] if real.startswith(root + "/") else None


def _describe(m):
    return "%s %s on %s (mount id %s, device %s)" % (
        m["fstype"],
        m["source"],
        m["mount_point"],
        m["mount_id"],
        m["dev"],
    )


def prove(
    fs_id,
    path,
    mounts,
    state_files,
    proc_root=PROC_ROOT,
    state_dir=STATE_DIR,
    log_dir=LOG_DIR,
    region=None,
    fs_root="/",
    probe=None,
    probe_timeout=PROBE_TIMEOUT,
):
    """Build the proof record for `path` from facts already read (mounts, state files).

    `tls` is True only when every check passed; each check is one entry in
    `evidence`. Files the relay reads (its CA bundle) are read under `fs_root`;
    `probe(path, timeout)` is probe_path() unless a test passes another.
    Compliance (fstab, drift) is decided by the caller.
    """
    proof = empty_proof(fs_id, path)
    evidence = proof["evidence"]

    def check(name, ok, detail):
        evidence.append({"check": name, "ok": bool(ok), "detail": detail})
        return ok

    # The path itself, asked in a child process that is killed if the mount does not answer.
    probed = (probe or probe_path)(posixpath.join(fs_root, path.lstrip("/")), probe_timeout)
    judged = _within_root(fs_root, probed.get("realpath")) or path
    if normalize_mount_point(judged) != normalize_mount_point(path):
        # mount(8) canonicalises the target: mountinfo and the state file name the resolved path.
        proof["real_path"] = judged
        check("canonical_path", True, "%s resolves to %s (symlinks); mount(8) mounts there" % (path, judged))
    path = judged

    proof["supporting_evidence"] = find_log_line(log_dir, path) if log_dir else None

    here = mounts_at(mounts, path)
    if not check("mounted", here, "%s is %sa mount point" % (path, "" if here else "not ")):
        return proof
    reached = reached_mount(mounts, path)
    top = reached if reached is not None and any(m is reached for m in here) else stack_top(here)
    proof["mounted"] = True
    proof["fstype"] = top["fstype"]
    proof["source"] = top["source"]
    proof["mount_id"] = top["mount_id"]
    proof["device"] = top["dev"]
    proof["nfs_options"] = top["super_options"]
    opts = options_dict(top["super_options"])

    host, _sep, export = top["source"].rpartition(":")
    proof["mounted_settings"]["subpath"] = normalize_mount_point(export or "/") if export.startswith("/") else None

    ok = True
    if reached is None:
        detail = "no root mount in mountinfo; judged the top of the stack at %s: %s" % (path, _describe(top))
    elif reached is top:
        detail = "walking the mount tree from / reaches %s" % _describe(top)
    else:
        detail = "%s is hidden: walking the mount tree from / reaches %s" % (path, _describe(reached))
    reaches = bool(check("path_reaches_mount", reached is None or reached is top, detail))
    ok &= bool(check("fstype", top["fstype"] == "nfs4", "type %s (nfs4 expected)" % top["fstype"]))
    ok &= bool(
        check(
            "loopback_source",
            host == "127.0.0.1" and opts.get("addr", "127.0.0.1") == "127.0.0.1",
            "source %s, addr=%s (a TLS relay listens on 127.0.0.1)" % (top["source"], opts.get("addr")),
        )
    )
    port = None
    if opts.get("port", "").isdigit():
        port = int(opts["port"])
    proof["port"] = port
    ok &= bool(
        check("relay_port", port is not None and port != 2049, "port=%s in the mount options" % opts.get("port"))
    )
    if not ok:
        return proof
    ok &= reaches

    ok &= bool(
        check(
            "path_device",
            probed.get("dev") == top["dev"],
            "stat(%s) gives device %s, the judged mount is %s%s"
            % (
                path,
                probed.get("dev") or "unknown",
                top["dev"],
                " (%s)" % probed["error"] if probed.get("error") and not probed.get("dev") else "",
            ),
        )
    )
    proof["responding"] = bool(probed.get("responding"))
    ok &= bool(
        check(
            "responding",
            proof["responding"],
            (
                "statvfs and a directory read answered in %s s" % probed.get("seconds")
                if proof["responding"]
                else "the mount did not answer (%s): a hung relay or server" % (probed.get("error") or "no reply")
            ),
        )
    )

    own = find_own(state_files, fs_id, path, port)
    proof["own_state_file"] = own
    carrier = find_carrier(state_files, fs_id, port)
    if own is not None and state_file_port(own) == port:
        carrier = own
    proof["state_file"] = carrier
    if not check(
        "state_file",
        carrier is not None,
        "state file for port %s: %s"
        % (port, posixpath.join(state_dir, carrier) if carrier else "none in %s" % state_dir),
    ):
        return proof
    if own is not None and own != carrier:
        proof["shared_nfs_client"] = True
        check(
            "shared_nfs_client",
            True,
            "NFSv4.1 client sharing: traffic for %s rides on the relay of %s (port %s); its own relay (%s) carries none"
            % (path, (state_files[carrier] or {}).get("mountpoint"), port, own),
        )
    elif own is None:
        check("own_state_file", True, "no state file names %s; the relay on port %s carries its traffic" % (path, port))

    data = state_files.get(carrier)
    if not check(
        "state_file_readable",
        isinstance(data, dict),
        "state file %s is %s" % (carrier, "JSON" if isinstance(data, dict) else "not a JSON object"),
    ):
        return proof
    # efs-utils 3.x also mounts S3 Files (mount.s3files) with the same names and relays; those are not EFS.
    service = data.get("service_type", EFS_SERVICE_TYPE)
    ok &= bool(
        check(
            "service_type", service == EFS_SERVICE_TYPE, "service_type %s (%s expected)" % (service, EFS_SERVICE_TYPE)
        )
    )
    carrier_fs = state_file_fs_id(carrier, data)
    ok &= bool(check("state_file_fs_id", carrier_fs == fs_id, "relay on port %s serves %s" % (port, carrier_fs)))
    # Access point and IAM travel in the carrying relay's TLS client certificate: with a shared
    # NFS client they are the carrier's, whatever the rider's own state file asked for.
    proof["mounted_settings"].update({"file_system_id": carrier_fs, "access_point": data.get("accessPoint")})
    # Only TLS state files record the credentials source; others say nothing about IAM.
    if "certificate" in data:
        proof["mounted_settings"]["iam"] = "awsCredentialsMethod" in data

    kind, tls_flag, config_path = relay_of(data.get("cmd"))
    proof["relay"] = kind
    proof["relay_cmd"] = data.get("cmd")
    pid = data.get("pid")
    proof["relay_pid"] = pid
    ok &= bool(
        check(
            "relay_tls",
            kind is not None and tls_flag,
            "relay %s%s"
            % (
                kind or "unknown (%s)" % (data.get("cmd"),),
                "" if kind != "efs-proxy" else (" with --tls" if tls_flag else " without --tls: plain NFS"),
            ),
        )
    )
    ok &= _check_relay_process(check, proc_root, pid, kind, config_path, port)

    expected_config = posixpath.join(state_dir, "stunnel-config.%s" % carrier)
    # The helper names its directory /var/run/efs; readers may be pointed elsewhere (tests, /run).
    config_ok = (
        config_path is not None
        and posixpath.basename(config_path) == posixpath.basename(expected_config)
        and posixpath.dirname(config_path) in (state_dir, STATE_DIR, "/run/efs")
    )
    ok &= bool(
        check(
            "tunnel_config_path",
            config_ok,
            "relay reads %s (expected stunnel-config.%s in the state directory)" % (config_path, carrier),
        )
    )
    try:
        with open(expected_config, "rb") as f:
            config_text = f.read().decode("utf-8", "replace")
    except (FileNotFoundError, PermissionError, IsADirectoryError):
        check("tunnel_config", False, "%s is missing" % expected_config)
        return proof
    config = _lower_keys(parse_tunnel_config(config_text))

    accept = _last(config, "accept") or ""
    ok &= bool(check("accept_port", accept.rpartition(":")[2] == str(port), "accept = %s" % accept))
    verify = _last(config, "verify")
    ok &= bool(check("verify", verify == "2", "verify = %s (2 checks the server certificate)" % verify))
    ca_file = _last(config, "cafile")
    check_host = _last(config, "checkhost")
    if kind == "efs-proxy":
        # efs-proxy reads [efs] with case-sensitive names and fails open where stunnel fails closed.
        efs = parse_tunnel_sections(config_text).get("efs", {})
        ca_file = _last(efs, "CAfile")
        check_host = _last(efs, "checkHost")
        ok &= _check_efs_proxy_ca(check, fs_root, ca_file)
    proof["ca_file"] = ca_file
    ok &= bool(check("ca_file", bool(ca_file), "CAfile = %s" % ca_file))
    proof["check_host"] = check_host
    m = re.match(_CHECK_HOST_RE % re.escape(fs_id), check_host or "")
    host_ok = bool(m) and (region is None or m.group("region") == region)
    ok &= bool(
        check(
            "check_host",
            host_ok,
            "checkHost = %s (expected %s.efs.%s.<suffix>%s)"
            % (
                check_host,
                fs_id,
                region or "<region>",
                "; efs-proxy accepts any host name when it is empty" if kind == "efs-proxy" else "",
            ),
        )
    )
    connect = _last(config, "connect")
    proof["connect"] = connect
    c_host, _s, c_port = (connect or "").rpartition(":")
    ok &= bool(check("connect", bool(c_host) and c_port == "2049", "connect = %s" % connect))

    proof["tls"] = bool(ok)
    return proof


def _check_relay_process(check, proc_root, pid, kind, config_path, port):
    """The state file's pid is alive, is root's stunnel/efs-proxy binary, and holds the mount's port."""
    cmdline = read_cmdline(proc_root, pid)
    if not check(
        "relay_alive",
        cmdline_is_relay(cmdline, kind, config_path),
        "pid %s %s" % (pid, "runs %s" % " ".join(cmdline) if cmdline else "is not running"),
    ):
        return False
    ok = True
    if kind == "efs-proxy":
        live_tls = relay_of(cmdline)[1]
        ok &= bool(
            check(
                "relay_live_tls",
                live_tls,
                "the running efs-proxy was started %s --tls" % ("with" if live_tls else "without"),
            )
        )
    uids = read_uids(proc_root, pid)
    ok &= bool(
        check(
            "relay_owner",
            uids is not None and all(u == 0 for u in uids),
            "pid %s runs as uid %s (real, effective, saved, fs; root expected)"
            % (pid, "/".join(str(u) for u in uids) if uids else "unknown"),
        )
    )
    exe = read_exe(proc_root, pid)
    ok &= bool(
        check(
            "relay_binary",
            exe_kind(exe) is not None and exe_kind(exe) == kind,
            "pid %s executes %s (a %s binary expected)" % (pid, exe or "an unreadable binary", kind),
        )
    )
    listeners = listeners_for_loopback_port(proc_root, pid, port)
    held = read_socket_inodes(proc_root, pid)
    owns = bool(listeners) and held is not None and set(listeners) <= held
    if listeners is None:
        detail = "cannot read the relay's /proc/%s/net/tcp" % pid
    elif not listeners:
        detail = "nothing listens on 127.0.0.1:%s in the relay's network namespace" % port
    elif held is None:
        detail = "cannot read the sockets of pid %s" % pid
    else:
        detail = "LISTEN socket%s %s for 127.0.0.1:%s %s pid %s" % (
            "s" if len(listeners) > 1 else "",
            ", ".join("socket:[%s]" % i for i in listeners),
            port,
            "held by" if owns else "not (all) held by",
            pid,
        )
    ok &= bool(check("relay_listens", owns, detail))
    return bool(ok)


def _check_efs_proxy_ca(check, fs_root, ca_file):
    """efs-proxy turns certificate checks off when its CA bundle is empty or only '# ' comments."""
    if not ca_file:
        return bool(check("ca_certificates", False, "no CAfile in [efs]: efs-proxy then accepts any certificate"))
    try:
        with open(posixpath.join(fs_root, ca_file.lstrip("/")), "rb") as f:
            data = f.read()
    except OSError as e:
        return bool(check("ca_certificates", False, "cannot read CAfile %s: %s" % (ca_file, e)))
    count = count_pem_certificates(efs_proxy_ca_text(data))
    return bool(
        check(
            "ca_certificates",
            count > 0,
            "%s holds %d PEM certificate%s as efs-proxy reads it%s"
            % (ca_file, count, "" if count == 1 else "s", "" if count else ": efs-proxy then skips verification"),
        )
    )


def supporting_matches(proof):
    """True when the mount.log line names this file system's DNS name."""
    sup = proof.get("supporting_evidence")
    if not sup:
        return False
    return re.search(r"(^|\.)%s\.efs\." % re.escape(proof["file_system_id"]), sup["dns_name"]) is not None


def drift(proof, fs_id, subpath, access_point, iam):
    """Settings of a TLS mount that differ from the request (each needs a remount)."""
    got = proof.get("mounted_settings") or {}
    reasons = []
    if not proof.get("mounted"):
        return reasons
    if got.get("file_system_id") not in (None, fs_id):
        reasons.append("the path holds %s, not %s" % (got["file_system_id"], fs_id))
    if got.get("subpath") is not None and got["subpath"] != normalize_mount_point(subpath or "/") and not access_point:
        reasons.append("the mount exports %s, not %s" % (got["subpath"], subpath or "/"))
    if "access_point" in got and (got.get("access_point") or None) != (access_point or None):
        reasons.append("the mount uses access point %s, not %s" % (got.get("access_point"), access_point))
    if "iam" in got and bool(got["iam"]) != bool(iam):
        reasons.append("the mount was made %s IAM authorization" % ("with" if got["iam"] else "without"))
    return reasons


def failed_checks(proof):
    return ["%s: %s" % (e["check"], e["detail"]) for e in proof["evidence"] if not e["ok"]]

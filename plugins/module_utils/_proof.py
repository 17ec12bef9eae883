# -*- coding: utf-8 -*-
# Copyright: contributors to aws_efs.transit
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Proof that a live mount goes through a verified TLS relay.

From amazon-efs-utils 2.0 on every mount, TLS or not, shows 127.0.0.1 as its
source, so that alone proves nothing. The proof joins four sources: the
kernel's mountinfo, the helper's state file, the relay process and the
tunnel config that relay reads. Every reader takes its root directory as an
argument so tests run on fixtures.
"""

from __future__ import annotations

import json
import os
import posixpath
import re

from ansible_collections.aws_efs.transit.plugins.module_utils._files import normalize_path as normalize_mount_point
from ansible_collections.aws_efs.transit.plugins.module_utils._fstab import unescape

PROC_ROOT = "/proc"
from ansible_collections.aws_efs.transit.plugins.module_utils._helper import LOG_DIR, STATE_DIR  # noqa: E402

NFS_TYPES = ("nfs4", "nfs")

_RELAY_STUNNEL_RE = re.compile(r"^stunnel\d*$")
_CHECK_HOST_RE = r"^%s\.efs\.(?P<region>[a-z0-9-]+)\.(?P<suffix>[a-z0-9.-]+)$"
_LOG_RE = re.compile(r"Successfully mounted (?P<name>\S+) at (?P<path>.*)$")


# ---------------------------------------------------------------- mountinfo


def parse_mountinfo(text):
    """/proc/self/mountinfo -> list of dicts, in kernel order (later entries are stacked on top)."""
    mounts = []
    for line in text.splitlines():
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
                "root": unescape(parts[3]),
                "mount_point": unescape(parts[4]),
                "mount_options": parts[5].split(","),
                "fstype": parts[sep + 1],
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
    """This mount point's own state file: by exact name first, then by the JSON mountpoint."""
    if port is not None:
        exact = state_file_name(fs_id, path, port)
        if exact in state_files:
            return exact
    target = normalize_mount_point(path)
    prefix = "%s.%s." % (fs_id, safe_mount_point_name(path))
    candidates = []
    for name, data in state_files.items():
        if not isinstance(data, dict):
            continue
        mp = data.get("mountpoint")
        if isinstance(mp, str) and normalize_mount_point(mp) == target and state_file_fs_id(name, data) == fs_id:
            candidates.append(name)
        elif name.startswith(prefix) and name[len(prefix) :].isdigit():
            candidates.append(name)
    if not candidates:
        return None
    # Newest mount wins when stale files linger.
    candidates.sort(key=lambda n: (_num(state_files[n], "mount_time"), n))
    return candidates[-1]


def _num(data, key):
    try:
        return float((data or {}).get(key) or 0)
    except (TypeError, ValueError):
        return 0.0


# ---------------------------------------------------------------- relay


def relay_of(cmd):
    """(kind, tls, config_path) from a state file's `cmd`; kind is stunnel, efs-proxy or None."""
    if not isinstance(cmd, list) or not all(isinstance(a, str) for a in cmd) or not cmd:
        return None, False, None
    args = list(cmd)
    # netns mounts run the relay under nsenter.
    if posixpath.basename(args[0]) == "nsenter":
        args = [a for a in args[1:] if not a.startswith("-")]
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


# ---------------------------------------------------------------- tunnel config


def parse_tunnel_config(text):
    """stunnel-style config -> {key: [values]} for the [efs] section (global keys as fallback)."""
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
        "mounted": False,
        "fstype": None,
        "source": None,
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


def prove(fs_id, path, mounts, state_files, proc_root=PROC_ROOT, state_dir=STATE_DIR, log_dir=LOG_DIR, region=None):
    """Build the proof record for `path` from facts already read (mounts, state files).

    `tls` is True only when every check passed. Compliance (fstab, drift) is
    decided by assess().
    """
    proof = empty_proof(fs_id, path)
    evidence = proof["evidence"]

    def check(name, ok, detail):
        evidence.append({"check": name, "ok": bool(ok), "detail": detail})
        return ok

    proof["supporting_evidence"] = find_log_line(log_dir, path) if log_dir else None

    here = mounts_at(mounts, path)
    if not check("mounted", here, "%s is %sa mount point" % (path, "" if here else "not ")):
        return proof
    top = here[-1]
    proof["mounted"] = True
    proof["fstype"] = top["fstype"]
    proof["source"] = top["source"]
    proof["nfs_options"] = top["super_options"]
    opts = options_dict(top["super_options"])

    host, _sep, export = top["source"].rpartition(":")
    proof["mounted_settings"]["subpath"] = normalize_mount_point(export or "/") if export.startswith("/") else None

    ok = True
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
    carrier_fs = state_file_fs_id(carrier, data)
    ok &= bool(check("state_file_fs_id", carrier_fs == fs_id, "relay on port %s serves %s" % (port, carrier_fs)))
    own_data = state_files.get(own) if own else data
    if isinstance(own_data, dict):
        proof["mounted_settings"].update(
            {
                "file_system_id": state_file_fs_id(own or carrier, own_data),
                "access_point": own_data.get("accessPoint"),
            }
        )
        # Only TLS state files record the credentials source; others say nothing about IAM.
        if "certificate" in own_data:
            proof["mounted_settings"]["iam"] = "awsCredentialsMethod" in own_data

    kind, tls_flag, config_path = relay_of(data.get("cmd"))
    proof["relay"] = kind
    proof["relay_cmd"] = data.get("cmd")
    proof["relay_pid"] = data.get("pid")
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
    cmdline = read_cmdline(proc_root, data.get("pid"))
    ok &= bool(
        check(
            "relay_alive",
            cmdline_is_relay(cmdline, kind, config_path),
            "pid %s %s" % (data.get("pid"), "runs %s" % " ".join(cmdline) if cmdline else "is not running"),
        )
    )

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
            config = _lower_keys(parse_tunnel_config(f.read().decode("utf-8", "replace")))
    except (FileNotFoundError, PermissionError, IsADirectoryError):
        check("tunnel_config", False, "%s is missing" % expected_config)
        return proof

    accept = _last(config, "accept") or ""
    ok &= bool(check("accept_port", accept.rpartition(":")[2] == str(port), "accept = %s" % accept))
    verify = _last(config, "verify")
    ok &= bool(check("verify", verify == "2", "verify = %s (2 checks the server certificate)" % verify))
    ca_file = _last(config, "cafile")
    proof["ca_file"] = ca_file
    ok &= bool(check("ca_file", bool(ca_file), "CAfile = %s" % ca_file))
    check_host = _last(config, "checkhost")
    proof["check_host"] = check_host
    m = re.match(_CHECK_HOST_RE % re.escape(fs_id), check_host or "")
    host_ok = bool(m) and (region is None or m.group("region") == region)
    ok &= bool(
        check(
            "check_host",
            host_ok,
            "checkHost = %s (expected %s.efs.%s.<suffix>)" % (check_host, fs_id, region or "<region>"),
        )
    )
    connect = _last(config, "connect")
    proof["connect"] = connect
    c_host, _s, c_port = (connect or "").rpartition(":")
    ok &= bool(check("connect", bool(c_host) and c_port == "2049", "connect = %s" % connect))

    proof["tls"] = bool(ok)
    return proof


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

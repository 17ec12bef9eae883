# -*- coding: utf-8 -*-
# Copyright: contributors to aws_efs.transit
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Discovery: every NFS mount of a host, declared or not, sorted into EFS over proven TLS,
EFS without TLS, or not EFS.

Pure: the caller reads mountinfo, the helper's state files and fstab once and passes them in;
the TLS proof is _proof.prove(), the same one efs_tls_mount uses.
"""

from __future__ import annotations

import re

from ansible_collections.aws_efs.transit.plugins.module_utils import _fstab
from ansible_collections.aws_efs.transit.plugins.module_utils import _proof

KINDS = ("efs_tls", "efs_plain", "not_efs", "absent")
UNDECLARED_POLICIES = ("fail", "warn", "ignore")
WANTED_STATES = ("mounted", "present", "unmounted", "absent")

# What the kernel shows as a mount source when NFS goes straight to EFS (no relay).
_FS = r"fs-[0-9a-f]{8,40}"
_EFS_DNS_RE = re.compile(
    r"^(?:(?P<az>[a-z0-9-]+)\.)?(?P<fs_id>%s)\.efs\.(?P<region>[a-z0-9-]+)\.(?P<suffix>[a-z0-9.-]+?)\.?$" % _FS
)
_S3FILES_DNS_RE = re.compile(r"^(?:[a-z0-9-]+\.)?%s\.s3files\." % _FS)
_BARE_FS_RE = re.compile(r"^(?P<fs_id>%s)$" % _FS)
_LOOPBACK = ("127.0.0.1", "localhost", "::1")
NFS_PORT = 2049


def split_source(source):
    """'host:/export' -> (host, export); IPv6 hosts in brackets lose them."""
    host, sep, export = (source or "").rpartition(":")
    if not sep:
        return source or "", ""
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host.lower(), export


def classify_source(host):
    """What a mount source host names: dict(kind, fs_id, region).

    kind is efs (an EFS DNS name or a bare fs id), s3files, loopback (a local relay) or other.
    """
    m = _EFS_DNS_RE.match(host)
    if m:
        return {"kind": "efs", "fs_id": m.group("fs_id"), "region": m.group("region")}
    if _S3FILES_DNS_RE.match(host):
        return {"kind": "s3files", "fs_id": None, "region": None}
    m = _BARE_FS_RE.match(host)
    if m:
        return {"kind": "efs", "fs_id": m.group("fs_id"), "region": None}
    if host in _LOOPBACK or host.startswith("127."):
        return {"kind": "loopback", "fs_id": None, "region": None}
    return {"kind": "other", "fs_id": None, "region": None}


def top_mounts(mounts):
    """{mount point: the mount on top of its stack}, in mount table order."""
    here = {}
    for entry in mounts:
        here.setdefault(_fstab.normalize_mount_point(entry["mount_point"]), []).append(entry)
    return {path: _proof.stack_top(stack) for path, stack in here.items()}


def live_nfs_mounts(mounts):
    """The top mount of each mount point, NFS ones only, in mount table order."""
    return [e for e in top_mounts(mounts).values() if e["fstype"] in _proof.NFS_TYPES]


def _port(entry):
    value = _proof.options_dict(entry["super_options"]).get("port") or ""
    return int(value) if value.isdigit() else None


def _relay_state(state_files, path, port):
    """(name, data) of the state file behind a loopback mount: its own on that port, else the port's carrier."""
    name = _proof.find_own(state_files, None, path, port)
    if name is None or _proof.state_file_port(name) != port:
        name = _proof.find_carrier(state_files, None, port)
    return name, (state_files.get(name) if name else None)


def _fstab_entry(entries, path):
    found = _fstab.find(entries, path)
    return found[0] if found else None


def _fstab_reasons(entry, fs_id):
    """Why this host's fstab would not mount `fs_id` over TLS at boot (empty when it would)."""
    if entry is None:
        return ["fstab: no line for this mount point (not mounted over TLS at boot)"]
    fields = entry.fields
    line = entry.raw.rstrip("\n")
    fstype = fields[2] if len(fields) > 2 else ""
    options = set((fields[3] if len(fields) > 3 else "").split(","))
    named = _fstab.spec_fs_id(_fstab.unescape(fields[0]))
    reasons = []
    if fstype != "efs":
        reasons.append("fstab: type %s, not efs: %s" % (fstype or "(none)", line))
    elif named != fs_id:
        reasons.append("fstab: the line names %s, not %s: %s" % (named, fs_id, line))
    elif "tls" not in options or "notls" in options:
        reasons.append("fstab: the line mounts without the tls option: %s" % line)
    return reasons


def _blank(path, declared):
    return {
        "path": path,
        "declared": declared is not None,
        "wanted": declared.get("state", "mounted") if declared else None,
        "mounted": False,
        "kind": "absent",
        # The field efs_tls_mount's records carry too (the report, the summaries read it).
        "tls": False,
        "file_system_id": declared.get("file_system_id") if declared else None,
        "region": declared.get("region") if declared else None,
        "source": None,
        "fstype": None,
        "service_type": None,
        "port": None,
        "relay": None,
        "relay_pid": None,
        "check_host": None,
        "ca_file": None,
        "connect": None,
        "shared_nfs_client": False,
        "fstab_line": None,
        "evidence": [],
        "findings": [],
        "severity": "ok",
        "compliant": True,
        "reasons": [],
    }


_PROOF_FIELDS = ("relay", "relay_pid", "port", "check_host", "ca_file", "connect", "shared_nfs_client", "evidence")


def classify(entry, state_files, fstab_entries, facts, declared=None, all_mounts=None):
    """One live NFS mount -> a record with kind efs_tls, efs_plain or not_efs and the findings behind it.

    `facts` = dict(proc_root, state_dir, log_dir, fs_root, probe): where and how prove() reads relay
    processes, configs and the path itself; `all_mounts` is the whole mount table (prove() walks it).
    `declared` (a mount spec) supplies the expected file system and region.
    """
    path = entry["mount_point"]
    all_mounts = all_mounts if all_mounts is not None else [entry]
    rec = _blank(path, declared)
    rec.update(mounted=True, source=entry["source"], fstype=entry["fstype"], port=_port(entry))
    host, _export = split_source(entry["source"])
    src = classify_source(host)
    findings = rec["findings"]
    region = (declared or {}).get("region")

    if src["kind"] == "loopback" and rec["port"] not in (None, NFS_PORT):
        name, data = _relay_state(state_files, path, rec["port"])
        if isinstance(data, dict) and data.get("service_type") == "s3files":
            rec.update(kind="not_efs", service_type="s3files")
            findings.append("an S3 Files mount (mount.s3files state file %s), not EFS" % name)
            return rec
        fs_id = _proof.state_file_fs_id(name, data) if name else None
        if fs_id is None:
            rec.update(kind="efs_plain", file_system_id=rec["file_system_id"])
            findings.append(
                "a loopback NFS mount on port %s with no efs-utils state file: no TLS relay can be proven" % rec["port"]
            )
            return rec
        rec["service_type"] = (data or {}).get("service_type")
        rec["file_system_id"] = fs_id
        rec["region"] = region or (data or {}).get("region")
        proof = _proof.prove(
            fs_id,
            path,
            all_mounts,
            state_files,
            proc_root=facts["proc_root"],
            state_dir=facts["state_dir"],
            log_dir=None,
            region=region,
            fs_root=facts.get("fs_root", "/"),
            probe=facts.get("probe"),
        )
        for key in _PROOF_FIELDS:
            rec[key] = proof[key]
        if proof["tls"]:
            rec["kind"] = "efs_tls"
        else:
            rec["kind"] = "efs_plain"
            findings.append("a relay mount of %s without a proven TLS relay" % fs_id)
            findings.extend(_proof.failed_checks(proof))
        return rec

    if src["kind"] == "efs":
        rec.update(kind="efs_plain", file_system_id=src["fs_id"], region=src["region"] or region)
        findings.append("plain NFS straight to %s (%s), not through a TLS relay" % (src["fs_id"], host))
        return rec
    if src["kind"] == "s3files":
        rec.update(kind="not_efs", service_type="s3files")
        findings.append("an S3 Files mount (%s), not EFS" % host)
        return rec

    # An address or another name: EFS only if this host's fstab says so for the path.
    fst = _fstab_entry(fstab_entries, path)
    named = _fstab.spec_fs_id(_fstab.unescape(fst.fields[0])) if fst is not None else None
    if named:
        rec.update(kind="efs_plain", file_system_id=named)
        findings.append(
            "fstab names %s for this mount point, and the live mount goes to %s directly (plain NFS)" % (named, host)
        )
        return rec
    if declared and declared.get("file_system_id"):
        rec.update(kind="efs_plain")
        findings.append(
            "declared as %s, and the live mount goes to %s directly (plain NFS)" % (declared["file_system_id"], host)
        )
        return rec
    rec["kind"] = "not_efs"
    findings.append("NFS from %s, which names no EFS file system" % (host or entry["source"]))
    return rec


def _judge_declared(rec, spec, fstab_entry):
    """Compliance of a mount the role manages, by its wanted state."""
    wanted = rec["wanted"]
    fs_id = spec["file_system_id"]
    reasons = rec["reasons"]
    if wanted in ("unmounted", "absent"):
        if rec["mounted"]:
            reasons.append("%s is mounted (wanted %s)" % (rec["path"], wanted))
        if wanted == "absent" and fstab_entry is not None and _fstab.spec_fs_id(fstab_entry.fields[0]) == fs_id:
            reasons.append("fstab still has a line for %s" % rec["path"])
        return
    reasons.extend(_fstab_reasons(fstab_entry, fs_id))
    if wanted == "present" and not rec["mounted"]:
        return
    if not rec["mounted"]:
        reasons.append("%s is not mounted" % rec["path"])
    elif rec["kind"] == "not_efs":
        reasons.append("%s holds a mount that is not EFS: %s" % (rec["path"], "; ".join(rec["findings"])))
    elif rec["kind"] == "efs_plain":
        reasons.extend(rec["findings"])
    elif rec["file_system_id"] != fs_id:
        reasons.append("%s holds %s, not %s" % (rec["path"], rec["file_system_id"], fs_id))


def judge(rec, spec, fstab_entry, undeclared):
    """Set severity, compliant and reasons. An EFS mount without TLS is never fine when declared;
    undeclared, it fails, warns or is only listed, as `undeclared` (fail|warn|ignore) says."""
    if spec is not None:
        _judge_declared(rec, spec, fstab_entry)
        rec["compliant"] = not rec["reasons"]
        rec["severity"] = "ok" if rec["compliant"] else "fail"
    elif rec["kind"] == "efs_plain":
        rec["reasons"] = ["undeclared EFS mount without TLS: %s" % "; ".join(rec["findings"])]
        rec["compliant"] = undeclared != "fail"
        rec["severity"] = {"fail": "fail", "warn": "warn", "ignore": "info"}[undeclared]
    else:
        rec["severity"] = "ok" if rec["kind"] == "efs_tls" else "info"
    if fstab_entry is not None:
        rec["fstab_line"] = fstab_entry.raw.rstrip("\n")
    rec["tls"] = rec["kind"] == "efs_tls"
    return rec


def validate_declared(mounts):
    """The role's efs_client_mounts -> {mount point: spec}; raises ValueError naming a bad entry."""
    out = {}
    for i, spec in enumerate(mounts or []):
        if not isinstance(spec, dict):
            raise ValueError("mounts[%d] is not a dict" % i)
        fs_id, path = spec.get("file_system_id"), spec.get("path") or spec.get("mount_point")
        if not isinstance(fs_id, str) or not _BARE_FS_RE.match(fs_id):
            raise ValueError("mounts[%d].file_system_id %r is not an EFS file system id" % (i, fs_id))
        if not isinstance(path, str) or not path.startswith("/"):
            raise ValueError("mounts[%d].path %r is not an absolute path" % (i, path))
        state = spec.get("state") or "mounted"
        if state not in WANTED_STATES:
            raise ValueError("mounts[%d].state %r is not one of %s" % (i, state, ", ".join(WANTED_STATES)))
        region = spec.get("region")
        out[_fstab.normalize_mount_point(path)] = {
            "file_system_id": fs_id,
            "path": _fstab.normalize_mount_point(path),
            "state": state,
            "region": region if isinstance(region, str) and region else None,
        }
    return out


def audit_mounts(mounts, state_files, fstab_text, declared, undeclared="fail", facts=None):
    """Every live NFS mount plus every declared mount point -> records, in mount table order then declared order.

    mounts: parsed mountinfo; state_files: _proof.read_state_files(); fstab_text: the host's fstab;
    declared: validate_declared() output; facts: dict(proc_root, state_dir, log_dir).
    """
    if undeclared not in UNDECLARED_POLICIES:
        raise ValueError("undeclared must be one of %s" % ", ".join(UNDECLARED_POLICIES))
    facts = facts or {"proc_root": _proof.PROC_ROOT, "state_dir": _proof.STATE_DIR, "log_dir": _proof.LOG_DIR}
    entries = _fstab.parse(fstab_text or "")
    records = []
    seen = set()
    top = top_mounts(mounts)
    for entry in live_nfs_mounts(mounts):
        path = _fstab.normalize_mount_point(entry["mount_point"])
        spec = declared.get(path)
        rec = classify(entry, state_files, entries, facts, spec, mounts)
        records.append(judge(rec, spec, _fstab_entry(entries, path), undeclared))
        seen.add(path)
    for path, spec in declared.items():
        if path in seen:
            continue
        rec = _blank(path, spec)
        entry = top.get(path)
        if entry is not None:
            # Something that is not NFS sits on a declared EFS mount point.
            rec.update(mounted=True, kind="not_efs", source=entry["source"], fstype=entry["fstype"])
            rec["findings"].append("a %s mount from %s, not NFS" % (entry["fstype"], entry["source"]))
        records.append(judge(rec, spec, _fstab_entry(entries, path), undeclared))
    return records


def summarize(records):
    """Counts by kind, and whether the mounts leave the host compliant."""
    counts = {k: 0 for k in KINDS}
    for rec in records:
        counts[rec["kind"]] += 1
    return {
        "examined": len(records),
        "efs_tls": counts["efs_tls"],
        "efs_plain": counts["efs_plain"],
        "not_efs": counts["not_efs"],
        "absent": counts["absent"],
        "undeclared": sum(1 for r in records if not r["declared"]),
        "compliant": all(r["compliant"] for r in records),
    }

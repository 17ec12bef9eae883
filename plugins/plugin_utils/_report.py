# -*- coding: utf-8 -*-
# Copyright: contributors to aws_efs.transit
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The compliance report: one JSON document joining every host's mounts to their file system's
policy verdict. Pure: host records and policy entries in, a document out (controller side).

The document's shape is roles/efs_client/files/efs-transit-report.schema.json. What "compliant"
means for a host, a file system policy, a file system and the fleet is decided by
module_utils/_compliance.py, as for the role's records: this file joins and counts.
"""

from __future__ import annotations

import copy
import datetime

from ansible_collections.aws_efs.transit.plugins.module_utils import _compliance

SCHEMA_VERSION = "1.0"
SCHEMA_FILE = "roles/efs_client/files/efs-transit-report.schema.json"
UNKNOWN_FS = "(unknown)"

NO_RECORD = _compliance.NO_RECORD
DRIFT_REASON = _compliance.DRIFT_REASON


# ---------------------------------------------------------------- mounts


def mount_kind(mount):
    """A mount record's kind; converge-mode records (from efs_tls_mount) carry tls/mounted only."""
    kind = mount.get("kind")
    if kind:
        return kind
    if mount.get("tls"):
        return "efs_tls"
    if mount.get("mounted"):
        return "efs_plain"
    return "absent"


def _mount(mount):
    out = dict(mount)
    out["kind"] = mount_kind(mount)
    out.setdefault("declared", True)
    out.setdefault("wanted", out.pop("state", None) or ("mounted" if out["declared"] else None))
    out["compliant"] = bool(out.get("compliant"))
    out.setdefault("severity", "ok" if out["compliant"] else "fail")
    out["reasons"] = [str(r) for r in (out.get("reasons") or [])]
    out.setdefault("file_system_id", None)
    return out


def _host(record):
    host = dict(record)
    host["host"] = str(host.get("host"))
    host["mounts"] = [_mount(m) for m in host.get("mounts") or []]
    host["problems"] = [str(p) for p in host.get("problems") or []]
    host["compliant"] = _compliance.record_compliant(host)
    return host


missing_host = _compliance.missing_host


# ---------------------------------------------------------------- policies


def policy_entry(entry):
    """A server-side result -> {file_system_id, checked, enforces_tls, verdict, drift, compliant, reasons}.

    Accepts efs_policy_info's file_systems[] items (with `verdict`) and the audit play's drift
    records (file_system_id, changed, compliant, msg). A verdict of None ("unknown") never passes.
    """
    verdict = entry.get("verdict") if isinstance(entry.get("verdict"), dict) else None
    drift = entry.get("drift", entry.get("changed"))
    reasons = [str(r) for r in (entry.get("reasons") or [])]
    if verdict is not None:
        reasons.extend(str(r) for r in verdict.get("reasons") or [] if str(r) not in reasons)
    # efs_policy_report entries (playbooks/tasks/policies.yml) carry plan_error and apply_error too.
    error = (
        entry.get("error")
        or entry.get("plan_error")
        or entry.get("apply_error")
        or (entry.get("msg") if entry.get("failed") else None)
    )
    if isinstance(error, dict):  # efs_policy_info's {code, message}
        error = "cannot read the policy: %s: %s" % (error.get("code"), error.get("message"))
    if error:
        reasons.append(str(error))
    enforces = verdict.get("enforces_tls") if verdict is not None else None
    if verdict is not None:
        compliant = _compliance.file_system_compliant(verdict, drift, error)
        if enforces is not True:
            reasons.insert(
                0,
                "the policy does not enforce TLS" if enforces is False else "the policy's TLS enforcement is unknown",
            )
    else:
        # A record judged before (an earlier report, a drift record): its compliant stands for the verdict.
        judged = {"enforces_tls": True} if entry.get("compliant") else None
        compliant = _compliance.file_system_compliant(judged, drift, error)
        if not compliant and not reasons and entry.get("msg"):
            reasons.append(str(entry["msg"]))
    if drift:
        reasons.append(DRIFT_REASON)
    return {
        "file_system_id": entry.get("file_system_id"),
        "checked": True,
        "evaluated": verdict is not None,
        "enforces_tls": enforces,
        "clients_can_mount": verdict.get("clients_can_mount") if verdict else None,
        "root_access_without_tls": verdict.get("root_access_without_tls") if verdict else None,
        "drift": None if drift is None else bool(drift),
        "compliant": bool(compliant),
        "reasons": _unique(reasons),
    }


def _unique(items):
    seen, out = set(), []
    for item in items:
        if item not in seen:
            seen.add(item)
            out.append(item)
    return out


def _unchecked_policy(fs_id):
    return {
        "file_system_id": fs_id,
        "checked": False,
        "evaluated": False,
        "enforces_tls": None,
        "clients_can_mount": None,
        "root_access_without_tls": None,
        "drift": None,
        "compliant": None,
        "reasons": ["the server side was not checked (efs_audit_policies is false or the file system is unknown)"],
    }


def _merge_policies(policies):
    """One entry per file system; several results for one (drift + verdict) all count."""
    out = {}
    for raw in policies or []:
        entry = policy_entry(raw)
        fs_id = entry["file_system_id"]
        if not fs_id:
            continue
        if fs_id not in out:
            out[fs_id] = entry
            continue
        have = out[fs_id]
        for key in ("enforces_tls", "clients_can_mount", "root_access_without_tls", "drift"):
            if have[key] is None:
                have[key] = entry[key]
        have["evaluated"] = have["evaluated"] or entry["evaluated"]
        have["compliant"] = have["compliant"] and entry["compliant"]
        have["reasons"] = _unique(have["reasons"] + entry["reasons"])
    return out


# ---------------------------------------------------------------- file systems


def _file_systems(hosts, policies):
    by_fs = {}
    for host in hosts:
        for m in host["mounts"]:
            if m["kind"] not in ("efs_tls", "efs_plain"):
                continue
            fs_id = m.get("file_system_id") or UNKNOWN_FS
            by_fs.setdefault(fs_id, []).append(
                {
                    "host": host["host"],
                    "path": m.get("path"),
                    "kind": m["kind"],
                    "tls": m["kind"] == "efs_tls",
                    "declared": bool(m.get("declared")),
                    "relay": m.get("relay"),
                    "compliant": m["compliant"],
                    "severity": m.get("severity"),
                }
            )
    for fs_id in policies:
        by_fs.setdefault(fs_id, [])
    out = []
    for fs_id in sorted(by_fs, key=lambda f: (f == UNKNOWN_FS, f)):
        clients = sorted(by_fs[fs_id], key=lambda c: (c["host"], c["path"] or ""))
        policy = policies.get(fs_id) or _unchecked_policy(fs_id)
        tls_hosts = sorted({c["host"] for c in clients if c["tls"]})
        plain_hosts = sorted({c["host"] for c in clients if not c["tls"]})
        reasons = []
        if policy["checked"] and not policy["compliant"]:
            reasons.extend("policy: %s" % r for r in policy["reasons"])
        failing = [c for c in clients if not c["compliant"]]
        for c in failing:
            how = "without TLS" if c["kind"] == "efs_plain" else "in a way that is not compliant"
            reasons.append("%s mounts it at %s %s" % (c["host"], c["path"], how))
        out.append(
            {
                "file_system_id": fs_id,
                "policy": policy,
                "clients": clients,
                "hosts_tls": [h for h in tls_hosts if h not in plain_hosts],
                "hosts_without_tls": plain_hosts,
                "compliant": _compliance.file_system_entry_compliant(policy, clients),
                "reasons": reasons,
            }
        )
    return out


# ---------------------------------------------------------------- the document


def failures(doc):
    """One line per non-compliant host problem, mount (host, path, why) and file system."""
    lines = []
    for host in doc["hosts"]:
        for problem in host["problems"]:
            lines.append("host %s: %s" % (host["host"], problem))
        for m in host["mounts"]:
            if not m["compliant"]:
                fs = m.get("file_system_id")
                lines.append(
                    "mount %s:%s%s: %s"
                    % (
                        host["host"],
                        m.get("path"),
                        " (%s)" % fs if fs else "",
                        "; ".join(m["reasons"]) or "not compliant",
                    )
                )
    for fs in doc["file_systems"]:
        if fs["policy"]["checked"] and not fs["policy"]["compliant"]:
            lines.append("file system %s: %s" % (fs["file_system_id"], "; ".join(fs["policy"]["reasons"])))
    return lines


def warnings(doc):
    """Mounts that pass only because efs_client_undeclared_mounts is warn."""
    return [
        "mount %s:%s: %s" % (h["host"], m.get("path"), "; ".join(m["reasons"]))
        for h in doc["hosts"]
        for m in h["mounts"]
        if m.get("severity") == "warn"
    ]


def build(host_records, policies=None, expected_hosts=None, meta=None):
    """The report document.

    host_records: the role's per-host records; expected_hosts: every host that should have one (a host
    without a record failed or was unreachable); policies: server-side results; meta: generated_at,
    collection_version, ansible_core_version, mode, check_mode, run_id, undeclared_mounts.
    """
    meta = dict(meta or {})
    records = {}
    for rec in host_records or []:
        if isinstance(rec, dict) and rec.get("host"):
            records[str(rec["host"])] = _host(rec)
    for name in expected_hosts or []:
        if name not in records:
            records[name] = _host(missing_host(name))
    hosts = [records[n] for n in sorted(records)]
    merged = _merge_policies(policies)
    file_systems = _file_systems(hosts, merged)
    mounts = [m for h in hosts for m in h["mounts"]]
    checked = [fs for fs in file_systems if fs["policy"]["checked"]]
    doc = {
        "schema_version": SCHEMA_VERSION,
        "schema": SCHEMA_FILE,
        "generated_at": meta.get("generated_at"),
        "generator": {
            "collection": "aws_efs.transit",
            "collection_version": meta.get("collection_version"),
            "ansible_core_version": meta.get("ansible_core_version"),
        },
        "run_id": meta.get("run_id"),
        "mode": meta.get("mode") or "audit",
        "check_mode": bool(meta.get("check_mode")),
        "undeclared_mounts": meta.get("undeclared_mounts") or "fail",
        "policies_checked": bool(checked),
        "compliant": False,
        "summary": {
            "hosts_total": len(hosts),
            "hosts_compliant": sum(1 for h in hosts if h["compliant"]),
            "mounts_total": len(mounts),
            "mounts_compliant": sum(1 for m in mounts if m["compliant"]),
            "mounts_tls": sum(1 for m in mounts if m["kind"] == "efs_tls"),
            "mounts_without_tls": sum(1 for m in mounts if m["kind"] == "efs_plain"),
            "mounts_not_efs": sum(1 for m in mounts if m["kind"] == "not_efs"),
            "mounts_undeclared": sum(1 for m in mounts if not m.get("declared")),
            "file_systems_total": len(file_systems),
            "file_systems_compliant": sum(1 for fs in file_systems if fs["compliant"]),
            "policies_checked": len(checked),
            "policies_compliant": sum(1 for fs in checked if fs["policy"]["compliant"]),
        },
        "hosts": hosts,
        "file_systems": file_systems,
        "failures": [],
        "warnings": [],
    }
    doc["failures"] = failures(doc)
    doc["warnings"] = warnings(doc)
    # Hosts, mounts and policies: the fleet is compliant only when all are.
    doc["compliant"] = _compliance.fleet_compliant(hosts, file_systems)
    return doc


def merge(previous, host_records, policies=None, expected_hosts=None, meta=None):
    """Build the report, keeping the hosts and policies of an earlier report of the same run
    (serial batches, strategy free) that this call does not have."""
    meta = dict(meta or {})
    if not isinstance(previous, dict) or not meta.get("run_id") or previous.get("run_id") != meta.get("run_id"):
        return build(host_records, policies, expected_hosts, meta)
    records = {str(r.get("host")): r for r in host_records or [] if isinstance(r, dict)}
    names = set(records) | set(expected_hosts or [])
    kept = [copy.deepcopy(h) for h in previous.get("hosts") or [] if h.get("host") not in names]
    # A host the earlier batch saw without a record may have one now; one with a record keeps it.
    kept = [h for h in kept if h.get("problems") != [NO_RECORD] or h.get("host") not in names]
    new_fs = {p.get("file_system_id") for p in policies or []}
    old_policies = [
        _policy_back(fs["policy"]) for fs in previous.get("file_systems") or [] if fs.get("policy", {}).get("checked")
    ]
    old_policies = [p for p in old_policies if p["file_system_id"] not in new_fs]
    return build(kept + list(records.values()), old_policies + list(policies or []), expected_hosts, meta)


# ---------------------------------------------------------------- across runs


def timestamp(value):
    """A report's time (checked_at, generated_at) as an aware datetime; None when there is none."""
    if not isinstance(value, str) or not value:
        return None
    text = value[:-1] + "+00:00" if value.endswith("Z") else value
    try:
        stamp = datetime.datetime.fromisoformat(text)
    except ValueError:
        return None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=datetime.timezone.utc)


_OLDEST = datetime.datetime.min.replace(tzinfo=datetime.timezone.utc)


def _seen_at(host, doc_time):
    """When a host entry was observed: its checked_at, else when its run wrote the report."""
    return timestamp(host.get("checked_at")) or doc_time or _OLDEST


def merge_runs(previous_docs, host_records, policies=None, expected_hosts=None, meta=None, max_age=None):
    """Build one report over many runs: earlier reports of any run (this destination's own, the
    local reports of ansible-pull hosts, AWX job slices) and this call's records.

    Per host the newest entry wins: a record's checked_at, else the generated_at of the report (or
    of this call) it comes from; on a tie the later source wins (this call last). A host this call
    expected but has no record for (failed, unreachable) replaces an older entry of another run, not
    a record of its own run (an earlier serial batch). Per file system, this call's policy results
    win, else the newest report's. max_age (seconds, against meta's generated_at) drops earlier
    entries older than that: hosts that stopped reporting leave the fleet report.
    Every host entry carries the run_id of the run that observed it.
    """
    meta = dict(meta or {})
    now = timestamp(meta.get("generated_at"))
    cutoff = now - datetime.timedelta(seconds=max_age) if now and max_age else None
    run_id = meta.get("run_id")
    best = {}  # host -> (seen_at, order, same-run placeholder, entry)

    def offer(entry, seen, order, placeholder=False):
        name = str(entry.get("host"))
        have = best.get(name)
        if have is not None:
            if placeholder and have[3].get("run_id") == run_id and have[3].get("problems") != [NO_RECORD]:
                return
            if (have[0], have[1]) > (seen, order):
                return
        best[name] = (seen, order, placeholder, entry)

    fs_policies = {}  # fs id -> (generated_at, order, policy block)
    docs = [d for d in previous_docs or [] if isinstance(d, dict)]
    for order, doc in enumerate(docs):
        doc_time = timestamp(doc.get("generated_at"))
        for host in doc.get("hosts") or []:
            if not isinstance(host, dict) or not host.get("host"):
                continue
            seen = _seen_at(host, doc_time)
            if cutoff and seen < cutoff:
                continue
            entry = copy.deepcopy(host)
            entry.setdefault("run_id", doc.get("run_id"))
            if entry.get("problems") == [NO_RECORD] and not entry.get("checked_at"):
                entry["checked_at"] = doc.get("generated_at")
            offer(entry, seen, order)
        for fs in doc.get("file_systems") or []:
            policy = fs.get("policy") if isinstance(fs, dict) else None
            if not isinstance(policy, dict) or not policy.get("checked") or not policy.get("file_system_id"):
                continue
            stamp = doc_time or _OLDEST
            if cutoff and stamp < cutoff:
                continue
            have = fs_policies.get(policy["file_system_id"])
            if have is None or (have[0], have[1]) <= (stamp, order):
                fs_policies[policy["file_system_id"]] = (stamp, order, policy)
    order = len(docs)
    current = set()
    for rec in host_records or []:
        if isinstance(rec, dict) and rec.get("host"):
            entry = dict(rec, run_id=rec.get("run_id") or run_id)
            current.add(str(rec["host"]))
            offer(entry, _seen_at(entry, now), order)
    for name in expected_hosts or []:
        if str(name) not in current:
            entry = dict(missing_host(str(name)), run_id=run_id, checked_at=meta.get("generated_at"))
            offer(entry, now or _OLDEST, order, placeholder=True)
    new_fs = {p.get("file_system_id") for p in policies or [] if isinstance(p, dict)}
    old_policies = [_policy_back(p) for fs_id, (_s, _o, p) in sorted(fs_policies.items()) if fs_id not in new_fs]
    hosts = [best[name][3] for name in sorted(best)]
    return build(hosts, old_policies + list(policies or []), None, meta)


def _policy_back(policy):
    """A report's policy block as build() input again."""
    verdict = None
    if policy.get("evaluated"):
        verdict = {
            "enforces_tls": policy.get("enforces_tls"),
            "clients_can_mount": policy.get("clients_can_mount"),
            "root_access_without_tls": policy.get("root_access_without_tls"),
            "reasons": [],
        }
    entry = {
        "file_system_id": policy["file_system_id"],
        "compliant": policy.get("compliant"),
        "drift": policy.get("drift"),
        "reasons": [
            r
            for r in policy.get("reasons") or []
            if r
            not in (
                "the policy does not enforce TLS",
                "the policy's TLS enforcement is unknown",
                DRIFT_REASON,
            )
        ],
    }
    if verdict:
        entry["verdict"] = verdict
    return entry


def stats(doc):
    """The summary AWX shows as job artifacts (set_stats data)."""
    return {
        "efs_transit_compliant": doc["compliant"],
        "efs_transit_summary": dict(doc["summary"], generated_at=doc["generated_at"], check_mode=doc["check_mode"]),
        "efs_transit_failures": doc["failures"],
        "efs_transit_file_systems": {
            fs["file_system_id"]: {
                "compliant": fs["compliant"],
                "policy_enforces_tls": fs["policy"]["enforces_tls"],
                "hosts_tls": len(fs["hosts_tls"]),
                "hosts_without_tls": len(fs["hosts_without_tls"]),
            }
            for fs in doc["file_systems"]
        },
    }


def headline(doc):
    s = doc["summary"]
    return "EFS encryption in transit: %s%s - hosts %d/%d, mounts %d/%d, file systems %d/%d%s" % (
        "COMPLIANT" if doc["compliant"] else "NOT COMPLIANT",
        " (check mode)" if doc["check_mode"] else "",
        s["hosts_compliant"],
        s["hosts_total"],
        s["mounts_compliant"],
        s["mounts_total"],
        s["file_systems_compliant"],
        s["file_systems_total"],
        "" if doc["policies_checked"] else " (policies not checked)",
    )


def message(doc):
    """The gate's failure message: the headline and every failure."""
    return "%s: %s" % (headline(doc), "; ".join(doc["failures"])) if doc["failures"] else headline(doc)

# -*- coding: utf-8 -*-
# Copyright: contributors to aws_efs.transit
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one definition of "compliant" for a mount, a host, a file system and the fleet, and the
report records built from module results. Pure functions over plain data; the filter plugin
plugins/filter/compliance.py exposes them to the role and the playbooks.

- mount: efs_tls_mount ran, did not fail, and its proof says compliant (efs_tls_mount's assess()
  decides that for the state the mount is wanted in);
- host: no host problem (efs_client_info's problems, version pin, hostname check, watchdog) and
  every mount compliant;
- file system: its policy verdict says enforces_tls is true (unknown is not compliant), the live policy
  is the desired one (no drift) and reading or applying it did not fail; in the fleet, also every
  client mount of it compliant;
- fleet: every host and every file system compliant.

The fleet report document (plugins/plugin_utils/_report.py) and the audit host record
(plugins/plugin_utils/_host_record.py) decide with these functions too.
"""

from __future__ import annotations

NOT_RUN = "efs-utils is not installed yet%s: nothing to prove (efs_tls_mount did not run)"
NO_RECORD = "no compliance record: the host failed or was unreachable before the report (see the play output)"

_PROOF_FIELDS = ("mounted", "tls", "relay", "relay_pid", "port", "check_host", "ca_file", "fstab_line")


def _unique(items):
    seen = set()
    out = []
    for item in items:
        if item and item not in seen:
            seen.add(item)
            out.append(item)
    return out


def mount_compliant(result):
    """A mount is compliant when efs_tls_mount ran, did not fail and proved it (proof.compliant)."""
    result = result or {}
    ran = bool(result) and not result.get("skipped")
    proof = result.get("proof") or {}
    return ran and not result.get("failed") and proof.get("compliant") is True


def mount_record(mount, result, check_mode=False):
    """The report record of one mount: the wanted item and its efs_tls_mount result ({} when none)."""
    result = result or {}
    proof = result.get("proof") or {}
    ran = bool(result) and not result.get("skipped")
    reasons = [] if ran else [NOT_RUN % (" (check mode)" if check_mode else "")]
    reasons += list(proof.get("reasons") or [])
    if result.get("failed"):
        reasons.append(result.get("msg") or "efs_tls_mount failed")
    record = {"file_system_id": mount.get("file_system_id"), "path": mount.get("path")}
    record["state"] = mount.get("state") or "mounted"
    record.update((key, proof.get(key)) for key in _PROOF_FIELDS)
    record["evidence"] = proof.get("evidence") or []
    record["supporting_evidence"] = proof.get("supporting_evidence")
    record["changed"] = bool(result.get("changed"))
    record["actions"] = result.get("actions") or []
    record["compliant"] = mount_compliant(result)
    record["reasons"] = _unique(reasons)
    return record


def mount_records(mounts, results, check_mode=False):
    """Records for the role's mounts, paired with the loop results in order (missing ones count as not run)."""
    results = list(results or [])
    return [mount_record(m, results[i] if i < len(results) else {}, check_mode) for i, m in enumerate(mounts or [])]


WATCHDOG_PROBLEM = "the EFS mount watchdog is not enabled and running"


def efs_utils_problems(efs_utils, pinned=None, install_method=None, check_mode=False, audit=False):
    """Why the installed efs-utils does not do (efs_client_info's efs_utils): not installed, or not the pin."""
    efs_utils = efs_utils or {}
    if not efs_utils.get("installed"):
        if audit:
            # An audit judges TLS: without efs-utils a host's EFS mounts are plain and fail on their own.
            return []
        later = " (check mode: a real run installs it, method %s)" % install_method if check_mode and not audit else ""
        return ["efs-utils is not installed" + later]
    if efs_utils.get("version_ok"):
        return []
    if efs_utils.get("version") is None:
        return ["efs-utils is installed but its version cannot be read%s" % (" (pinned %s)" % pinned if pinned else "")]
    return ["efs-utils %s is not the pinned %s" % (efs_utils.get("version"), pinned)]


def watchdog_problems(watchdog, installed):
    """watchdog: {'wanted', 'enabled', 'active'}; only an installed efs-utils has a watchdog to run."""
    watchdog = watchdog or {}
    if watchdog.get("wanted") and installed and not (watchdog.get("enabled") and watchdog.get("active")):
        return [WATCHDOG_PROBLEM]
    return []


def host_problems(info, pinned=None, install_method=None, check_mode=False, audit=False, watchdog=None):
    """Why a host is not compliant apart from its mounts. watchdog: {'wanted', 'enabled', 'active'}."""
    efs_utils = info.get("efs_utils") or {}
    problems = list(info.get("problems") or [])
    problems += efs_utils_problems(efs_utils, pinned, install_method, check_mode, audit)
    if not info.get("check_hostname", True):
        problems.append("stunnel host name checking is turned off (efs_client_allow_insecure_hostname_check)")
    problems += watchdog_problems(watchdog, bool(efs_utils.get("installed")))
    return _unique(problems)


def host_compliant(problems, mounts):
    """A host is compliant when it has no problem and every one of its mounts is compliant."""
    return not problems and all(m.get("compliant") for m in mounts)


def record_compliant(record):
    """A host record made elsewhere (the role, efs_audit_host_record, an earlier report) counts as compliant
    only when it says so and host_compliant agrees with its problems and mounts."""
    return bool(record.get("compliant")) and host_compliant(record.get("problems") or [], record.get("mounts") or [])


def missing_host(name):
    """The record of a host that has none (it failed or was unreachable before the report)."""
    return {"host": name, "compliant": False, "mounts": [], "problems": [NO_RECORD]}


def host_record(
    info, mounts, host, pinned=None, install_method=None, check_mode=False, audit=False, watchdog=None, repository=None
):
    """The report record of one host from efs_client_info's result and its mount records."""
    efs_utils = info.get("efs_utils") or {}
    watchdog = dict(watchdog or {})
    problems = host_problems(info, pinned, install_method, check_mode, audit, watchdog)
    return {
        "host": host,
        "mode": "audit" if audit else "converge",
        "check_mode": bool(check_mode),
        "efs_utils": {
            "installed": efs_utils.get("installed"),
            "version": efs_utils.get("version"),
            "pinned": pinned,
            "version_ok": efs_utils.get("version_ok"),
            "install_method": install_method,
            "repository": repository,
            "mount_helper": efs_utils.get("mount_helper"),
        },
        "relay": info.get("relay"),
        "relay_reason": info.get("relay_reason"),
        "stunnel": info.get("stunnel"),
        "efs_proxy": info.get("efs_proxy"),
        "check_hostname": info.get("check_hostname"),
        "ocsp": info.get("ocsp"),
        "watchdog": {"enabled": bool(watchdog.get("enabled")), "active": bool(watchdog.get("active"))},
        "mounts": list(mounts),
        "problems": problems,
        "compliant": host_compliant(problems, mounts),
    }


def host_failure_message(record):
    """Why the host fails the play: its problems, the mounts that are not compliant and their reasons."""
    bad = ["mount %s is not compliant" % m.get("path") for m in record.get("mounts", []) if not m.get("compliant")]
    reasons = [r for m in record.get("mounts", []) for r in m.get("reasons") or []]
    return "%s is not compliant: %s" % (
        record.get("host"),
        "; ".join(_unique(record.get("problems", []) + bad + reasons)),
    )


# ---------------------------------------------------------------- file systems


DRIFT_REASON = "the live policy differs from the desired one (drift)"


def file_system_compliant(verdict, drift=None, error=None):
    """Compliant only when the policy verdict says it enforces TLS (None = unknown = not compliant), the live
    policy is the desired one (drift false or unknown: None) and reading or applying it did not fail."""
    return isinstance(verdict, dict) and verdict.get("enforces_tls") is True and not drift and not error


def file_system_entry_compliant(policy, clients):
    """A file system in the fleet: its policy, when checked (compliant not None), compliant, and every
    client mount of it compliant."""
    return policy.get("compliant") is not False and all(c.get("compliant") for c in clients)


def file_system_record(file_system_id, verdict=None, changed=False, error=None, drift=None):
    """The report record of one file system's policy.

    verdict is the efs_policy / efs_policy_info result's {enforces_tls: bool|None, clients_can_mount,
    root_access_without_tls, reasons: [str]}; error the module's failure message, if it failed; drift
    efs_policy_info's (the live policy differs from the desired one).
    """
    verdict = verdict if isinstance(verdict, dict) else {}
    reasons = list(verdict.get("reasons") or [])
    if error:
        reasons.insert(0, error)
    elif verdict.get("enforces_tls") is None:
        reasons.insert(0, "unknown whether the policy enforces TLS")
    elif verdict.get("enforces_tls") is False:
        reasons.insert(0, "the policy does not refuse clients without TLS")
    if drift:
        reasons.append(DRIFT_REASON)
    compliant = file_system_compliant(verdict, drift, error)
    return {
        "file_system_id": file_system_id,
        "changed": bool(changed),
        "enforces_tls": verdict.get("enforces_tls"),
        "clients_can_mount": verdict.get("clients_can_mount"),
        "root_access_without_tls": verdict.get("root_access_without_tls"),
        "compliant": compliant,
        "reasons": _unique(reasons),
        "msg": "policy refuses clients without TLS" if compliant else "; ".join(_unique(reasons)),
    }


def policy_record(result):
    """file_system_record from one efs_policy / efs_policy_info loop result (item, verdict, failed, msg)."""
    item = result.get("item") or {}
    fs_id = item.get("file_system_id") if isinstance(item, dict) else item
    error = (result.get("msg") or "efs_policy failed") if result.get("failed") else None
    return file_system_record(
        fs_id or result.get("file_system_id"), result.get("verdict"), result.get("changed"), error, result.get("drift")
    )


# ---------------------------------------------------------------- fleet


def fleet_compliant(hosts, file_systems):
    """The fleet is compliant when every host and every file system (policy) is."""
    return all(h.get("compliant") for h in hosts) and all(f.get("compliant") for f in file_systems)

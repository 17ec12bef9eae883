# -*- coding: utf-8 -*-
# Copyright: contributors to aws_efs.transit
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The server side of the compliance report: one entry per file system from efs_policy_info (and the
efs_policy results of the file systems site.yml applied). Documented in efs_policy_report.yml."""

from __future__ import annotations

# The one definition of a compliant file system policy (verdict, drift, errors).
from ansible_collections.aws_efs.transit.plugins.module_utils._compliance import DRIFT_REASON, file_system_compliant


def _msg(entry):
    if entry.get("error"):
        return f"cannot read the policy: {entry['error'].get('code')}: {entry['error'].get('message')}"
    if entry.get("plan_error"):
        return "efs_policy would refuse the desired policy: " + entry["plan_error"]
    verdict = entry.get("verdict") or {}
    reasons = "; ".join(verdict.get("reasons") or [])
    if verdict.get("enforces_tls") is True:
        head = "policy enforces TLS"
    elif verdict.get("enforces_tls") is False:
        head = "policy does NOT enforce TLS"
    else:
        head = "unknown whether the policy enforces TLS (counts as not enforcing)"
    if entry.get("drift"):
        head += "; " + DRIFT_REASON
    return f"{head}: {reasons}" if reasons else head


def efs_policy_report(info_result, apply_results=None):
    """Entries {file_system_id, file_system_arn, name, desired, verdict, drift, changed, compliant, msg}.

    info_result: the registered result of aws_efs.transit.efs_policy_info. apply_results: the registered
    loop result of aws_efs.transit.efs_policy (site.yml), whose verdicts replace the ones read before."""
    if not isinstance(info_result, dict):
        # A plain TypeError: Ansible reports it as the filter's error.
        raise TypeError("efs_policy_report: expects the registered result of efs_policy_info")
    if info_result.get("skipped"):
        return []
    if info_result.get("failed"):
        return [
            {
                "file_system_id": None,
                "compliant": False,
                "msg": "efs_policy_info failed: " + str(info_result.get("msg", "unknown error")),
            }
        ]
    applied = {}
    for result in (apply_results or {}).get("results", []):
        if isinstance(result, dict) and not result.get("skipped") and isinstance(result.get("item"), dict):
            applied[str(result["item"].get("file_system_id", "")).rsplit("/", 1)[-1]] = result
    entries = []
    for fs in info_result.get("file_systems", []):
        entry = {
            "file_system_id": fs.get("file_system_id"),
            "file_system_arn": fs.get("file_system_arn"),
            "name": fs.get("name", ""),
            "desired": "drift" in fs,
            "verdict": fs.get("verdict"),
            "drift": fs.get("drift"),
            "changed": False,
        }
        for key in ("error", "plan_error"):
            if fs.get(key):
                entry[key] = fs[key]
        result = applied.get(fs.get("file_system_id"))
        if result is not None:
            entry["changed"] = bool(result.get("changed"))
            if result.get("failed"):
                entry["apply_error"] = result.get("msg", "efs_policy failed")
            else:
                entry.update(verdict=result.get("verdict", entry["verdict"]), drift=False)
                entry.pop("plan_error", None)
        problem = next((entry[k] for k in ("error", "plan_error", "apply_error") if entry.get(k)), None)
        entry["compliant"] = file_system_compliant(entry["verdict"], entry["drift"], problem)
        entry["msg"] = ("efs_policy failed: " + entry["apply_error"]) if entry.get("apply_error") else _msg(entry)
        entries.append(entry)
    return entries


class FilterModule:
    def filters(self):
        return {"efs_policy_report": efs_policy_report}

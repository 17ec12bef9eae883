# -*- coding: utf-8 -*-
# Copyright: contributors to aws_efs.transit
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""An audited host's record for the report, from efs_client_info and efs_client_audit results.

What the host says wins over what the role would configure: hostname checking, OCSP, FIPS and
the CA come from the host's efs-utils.conf (efs_client_audit's efs_utils_conf and problems). The
efs-utils, watchdog and host rules are module_utils/_compliance.py's, as for the role's records.
"""

from __future__ import annotations

from ansible_collections.aws_efs.transit.plugins.module_utils import _compliance


def _get(result, *keys, default=None):
    for key in keys:
        if not isinstance(result, dict) or key not in result:
            return default
        result = result[key]
    return result


def audit_host_record(
    host,
    info,
    audit,
    pinned=None,
    watchdog_required=True,
    instance_id=None,
    region=None,
    os_name=None,
    checked_at=None,
    check_mode=False,
):
    """The host's record: facts, its efs-utils.conf TLS settings, every mount, problems, compliant."""
    info = info if isinstance(info, dict) else {}
    audit = audit if isinstance(audit, dict) else {}
    problems = []
    if info.get("failed") or not info:
        problems.append("efs_client_info did not run: %s" % (info.get("msg") or "no result"))
    if audit.get("failed") or not audit:
        problems.append("efs_client_audit did not run: %s" % (audit.get("msg") or "no result"))
    installed = bool(_get(info, "efs_utils", "installed", default=False))
    version = _get(info, "efs_utils", "version")
    problems.extend(info.get("problems") or [])
    problems.extend(audit.get("problems") or [])
    if info and not info.get("failed"):
        problems.extend(_compliance.efs_utils_problems(info.get("efs_utils"), pinned, audit=True))
    watchdog = {
        "enabled": bool(_get(info, "watchdog", "enabled", default=False)),
        "active": bool(_get(info, "watchdog", "active", default=False)),
    }
    problems.extend(_compliance.watchdog_problems(dict(watchdog, wanted=watchdog_required), installed))
    conf = audit.get("efs_utils_conf") or {}
    mounts = audit.get("mounts") or []
    seen = set()
    problems = [p for p in problems if not (p in seen or seen.add(p))]
    return {
        "host": host,
        "mode": "audit",
        "check_mode": bool(check_mode),
        "checked_at": checked_at,
        "os": os_name,
        "instance_id": instance_id or None,
        "region": region or conf.get("region") or None,
        "efs_utils": {
            "installed": installed,
            "version": version,
            "pinned": pinned,
            "version_ok": bool(_get(info, "efs_utils", "version_ok", default=False)),
            "mount_helper": _get(info, "efs_utils", "mount_helper"),
        },
        "efs_utils_conf": conf,
        # Where converge records have them, from the host's file (never the role's variables).
        "check_hostname": conf.get("check_hostname"),
        "ocsp": conf.get("ocsp"),
        "relay": info.get("relay"),
        "stunnel": info.get("stunnel"),
        "efs_proxy": info.get("efs_proxy"),
        "watchdog": watchdog,
        "mounts": mounts,
        "summary": audit.get("summary"),
        "problems": problems,
        # An audit that did not run is a problem above, so the host rule sees it.
        "compliant": _compliance.host_compliant(problems, mounts),
    }

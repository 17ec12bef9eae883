# -*- coding: utf-8 -*-
# Copyright: contributors to aws_efs.transit
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The efs_client role's one rule for "what must change on this host", from one efs_client_info result
(read with gather_os, ca_file, config_settings and mounts) and what the role wants. Pure; the role calls
it through the aws_efs.transit.efs_client_changes filter and runs only the steps it names, so that a
compliant host costs that one module execution.
"""

from __future__ import annotations

from ansible_collections.aws_efs.transit.plugins.module_utils import _helper

STEPS = ("reread", "install", "stunnel", "ca", "config", "watchdog", "mounts")


def _get(data, *keys):
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _mode(value):
    try:
        return int(str(value), 8)
    except (TypeError, ValueError):
        return None


def install_reason(info, pin=None, method=None, latest=False, package_version=None):
    """Why the install step must run (None when it need not): what main.yml's install condition says."""
    efs_utils = info.get("efs_utils") or {}
    version = efs_utils.get("version")
    if not efs_utils.get("installed"):
        return "efs-utils is not installed"
    if latest and method in ("repo", "package"):
        return "efs_client_version latest: the repository may have a newer version"
    if method in ("file", "url") and not pin:
        return "method %s: the package's version is known only once it is on the host" % method
    if method == "file" and package_version and pin and not _helper.version_matches(package_version, pin):
        return "the package file is %s, not the pinned %s" % (package_version, pin)
    if not _helper.version_matches(version, pin):
        return "efs-utils %s is not the pinned %s" % (version or "of unknown version", pin)
    return None


def ca_reason(ca_facts, wanted):
    """Why the CA bundle must be copied (None when it is in place). wanted: {checksum, owner, group, mode}."""
    if not wanted:
        return None
    if not ca_facts:
        return "the CA bundle was not read"
    if not ca_facts.get("exists"):
        return "%s is missing" % ca_facts.get("path")
    for key in ("checksum", "owner", "group"):
        if wanted.get(key) is not None and ca_facts.get(key) != wanted.get(key):
            return "%s: %s is %s, not %s" % (ca_facts.get("path"), key, ca_facts.get(key), wanted.get(key))
    if wanted.get("mode") is not None and _mode(ca_facts.get("mode")) != _mode(wanted.get("mode")):
        return "%s: mode is %s, not %s" % (ca_facts.get("path"), ca_facts.get("mode"), wanted.get("mode"))
    return None


def config_reason(plan):
    """Why efs_utils_config must run (None when the file already says it all)."""
    if not plan:
        return "efs-utils.conf was not judged"
    if not plan.get("exists"):
        return "%s does not exist" % plan.get("path")
    if plan.get("error"):
        return "%s: %s" % (plan.get("path"), plan["error"])
    if plan.get("changed"):
        keys = ["[%s] %s" % (c.get("section"), c.get("key")) for c in plan.get("changes") or []]
        return "%s: %s" % (plan.get("path"), ", ".join(keys) or "would change")
    return None


def mount_reason(results, count):
    """Why efs_tls_mount must run (None when every wanted mount was judged as asked, with no action)."""
    if results is None or len(results) != count:
        return "the mounts were not judged ahead"
    for result in results:
        proof = result.get("proof") or {}
        if result.get("failed") or result.get("changed") or result.get("actions") or proof.get("compliant") is not True:
            path = proof.get("path") or "a mount"
            why = result.get("msg") or "; ".join(result.get("actions") or proof.get("reasons") or []) or "not as asked"
            return "%s: %s" % (path, why)
    return None


def changes(info, wanted=None):
    """What must change on the host: {step: bool for STEPS, reasons: {step: why}, any, present, mount_results}.

    wanted (the role's resolved variables): layout and package (what it resolved; the facts are read again
    when info was read for others), pin, method, latest, package_version (a package file's own version),
    watchdog (wanted running), ca ({checksum, owner, group, mode} or null), mount_count.
    mount_results: efs_client_info's judged-ahead results, which stand for efs_tls_mount's when it need not
    run (null when it runs, or when efs-utils is not there to run it).
    """
    info = info if isinstance(info, dict) else {}
    wanted = wanted or {}
    efs_utils = info.get("efs_utils") or {}
    present = bool(efs_utils.get("installed"))
    reasons = {}
    for key in ("layout", "package"):
        if wanted.get(key) and efs_utils.get(key) != wanted[key]:
            reasons["reread"] = "read for %s %s, not %s" % (key, efs_utils.get(key), wanted[key])
    why = install_reason(
        info, wanted.get("pin"), wanted.get("method"), wanted.get("latest"), wanted.get("package_version")
    )
    if why:
        reasons["install"] = why
    stunnel = info.get("stunnel") or {}
    if stunnel.get("path") is None:
        reasons["stunnel"] = "no stunnel is installed"
    elif not stunnel.get("check_host") and info.get("relay") in ("stunnel", None):
        reasons["stunnel"] = "stunnel %s cannot check host names" % (stunnel.get("version") or "")
    if present:
        for step, why in (
            ("ca", ca_reason(info.get("ca_file"), wanted.get("ca"))),
            ("config", config_reason(info.get("config_plan"))),
        ):
            if why:
                reasons[step] = why
        watchdog = info.get("watchdog") or {}
        if wanted.get("watchdog", True) and not (watchdog.get("enabled") and watchdog.get("active")):
            reasons["watchdog"] = "the watchdog is not enabled and running"
        before = [s for s in ("reread", "install", "stunnel", "ca", "config") if s in reasons]
        why = mount_reason(info.get("mounts"), int(wanted.get("mount_count") or 0))
        if before:
            reasons["mounts"] = "after the %s step" % "/".join(before)
        elif why:
            reasons["mounts"] = why
    out = dict((step, step in reasons) for step in STEPS)
    out.update(
        reasons=reasons,
        any=bool(reasons),
        present=present,
        mount_results=list(info.get("mounts") or []) if present and "mounts" not in reasons else None,
    )
    return out

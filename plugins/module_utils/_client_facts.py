# -*- coding: utf-8 -*-
# Copyright: contributors to aws_efs.transit
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""efs_client_info's reads, in one place so that efs_client_audit can return them too (one execution
per audited host): the efs-utils package and files, efs-utils.conf, stunnel, the relay, the watchdog,
and on request the host's OS facts (as ansible.builtin.setup names them, _os_facts), the CA bundle's
checksum and attributes, what efs_utils_config would change, and every wanted mount judged ahead
exactly as efs_tls_mount would (_mount_judge). Reads only; what must change is decided by the pure
rule in _client_plan.py.
"""

from __future__ import annotations

import grp
import os
import pwd
import stat

from ansible_collections.aws_efs.transit.plugins.module_utils import _efs_utils_conf as conf
from ansible_collections.aws_efs.transit.plugins.module_utils import _files
from ansible_collections.aws_efs.transit.plugins.module_utils import _helper
from ansible_collections.aws_efs.transit.plugins.module_utils import _mount_judge
from ansible_collections.aws_efs.transit.plugins.module_utils import _os_facts
from ansible_collections.aws_efs.transit.plugins.module_utils._tls_settings import tls_settings

# The options efs_client_info and efs_client_audit share (documented in doc_fragments/client_info.py).
INFO_ARGUMENT_SPEC = dict(
    layout=dict(type="str", default="auto", choices=["auto"] + sorted(_helper.LAYOUTS)),
    package_name=dict(type="str"),
    package_format=dict(type="str", default="auto", choices=["auto", "deb", "rpm"]),
    config_path=dict(type="path", default=_helper.CONFIG_FILE),
    mount_helper_paths=dict(type="list", elements="path"),
    watchdog_paths=dict(type="list", elements="path"),
    efs_proxy_paths=dict(type="list", elements="path"),
    stunnel_names=dict(type="list", elements="str"),
    watchdog_unit=dict(type="str", default=_helper.WATCHDOG_UNIT),
    relay=dict(type="str", default="auto", choices=["auto", "stunnel", "efs-proxy"]),
    version=dict(type="str"),
    check_hostname=dict(type="bool"),
    ocsp=dict(type="bool"),
    gather_os=dict(type="bool", default=False),
)


def package_version(module, name, package_format, dpkg_status=_helper.DPKG_STATUS):
    """(format, installed version or None): from dpkg's status file where there is one (a read, no
    process: dpkg-query would parse the same file), else from one dpkg-query or rpm call."""
    if package_format in ("auto", "deb") and os.path.isfile(dpkg_status):
        return "deb", _helper.version_from_dpkg(dpkg_status, name)
    if package_format in ("auto", "deb"):
        dpkg = module.get_bin_path("dpkg-query")
        if dpkg:
            _rc, out, _err = module.run_command([dpkg, "-W", "-f=${Status}\t${Version}", name])
            return "deb", _helper.parse_package_query(out, "deb")
        if package_format == "deb":
            return "deb", None
    rpm = module.get_bin_path("rpm")
    if rpm:
        _rc, out, _err = module.run_command([rpm, "-q", "--qf", "%{VERSION}-%{RELEASE}\n", name])
        return "rpm", _helper.parse_package_query(out, "rpm")
    return None, None


def read_config(module, path):
    """(exists, {section: {key: value}}, error or None) as the helper reads the file."""
    if not os.path.isfile(path):
        return False, {}, None
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return True, conf.read(handle.read()), None
    except OSError as exc:
        module.fail_json(msg="cannot read %s: %s" % (path, exc))
    except conf.IniValueError as exc:
        return True, {}, str(exc)


def stunnel_facts(module, names, probe=True):
    """The stunnel binary and, when probe, what its -help says it supports. Unprobed, version,
    check_host and ocsp_aia are null (unknown): nothing relays through it, so they decide nothing."""
    supported = False if probe else None  # no stunnel supports nothing; an unprobed one is unknown
    stunnel = {"path": _helper.find_stunnel(module, names), "version": None}
    stunnel.update(check_host=supported, ocsp_aia=supported)
    if stunnel["path"] and probe:
        # stunnel prints help and version to stderr and exits non-zero for -help on some builds.
        _rc, out, err = module.run_command([stunnel["path"], "-help"])
        stunnel.update(_helper.parse_stunnel_help((out or "") + "\n" + (err or "")))
    return stunnel


def needs_stunnel(relay, ocsp, mounts=None):
    """Whether anything relays through stunnel: the chosen relay, OCSP (efs-proxy hands those mounts
    to stunnel) or a wanted mount that names it."""
    return relay != "efs-proxy" or bool(ocsp) or any((m or {}).get("relay") == "stunnel" for m in mounts or [])


def watchdog_facts(module, unit):
    systemctl = module.get_bin_path("systemctl")
    if not systemctl:
        return {"exists": False, "enabled": False, "active": False, "unit_file_state": None, "active_state": None}
    _rc, out, _err = module.run_command(
        [systemctl, "show", "-p", "LoadState", "-p", "UnitFileState", "-p", "ActiveState", unit]
    )
    return _helper.parse_systemctl_show(out)


def _name(lookup, ident):
    try:
        return lookup(ident)[0]
    except KeyError:
        return str(ident)


def file_facts(module, path):
    """{path, exists, checksum (SHA-1, as ansible.builtin.copy compares), owner, group, mode} of a file."""
    out = {"path": path, "exists": False, "checksum": None, "owner": None, "group": None, "mode": None}
    try:
        st = os.stat(path)
    except OSError:
        return out
    if not stat.S_ISREG(st.st_mode):
        return dict(out, exists=True)
    out.update(exists=True, checksum=module.sha1(path), mode="%04o" % stat.S_IMODE(st.st_mode))
    out.update(owner=_name(pwd.getpwuid, st.st_uid), group=_name(grp.getgrgid, st.st_gid))
    return out


def config_plan(path, settings, regional=None, region=None):
    """What efs_utils_config would do to the file: {path, exists, changed, changes, regional_section, error}."""
    out = {"path": path, "exists": os.path.isfile(path), "changed": False, "changes": [], "regional_section": None}
    out["error"] = None
    if not out["exists"]:
        return out
    try:
        before = _files.read_text(path) or ""
        after, changes, section = conf.apply_settings(before, settings or {}, regional, region)
    except (OSError, conf.IniValueError) as exc:
        return dict(out, error=str(exc))
    return dict(out, changed=after != before, changes=changes, regional_section=section)


def read_info(module, p, os_release=_helper.OS_RELEASE, dpkg_status=_helper.DPKG_STATUS):
    """efs_client_info's base result (no `changed`) for the INFO_ARGUMENT_SPEC parameters p."""
    layout = _helper.LAYOUTS.get(p["layout"]) or _helper.read_layout(os_release)
    package = p["package_name"] or (layout.package_name if layout else "amazon-efs-utils")

    package_format, version = package_version(module, package, p["package_format"], dpkg_status)
    mount_helper = _helper.find_binary(module, "mount.efs", layout, p["mount_helper_paths"])
    if version is None and mount_helper:
        # Installed by hand (make install, a copied tree): ask the helper itself.
        rc, out, err = module.run_command([mount_helper, "--version"])
        version = _helper.parse_helper_version_output(out or err) if rc == 0 else None

    config_exists, config, config_error = read_config(module, p["config_path"])
    # What the file says, by the one reading of it (_tls_settings), unless the caller says otherwise.
    settings = tls_settings(config)
    check_hostname = settings["check_hostname"] if p["check_hostname"] is None else p["check_hostname"]
    ocsp = settings["ocsp"] if p["ocsp"] is None else p["ocsp"]

    efs_proxy = _helper.find_binary(module, "efs-proxy", layout, p["efs_proxy_paths"])
    choice = _helper.choose_relay(p["relay"], _helper.parse_version(version), efs_proxy, ocsp)
    # One stunnel start less on an efs-proxy host (a second on a slow host), where -help decides nothing.
    stunnel = stunnel_facts(
        module,
        p["stunnel_names"] or (layout.stunnel_names if layout else ["stunnel"]),
        probe=needs_stunnel(choice.relay, ocsp, p.get("mounts")),
    )
    problems = [choice.problem] if choice.problem else []
    if config_error:
        problems.append("%s: %s" % (p["config_path"], config_error))
    if version is not None:
        problems.extend(_helper.stunnel_problems(choice.relay, stunnel, check_hostname, ocsp))

    info = dict(
        efs_utils=dict(
            installed=version is not None or mount_helper is not None,
            package=package,
            package_format=package_format,
            version=version,
            version_major=(_helper.parse_version(version) or (None,))[0],
            version_ok=_helper.version_matches(version, p["version"]),
            mount_helper=mount_helper,
            watchdog=_helper.first_existing(p["watchdog_paths"] or [_helper.WATCHDOG]),
            config_path=p["config_path"],
            config_exists=config_exists,
            config=config,
            config_error=config_error,
            layout=layout.name if layout else None,
        ),
        stunnel=stunnel,
        efs_proxy=efs_proxy,
        relay=choice.relay,
        relay_reason=choice.reason,
        check_hostname=check_hostname,
        ocsp=ocsp,
        problems=problems,
        watchdog=watchdog_facts(module, p["watchdog_unit"]),
    )
    if p["gather_os"]:
        info["os"] = _os_facts.read()
    return info


def judge_mounts(module, mounts, relay="auto", remediate=False, helper_version=None, paths=None, info=None):
    """efs_tls_mount's check-mode result for every wanted mount (the role's efs_client_mounts), in order,
    from one reading: the helper as `info` (read_info's result) found it, and one read of the mount table,
    the state files and each fstab for all of them."""
    paths = paths or _mount_judge.DEFAULT_PATHS
    reading = _mount_judge.Reading(module, paths, known=_mount_judge.known_helper(info) if info else None)
    return [
        _mount_judge.judge_ahead(module, _mount_judge.mount_params(m, relay, remediate, helper_version), paths, reading)
        for m in mounts or []
    ]

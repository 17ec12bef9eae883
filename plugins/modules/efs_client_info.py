#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: aws_efs.transit contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: efs_client_info
short_description: Read an EFS client's efs-utils, stunnel, relay and watchdog facts in one call
version_added: 0.1.0
description:
  - Reads, without changing anything, what decides whether a host can mount Amazon EFS over TLS
    and keep doing so; the installed amazon-efs-utils version and files, the values in
    C(efs-utils.conf), the stunnel binary with its version and whether it supports C(checkHost)
    and C(OCSPaia), whether C(efs-proxy) is present, which TLS relay mounts will use, and the
    state of the C(amazon-efs-mount-watchdog) service.
  - Each fact is read once; one package query, one C(stunnel -help), one C(systemctl show).
  - Safe on a host where nothing is installed yet; missing pieces are reported as absent.
author:
  - aws_efs.transit contributors (@aws-efs)
options:
  package_name:
    description:
      - Name of the efs-utils package. openSUSE and SLES call it C(aws-efs-utils).
    type: str
    default: amazon-efs-utils
  package_format:
    description:
      - How to query the package database. V(auto) uses C(dpkg-query) when present, else C(rpm).
    type: str
    choices: [auto, deb, rpm]
    default: auto
  config_path:
    description: Path of efs-utils' configuration file.
    type: path
    default: /etc/amazon/efs/efs-utils.conf
  mount_helper_paths:
    description: Where the mount helper may be; the first existing path is reported.
    type: list
    elements: path
    default: [/sbin/mount.efs, /usr/sbin/mount.efs]
  watchdog_paths:
    description: Where the watchdog program may be.
    type: list
    elements: path
    default: [/usr/bin/amazon-efs-mount-watchdog]
  efs_proxy_paths:
    description: Where C(efs-proxy) (efs-utils 2.0 and later) may be.
    type: list
    elements: path
    default: [/usr/bin/efs-proxy]
  stunnel_names:
    description:
      - stunnel binaries to look for in C(PATH), in order of preference (efs-utils prefers
        C(stunnel5) on Amazon Linux 2). Absolute paths are accepted too.
    type: list
    elements: str
    default: [stunnel]
  watchdog_unit:
    description: systemd unit of the watchdog.
    type: str
    default: amazon-efs-mount-watchdog
  relay:
    description:
      - The relay the user asked for; the module reports what mounts will actually use.
      - V(auto) lets efs-utils choose (efs-proxy from 2.0 when present) but picks stunnel when
        efs-proxy is missing, since the helper has no fallback of its own.
    type: str
    choices: [auto, stunnel, efs-proxy]
    default: auto
  version:
    description:
      - The upstream version the host should have (for example C(3.2.0)); the result's
        RV(efs_utils.version_ok) says whether the installed one is it. Package revisions,
        epochs and pre-release tails (C(3.2.0-1), C(1:3.2.0), C(3.2.0~rc1)) count as that version.
    type: str
  check_hostname:
    description:
      - Whether stunnel hostname checking will be on; when unset, read from
        C(stunnel_check_cert_hostname) in the configuration (efs-utils' default is true).
    type: bool
  ocsp:
    description:
      - Whether certificate validity (OCSP) checking will be on; when unset, read from
        C(stunnel_check_cert_validity) in the configuration (default false).
    type: bool
notes:
  - Supports check mode; it never changes anything.
seealso:
  - module: aws_efs.transit.efs_tls_mount
  - module: aws_efs.transit.efs_utils_config
"""

EXAMPLES = r"""
- name: Read the EFS client facts
  aws_efs.transit.efs_client_info:
    stunnel_names: [stunnel5, stunnel]
    relay: auto
  register: efs_info

- name: Refuse to continue when the relay cannot check the server's host name
  ansible.builtin.assert:
    that: efs_info.problems | length == 0
    fail_msg: "{{ efs_info.problems | join('; ') }}"
"""

RETURN = r"""
efs_utils:
  description: The mount helper package and its files.
  returned: always
  type: dict
  contains:
    installed:
      description: Whether the package (or at least the mount helper) is installed.
      type: bool
      sample: true
    package:
      description: Package name that was queried.
      type: str
      sample: amazon-efs-utils
    package_format:
      description: C(deb) or C(rpm), or null when neither package tool exists.
      type: str
      sample: deb
    version:
      description: Installed version as the package database (or C(mount.efs --version)) reports it.
      type: str
      sample: 2.1.0-1
    version_major:
      description: Major version as a number, or null.
      type: int
      sample: 2
    version_ok:
      description:
        - Whether the installed version is the requested O(version) (any installed version when
          O(version) is unset; false when nothing is installed).
      type: bool
    mount_helper:
      description: Path of the mount helper, or null.
      type: str
      sample: /sbin/mount.efs
    watchdog:
      description: Path of the watchdog program, or null.
      type: str
      sample: /usr/bin/amazon-efs-mount-watchdog
    config_path:
      description: Path of the configuration file.
      type: str
      sample: /etc/amazon/efs/efs-utils.conf
    config_exists:
      description: Whether the configuration file exists.
      type: bool
    config:
      description: Configuration values by section, keys lower-cased.
      type: dict
      sample: {"mount": {"region": "us-east-1", "stunnel_check_cert_hostname": "true"}}
stunnel:
  description: The stunnel binary efs-utils will use.
  returned: always
  type: dict
  contains:
    path:
      description: Path of the binary, or null when none is installed.
      type: str
      sample: /usr/bin/stunnel
    version:
      description: Version from C(stunnel -help).
      type: str
      sample: "5.68"
    check_host:
      description: Whether it supports C(checkHost) (hostname verification).
      type: bool
    ocsp_aia:
      description: Whether it supports C(OCSPaia).
      type: bool
efs_proxy:
  description: Path of C(efs-proxy), or null.
  returned: always
  type: str
  sample: /usr/bin/efs-proxy
relay:
  description: The relay TLS mounts will use (C(stunnel) or C(efs-proxy)), null when not known yet.
  returned: always
  type: str
  sample: stunnel
relay_reason:
  description: Why that relay.
  returned: always
  type: str
check_hostname:
  description: Whether stunnel hostname checking is (or will be) on.
  returned: always
  type: bool
ocsp:
  description: Whether OCSP certificate validity checking is (or will be) on.
  returned: always
  type: bool
problems:
  description: Reasons TLS mounts cannot work safely on this host as configured (empty when none).
  returned: always
  type: list
  elements: str
watchdog:
  description: State of the watchdog's systemd unit.
  returned: always
  type: dict
  contains:
    exists:
      description: Whether systemd knows the unit.
      type: bool
    enabled:
      description: Whether it starts at boot.
      type: bool
    active:
      description: Whether it runs now.
      type: bool
    unit_file_state:
      description: systemd's UnitFileState.
      type: str
    active_state:
      description: systemd's ActiveState.
      type: str
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.aws_efs.transit.plugins.module_utils._client_facts import (
    ini_bool,
    version_matches,
    version_tuple,
    parse_ini,
    parse_package_query,
    parse_stunnel_help,
    parse_systemctl_show,
    select_relay,
    stunnel_problems,
)


def _first_existing(paths):
    for path in paths:
        if os.path.exists(path):
            return path
    return None


def _package_version(module, name, package_format):
    if package_format in ("auto", "deb"):
        dpkg = module.get_bin_path("dpkg-query")
        if dpkg:
            _rc, out, _err = module.run_command([dpkg, "-W", "-f=${Status}\t${Version}", name])
            return "deb", parse_package_query(out, "deb")
        if package_format == "deb":
            return "deb", None
    rpm = module.get_bin_path("rpm")
    if rpm:
        _rc, out, _err = module.run_command([rpm, "-q", "--qf", "%{VERSION}-%{RELEASE}\n", name])
        return "rpm", parse_package_query(out, "rpm")
    return None, None


def _find_stunnel(module, names):
    for name in names:
        if os.path.isabs(name):
            if os.access(name, os.X_OK):
                return name
            continue
        found = module.get_bin_path(name)
        if found:
            return found
    return None


def main():
    module = AnsibleModule(
        argument_spec=dict(
            package_name=dict(type="str", default="amazon-efs-utils"),
            package_format=dict(type="str", default="auto", choices=["auto", "deb", "rpm"]),
            config_path=dict(type="path", default="/etc/amazon/efs/efs-utils.conf"),
            mount_helper_paths=dict(type="list", elements="path", default=["/sbin/mount.efs", "/usr/sbin/mount.efs"]),
            watchdog_paths=dict(type="list", elements="path", default=["/usr/bin/amazon-efs-mount-watchdog"]),
            efs_proxy_paths=dict(type="list", elements="path", default=["/usr/bin/efs-proxy"]),
            stunnel_names=dict(type="list", elements="str", default=["stunnel"]),
            watchdog_unit=dict(type="str", default="amazon-efs-mount-watchdog"),
            relay=dict(type="str", default="auto", choices=["auto", "stunnel", "efs-proxy"]),
            version=dict(type="str"),
            check_hostname=dict(type="bool"),
            ocsp=dict(type="bool"),
        ),
        supports_check_mode=True,
    )
    params = module.params

    package_format, version = _package_version(module, params["package_name"], params["package_format"])
    mount_helper = _first_existing(params["mount_helper_paths"])
    if version is None and mount_helper:
        # Installed by hand (make install, a copied tree): ask the helper itself.
        rc, out, err = module.run_command([mount_helper, "--version"])
        if rc == 0:
            version = ((out or err).strip().split() or [None])[-1]

    config_path = params["config_path"]
    config_exists = os.path.isfile(config_path)
    config = {}
    if config_exists:
        try:
            with open(config_path, encoding="utf-8", errors="replace") as handle:
                config = parse_ini(handle.read())
        except OSError as exc:
            module.fail_json(msg="cannot read %s: %s" % (config_path, exc))
    mount_section = config.get("mount", {})
    check_hostname = params["check_hostname"]
    if check_hostname is None:
        check_hostname = ini_bool(mount_section.get("stunnel_check_cert_hostname"), True)
    ocsp = params["ocsp"]
    if ocsp is None:
        ocsp = ini_bool(mount_section.get("stunnel_check_cert_validity"), False)

    stunnel = {
        "path": _find_stunnel(module, params["stunnel_names"]),
        "version": None,
        "check_host": False,
        "ocsp_aia": False,
    }
    if stunnel["path"]:
        # stunnel prints help and version to stderr and exits non-zero for -help on some builds.
        _rc, out, err = module.run_command([stunnel["path"], "-help"])
        stunnel.update(parse_stunnel_help((out or "") + "\n" + (err or "")))

    efs_proxy = _first_existing(params["efs_proxy_paths"])
    relay, relay_reason, relay_problem = select_relay(params["relay"], version, efs_proxy, ocsp)
    problems = [relay_problem] if relay_problem else []
    if version is not None:
        problems.extend(stunnel_problems(relay, stunnel, check_hostname, ocsp))

    watchdog = {"exists": False, "enabled": False, "active": False, "unit_file_state": None, "active_state": None}
    systemctl = module.get_bin_path("systemctl")
    if systemctl:
        _rc, out, _err = module.run_command(
            [systemctl, "show", "-p", "LoadState", "-p", "UnitFileState", "-p", "ActiveState", params["watchdog_unit"]]
        )
        watchdog = parse_systemctl_show(out)

    module.exit_json(
        changed=False,
        efs_utils=dict(
            installed=version is not None or mount_helper is not None,
            package=params["package_name"],
            package_format=package_format,
            version=version,
            version_major=(version_tuple(version) or (None,))[0],
            version_ok=version_matches(version, params["version"]),
            mount_helper=mount_helper,
            watchdog=_first_existing(params["watchdog_paths"]),
            config_path=config_path,
            config_exists=config_exists,
            config=config,
        ),
        stunnel=stunnel,
        efs_proxy=efs_proxy,
        relay=relay,
        relay_reason=relay_reason,
        check_hostname=check_hostname,
        ocsp=ocsp,
        problems=problems,
        watchdog=watchdog,
    )


if __name__ == "__main__":
    main()

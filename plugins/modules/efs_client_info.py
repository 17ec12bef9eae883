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
  layout:
    description:
      - Distribution layout of the efs-utils package (where it puts C(mount.efs) and C(efs-proxy), which stunnel
        it runs, how the package is named); one table in the collection holds them.
      - V(auto) reads C(/etc/os-release). The role passes what it resolved from the facts.
    type: str
    choices: [auto, deb, rpm, amazon2, amazon2023, suse]
    default: auto
  package_name:
    description:
      - Name of the efs-utils package; by default the layout's (openSUSE and SLES call it C(aws-efs-utils)).
    type: str
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
    description:
      - Where the mount helper may be; the first existing path is reported.
      - By default the layout's own place, then where the helper searches (C(/sbin), C(/usr/sbin), ...).
    type: list
    elements: path
  watchdog_paths:
    description: Where the watchdog program may be (default C(/usr/bin/amazon-efs-mount-watchdog)).
    type: list
    elements: path
  efs_proxy_paths:
    description:
      - Where C(efs-proxy) (efs-utils 2.0 and later) may be.
      - By default the layout's own place, then where the helper searches.
    type: list
    elements: path
  stunnel_names:
    description:
      - stunnel binaries to look for, in order of preference. By default the layout's (C(stunnel5) on
        Amazon Linux 2, as efs-utils does, C(stunnel) elsewhere). Absolute paths are accepted too.
    type: list
    elements: str
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
      description:
        - Configuration values by section as the helper reads them (Python's configparser), keys lower-cased;
          C([DEFAULT]) values appear in every section and under C(DEFAULT).
      type: dict
      sample: {"mount": {"region": "us-east-1", "stunnel_check_cert_hostname": "true"}}
    config_error:
      description: Why the helper could not read the configuration file (duplicate keys, a line without C(=)), or null.
      type: str
    layout:
      description: The distribution layout used to find the binaries, or null when unknown.
      type: str
      sample: deb
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

from ansible_collections.aws_efs.transit.plugins.module_utils import _efs_utils_conf as conf
from ansible_collections.aws_efs.transit.plugins.module_utils import _helper

OS_RELEASE = _helper.OS_RELEASE

ARGUMENT_SPEC = dict(
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
)


def package_version(module, name, package_format):
    """(format, installed version or None) from one dpkg-query or rpm call."""
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


def stunnel_facts(module, names):
    stunnel = {"path": _helper.find_stunnel(module, names), "version": None, "check_host": False, "ocsp_aia": False}
    if stunnel["path"]:
        # stunnel prints help and version to stderr and exits non-zero for -help on some builds.
        _rc, out, err = module.run_command([stunnel["path"], "-help"])
        stunnel.update(_helper.parse_stunnel_help((out or "") + "\n" + (err or "")))
    return stunnel


def watchdog_facts(module, unit):
    systemctl = module.get_bin_path("systemctl")
    if not systemctl:
        return {"exists": False, "enabled": False, "active": False, "unit_file_state": None, "active_state": None}
    _rc, out, _err = module.run_command(
        [systemctl, "show", "-p", "LoadState", "-p", "UnitFileState", "-p", "ActiveState", unit]
    )
    return _helper.parse_systemctl_show(out)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    p = module.params
    layout = _helper.LAYOUTS.get(p["layout"]) or _helper.read_layout(OS_RELEASE)
    package = p["package_name"] or (layout.package_name if layout else "amazon-efs-utils")

    package_format, version = package_version(module, package, p["package_format"])
    mount_helper = _helper.first_existing(p["mount_helper_paths"] or _helper.candidates("mount.efs", layout))
    if version is None and mount_helper:
        # Installed by hand (make install, a copied tree): ask the helper itself.
        rc, out, err = module.run_command([mount_helper, "--version"])
        version = _helper.parse_helper_version_output(out or err) if rc == 0 else None

    config_exists, config, config_error = read_config(module, p["config_path"])
    check_hostname = p["check_hostname"]
    if check_hostname is None:
        check_hostname = conf.ini_bool(conf.mount_value(config, "stunnel_check_cert_hostname"), True)
    ocsp = p["ocsp"]
    if ocsp is None:
        ocsp = conf.ini_bool(conf.mount_value(config, "stunnel_check_cert_validity"), False)

    stunnel = stunnel_facts(module, p["stunnel_names"] or (layout.stunnel_names if layout else ["stunnel"]))
    efs_proxy = _helper.first_existing(p["efs_proxy_paths"] or _helper.candidates("efs-proxy", layout))
    choice = _helper.choose_relay(p["relay"], _helper.parse_version(version), efs_proxy, ocsp)
    problems = [choice.problem] if choice.problem else []
    if config_error:
        problems.append("%s: %s" % (p["config_path"], config_error))
    if version is not None:
        problems.extend(_helper.stunnel_problems(choice.relay, stunnel, check_hostname, ocsp))

    module.exit_json(
        changed=False,
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


if __name__ == "__main__":
    main()

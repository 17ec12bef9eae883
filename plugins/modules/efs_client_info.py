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
  - Each fact is read once; the package version from dpkg's status file (else one C(dpkg-query) or C(rpm -q)), one
    C(systemctl show), and C(stunnel -help) when stunnel relays.
  - Safe on a host where nothing is installed yet; missing pieces are reported as absent.
  - On request, in the same execution, what a caller needs to decide whether anything must change; the host's OS
    facts (O(gather_os)), the CA bundle's checksum and attributes (O(ca_file)), whether
    M(aws_efs.transit.efs_utils_config) would change the configuration (O(config_settings)), and every wanted mount
    judged ahead as M(aws_efs.transit.efs_tls_mount) would judge it in check mode (O(mounts)). The efs_client role
    reads a compliant host with this one execution and nothing else.
author:
  - aws_efs.transit contributors (@aws-efs)
extends_documentation_fragment:
  - aws_efs.transit.client_info
options:
  ca_file:
    description:
      - The CA bundle the role installs for the mount targets; the result's RV(ca_file) gives its checksum,
        owner, group and mode on the host, so that the caller can tell without a copy whether it is in place.
    type: dict
    suboptions:
      path:
        description: Path of the file on the host.
        type: path
        required: true
  config_settings:
    description:
      - What the caller would have M(aws_efs.transit.efs_utils_config) set, with its options C(settings),
        C(regional_settings) and C(region); the result's RV(config_plan) says whether that would change the file
        at O(config_path) (the same rule M(aws_efs.transit.efs_utils_config) writes with).
    type: dict
    suboptions:
      settings:
        description: As M(aws_efs.transit.efs_utils_config)'s O(aws_efs.transit.efs_utils_config#module:settings).
        type: dict
        required: true
      regional_settings:
        description: As M(aws_efs.transit.efs_utils_config)'s option of that name.
        type: dict
        default: {}
      region:
        description: As M(aws_efs.transit.efs_utils_config)'s option of that name.
        type: str
  mounts:
    description:
      - Mounts to judge ahead, each a dict of M(aws_efs.transit.efs_tls_mount)'s options (the role's
        C(efs_client_mounts) items); the result's RV(mounts) holds, in order, the result
        M(aws_efs.transit.efs_tls_mount) would return in check mode for each, from the same reading and the same
        C(assess()), so that a caller whose mounts are all as asked need not run it.
      - O(relay) is each mount's relay unless it names one; the installed helper version read here is passed on.
    type: list
    elements: dict
  remediate:
    description: Each mount's O(aws_efs.transit.efs_tls_mount#module:remediate) unless it names one.
    type: bool
    default: false
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
      description:
        - Version from C(stunnel -help).
        - C(stunnel -help) runs only when something relays through stunnel (the chosen relay is stunnel, OCSP is on,
          or a wanted mount names C(relay=stunnel)); otherwise RV(stunnel.version), RV(stunnel.check_host) and
          RV(stunnel.ocsp_aia) are null (not read).
      type: str
      sample: "5.68"
    check_host:
      description: Whether it supports C(checkHost) (hostname verification); null when not read.
      type: bool
    ocsp_aia:
      description: Whether it supports C(OCSPaia); null when not read.
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
os:
  description:
    - The host's C(distribution), C(distribution_version), C(distribution_major_version), C(os_family),
      C(system), C(machine), C(architecture) and C(pkg_mgr), with the values C(ansible.builtin.setup) gives
      them (without the C(ansible_) prefix).
  returned: when O(gather_os) is true
  type: dict
  sample: {"distribution": "Debian", "distribution_major_version": "12", "os_family": "Debian", "architecture": "x86_64"}
ca_file:
  description: The CA bundle on the host.
  returned: when O(ca_file) is set
  type: dict
  contains:
    path:
      description: Its path.
      type: str
    exists:
      description: Whether it exists.
      type: bool
    checksum:
      description: SHA-1 of its content (what C(ansible.builtin.copy) compares), null when it is not a regular file.
      type: str
    owner:
      description: Owner name.
      type: str
    group:
      description: Group name.
      type: str
    mode:
      description: Permission bits, for example C(0644).
      type: str
config_plan:
  description: What M(aws_efs.transit.efs_utils_config) would do with O(config_settings).
  returned: when O(config_settings) is set
  type: dict
  contains:
    path:
      description: The file.
      type: str
    exists:
      description: Whether it exists (efs_utils_config does not create it).
      type: bool
    changed:
      description: Whether the file would change.
      type: bool
    changes:
      description: The keys that would change, as M(aws_efs.transit.efs_utils_config) returns them.
      type: list
      elements: dict
    regional_section:
      description: The C([mount.<region>]) section the regional settings would also go to, or null.
      type: str
    error:
      description: Why the file cannot be read or the settings not applied, or null.
      type: str
mounts:
  description:
    - One result per O(mounts) entry, in order, as M(aws_efs.transit.efs_tls_mount) returns it in check mode
      (C(changed), C(actions), C(proof) with C(compliant) and C(reasons), ...); C(failed) and C(msg) when it
      would fail.
  returned: when O(mounts) is set
  type: list
  elements: dict
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

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.aws_efs.transit.plugins.module_utils import _client_facts
from ansible_collections.aws_efs.transit.plugins.module_utils import _helper
from ansible_collections.aws_efs.transit.plugins.module_utils import _mount_judge

# Module-level so unit tests can point them at fixtures (PATHS: where mounts are judged, as efs_tls_mount reads).
OS_RELEASE = _helper.OS_RELEASE
DPKG_STATUS = _helper.DPKG_STATUS
PATHS = _mount_judge.DEFAULT_PATHS

ARGUMENT_SPEC = dict(
    _client_facts.INFO_ARGUMENT_SPEC,
    ca_file=dict(type="dict", options=dict(path=dict(type="path", required=True))),
    config_settings=dict(
        type="dict",
        options=dict(
            settings=dict(type="dict", required=True),
            regional_settings=dict(type="dict", default={}),
            region=dict(type="str"),
        ),
    ),
    mounts=dict(type="list", elements="dict"),
    remediate=dict(type="bool", default=False),
)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    p = module.params
    result = _client_facts.read_info(module, p, OS_RELEASE, DPKG_STATUS)
    if p["ca_file"]:
        result["ca_file"] = _client_facts.file_facts(module, p["ca_file"]["path"])
    if p["config_settings"]:
        c = p["config_settings"]
        result["config_plan"] = _client_facts.config_plan(
            p["config_path"], c["settings"], c["regional_settings"], c["region"]
        )
    if p["mounts"] is not None:
        version = result["efs_utils"]["version"]
        result["mounts"] = _client_facts.judge_mounts(
            module, p["mounts"], p["relay"], p["remediate"], version, PATHS, info=result
        )
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()

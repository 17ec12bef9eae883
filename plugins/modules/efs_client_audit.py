#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to aws_efs.transit
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: efs_client_audit
short_description: Examine every NFS and EFS mount of a host in one call, declared or not
version_added: 0.1.0
description:
  - Reads the kernel's mount table, the EFS mount helper's state files, fstab and C(efs-utils.conf) once, and sorts
    every live NFS mount into one of three kinds.
  - C(efs_tls), an EFS mount whose TLS relay is proven, with the same proof as M(aws_efs.transit.efs_tls_mount)
    (state file, live relay process, tunnel config with C(verify = 2), a C(CAfile), C(checkHost) naming the file
    system, C(connect) to port 2049).
  - C(efs_plain), EFS without TLS; the source names C(fs-...) or C(<fs-id>.efs.<region>.<suffix>), or it is a
    C(127.0.0.1) relay mount without a proven TLS relay, or fstab or O(mounts) name a file system for a mount point
    served straight from an address.
  - C(not_efs), any other NFS mount, including S3 Files mounts made by C(mount.s3files).
  - Declared mounts (O(mounts), the role's C(efs_client_mounts)) are also judged by their wanted state; a declared
    mount point with nothing mounted is reported with kind C(absent).
  - Works without amazon-efs-utils installed; such a host's EFS mounts can only be C(efs_plain).
  - Changes nothing.
author:
  - aws_efs.transit contributors (@aws-efs)
extends_documentation_fragment:
  - aws_efs.transit.client_info
options:
  mounts:
    description:
      - The mounts this host should have, as in the role's C(efs_client_mounts); C(file_system_id) and C(path) are
        required, C(state) (default V(mounted)) and C(region) are used, other keys are ignored.
    type: list
    elements: dict
    default: []
  undeclared:
    description:
      - What an EFS mount without TLS that is not in O(mounts) does to the result.
      - V(fail) makes the host non-compliant, V(warn) reports it as a warning, V(ignore) only lists it.
    type: str
    choices: [fail, warn, ignore]
    default: fail
  region:
    description:
      - The host's region, for picking the C([mount.<region>]) section of C(efs-utils.conf); when unset, the
        C(region) key of C([mount]).
    type: str
  info:
    description:
      - Also return RV(info), what M(aws_efs.transit.efs_client_info) returns for the options it shares with this
        module (O(layout), O(package_name), O(version), O(gather_os), ...), so that an audit costs one execution per
        host (both read the same O(config_path)).
    type: bool
    default: false
  fstab:
    description: Path of the fstab file.
    type: path
    default: /etc/fstab
notes:
  - Supports check mode; it never changes anything.
  - Needs Linux C(/proc).
seealso:
  - module: aws_efs.transit.efs_tls_mount
  - module: aws_efs.transit.efs_client_info
"""

EXAMPLES = r"""
- name: Examine every NFS mount of the host
  aws_efs.transit.efs_client_audit:
    mounts: "{{ efs_client_mounts }}"
    undeclared: fail
  register: efs_audit

- name: List EFS mounts that do not use TLS
  ansible.builtin.debug:
    msg: "{{ efs_audit.mounts | selectattr('kind', 'eq', 'efs_plain') | map(attribute='path') | list }}"
"""

RETURN = r"""
mounts:
  description: One record per live NFS mount and per declared mount point.
  returned: always
  type: list
  elements: dict
  contains:
    path:
      description: Mount point.
      type: str
      sample: /mnt/efs
    kind:
      description: C(efs_tls), C(efs_plain), C(not_efs), or C(absent) (a declared mount point with nothing mounted).
      type: str
      sample: efs_tls
    tls:
      description: Whether TLS is proven on this mount (kind C(efs_tls)).
      type: bool
    declared:
      description: Whether O(mounts) names this mount point.
      type: bool
    wanted:
      description: The declared state, or null.
      type: str
    file_system_id:
      description: The EFS file system, when known.
      type: str
      sample: fs-12345678
    region:
      description: Its region, when the source, state file or declaration says.
      type: str
    source:
      description: The kernel's mount source.
      type: str
      sample: 127.0.0.1:/
    relay:
      description: C(stunnel) or C(efs-proxy) for relay mounts.
      type: str
    port:
      description: The NFS port of the mount.
      type: int
    check_host:
      description: The tunnel config's C(checkHost).
      type: str
    evidence:
      description: The TLS proof's checks (relay mounts only), each C(check), C(ok), C(detail).
      type: list
      elements: dict
    findings:
      description: What decided the kind.
      type: list
      elements: str
    severity:
      description: C(ok), C(info) (listed only), C(warn) or C(fail).
      type: str
    compliant:
      description: Whether this mount leaves the host compliant.
      type: bool
    reasons:
      description: Why it is not (or, for a warning, what to look at).
      type: list
      elements: str
summary:
  description: Counts by kind, and C(compliant) for the mounts as a whole.
  returned: always
  type: dict
  sample: {"examined": 2, "efs_tls": 1, "efs_plain": 1, "not_efs": 0, "absent": 0, "undeclared": 1, "compliant": false}
efs_utils_conf:
  description: What C(efs-utils.conf) says about TLS, read as the helper reads it.
  returned: always
  type: dict
  contains:
    exists:
      description: Whether the file exists.
      type: bool
    section:
      description: The section the CA file and DNS suffix come from (C(mount) or C(mount.<region>)).
      type: str
    check_hostname:
      description: C(stunnel_check_cert_hostname) (default true).
      type: bool
    ocsp:
      description: C(stunnel_check_cert_validity) (default false).
      type: bool
    fips:
      description: C(fips_mode_enabled) (default false).
      type: bool
    ca_file:
      description: The CA file TLS mounts verify the server with.
      type: str
    dns_name_suffix:
      description: The DNS suffix of the region.
      type: str
    region:
      description: The region used to pick the section.
      type: str
problems:
  description: Host-level reasons for non-compliance found in C(efs-utils.conf).
  returned: always
  type: list
  elements: str
info:
  description:
    - M(aws_efs.transit.efs_client_info)'s result for the same host (C(efs_utils), C(stunnel), C(efs_proxy),
      C(relay), C(relay_reason), C(check_hostname), C(ocsp), C(problems), C(watchdog), and C(os) with O(gather_os));
      the role's audit host record reads it (C(aws_efs.transit.efs_audit_host_record)).
  returned: when O(info) is true
  type: dict
compliant:
  description: Whether the mounts and C(efs-utils.conf) leave the host compliant.
  returned: always
  type: bool
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.aws_efs.transit.plugins.module_utils import _client_facts, _helper
from ansible_collections.aws_efs.transit.plugins.module_utils import _mount_audit, _proof, _tls_settings
from ansible_collections.aws_efs.transit.plugins.module_utils import _efs_utils_conf
from ansible_collections.aws_efs.transit.plugins.module_utils._files import read_text

FACTS = {"proc_root": _proof.PROC_ROOT, "state_dir": _proof.STATE_DIR, "log_dir": _proof.LOG_DIR}
OS_RELEASE = _helper.OS_RELEASE
DPKG_STATUS = _helper.DPKG_STATUS


def _read_config(path):
    if not os.path.isfile(path):
        return False, {}
    with open(path, encoding="utf-8", errors="replace") as handle:
        try:
            return True, _efs_utils_conf.read(handle.read())
        except _efs_utils_conf.IniValueError:
            return True, {}  # the helper cannot read it either: efs_client_info reports why


def main():
    module = AnsibleModule(
        argument_spec=dict(
            _client_facts.INFO_ARGUMENT_SPEC,
            mounts=dict(type="list", elements="dict", default=[]),
            undeclared=dict(type="str", default="fail", choices=list(_mount_audit.UNDECLARED_POLICIES)),
            region=dict(type="str"),
            fstab=dict(type="path", default="/etc/fstab"),
            info=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    p = module.params
    try:
        declared = _mount_audit.validate_declared(p["mounts"])
    except ValueError as e:
        module.fail_json(msg=str(e))
    try:
        mounts = _proof.read_mountinfo(FACTS["proc_root"])
        exists, config = _read_config(p["config_path"])
    except OSError as e:
        module.fail_json(msg="cannot read the host's facts: %s" % e)
    states = _proof.read_state_files(FACTS["state_dir"])
    records = _mount_audit.audit_mounts(
        mounts, states, read_text(p["fstab"]) or "", declared, undeclared=p["undeclared"], facts=FACTS
    )
    settings = _tls_settings.tls_settings(config, p["region"], exists=exists, path=p["config_path"])
    problems = _tls_settings.settings_problems(settings)
    summary = _mount_audit.summarize(records)
    for rec in records:
        if rec["severity"] == "warn":
            module.warn("%s: %s" % (rec["path"], "; ".join(rec["reasons"])))
    extra = {"info": _client_facts.read_info(module, p, OS_RELEASE, DPKG_STATUS)} if p["info"] else {}
    module.exit_json(
        changed=False,
        mounts=records,
        summary=summary,
        efs_utils_conf=settings,
        problems=problems,
        compliant=summary["compliant"] and not problems,
        **extra,
    )


if __name__ == "__main__":
    main()

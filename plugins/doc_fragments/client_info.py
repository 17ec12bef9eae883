# -*- coding: utf-8 -*-
# Copyright: aws_efs.transit contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):
    # The options efs_client_info and efs_client_audit share (module_utils/_client_facts.py INFO_ARGUMENT_SPEC).
    DOCUMENTATION = r"""
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
        C(efs_utils.version_ok) says whether the installed one is it. Package revisions,
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
  gather_os:
    description:
      - Also return C(os), the OS facts the efs_client role resolves its settings from, with the values
        C(ansible.builtin.setup) gives them, so that a play needs no fact gathering of its own.
      - Read from C(/etc/os-release) (and C(/etc/debian_version)), not by Ansible's fact collectors, whose
        package would be sent to the host and imported on every run.
    type: bool
    default: false
"""

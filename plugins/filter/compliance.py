# -*- coding: utf-8 -*-
# Copyright: contributors to aws_efs.transit
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters the efs_client role and the playbooks call, so that no compliance rule and no
per-distribution path lives in Jinja: they are thin wrappers over module_utils/_compliance.py
and module_utils/_helper.py (the layout table).

- efs_client_layout(ansible_facts): the layout table's row for the host (package name and format,
  mount.efs, efs-proxy, stunnel names and package, state and log dirs).
- efs_version_matches(installed, pin): the one version rule (module_utils/_helper.py): is a package
  version (epoch, Debian revision, RPM release) the pinned upstream version; efs_upstream_version(installed).
- efs_client_changes(info, wanted): what must change on a host (module_utils/_client_plan.py), from one
  efs_client_info result; the role runs only the steps it names.
- efs_mount_records(mounts, results, check_mode=false): one record per wanted mount.
- efs_host_record(info, mounts, host, pinned, install_method, check_mode, audit, watchdog).
- efs_host_failure_message(record).
- efs_file_system_compliant(verdict), efs_file_system_record(file_system_id, verdict, changed, error),
  efs_policy_record(result): the server side, from the policy verdict.
"""

from __future__ import annotations

from ansible_collections.aws_efs.transit.plugins.module_utils import _client_plan
from ansible_collections.aws_efs.transit.plugins.module_utils import _compliance
from ansible_collections.aws_efs.transit.plugins.module_utils import _helper


def efs_client_layout(facts):
    facts = facts or {}
    name = _helper.layout_name(
        facts.get("distribution"), facts.get("distribution_major_version"), facts.get("os_family")
    )
    if name is None:
        # Imported here: importing ansible.errors at load time changes the module tests' warnings.
        from ansible.errors import AnsibleFilterError

        raise AnsibleFilterError(
            "no efs-utils layout for %s (family %s)" % (facts.get("distribution"), facts.get("os_family"))
        )
    return _helper.layout_dict(name)


def efs_upstream_version(installed):
    return _helper.version_text(_helper.parse_version(installed))


def efs_policy_records(results):
    return [_compliance.policy_record(r) for r in results or []]


class FilterModule(object):
    def filters(self):
        return {
            "efs_client_layout": efs_client_layout,
            "efs_client_changes": _client_plan.changes,
            "efs_version_matches": _helper.version_matches,
            "efs_upstream_version": efs_upstream_version,
            "efs_mount_records": _compliance.mount_records,
            "efs_host_record": _compliance.host_record,
            "efs_host_failure_message": _compliance.host_failure_message,
            "efs_file_system_compliant": _compliance.file_system_compliant,
            "efs_file_system_record": _compliance.file_system_record,
            "efs_policy_record": _compliance.policy_record,
            "efs_policy_records": efs_policy_records,
        }

# -*- coding: utf-8 -*-
# Copyright: contributors to aws_efs.transit
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters for the compliance report: an audited host's record, the file systems the hosts mount that the
server side has not judged yet, and the report's renderings."""

from __future__ import annotations

from collections.abc import Mapping

from ansible_collections.aws_efs.transit.plugins.plugin_utils import _host_record, _render, _report


def efs_audit_host_record(info, audit, host, **kwargs):
    """efs_client_info and efs_client_audit results -> the host's record (see _host_record)."""
    return _host_record.audit_host_record(host, info, audit, **kwargs)


def _fs_id(value):
    """An id, or the id at the end of a file system ARN."""
    return str(value).rsplit("/", 1)[-1] if value else None


def efs_audit_file_systems(hostvars, hosts, judged=None, record_var="efs_client_compliance"):
    """The file systems the hosts' records show mounted (over TLS or not) that `judged` has no verdict for.

    hostvars: Ansible's hostvars; hosts: the audited hosts; judged: the server side's entries so far
    (dicts with file_system_id / file_system_arn, or ids and ARNs). Sorted ids, each once.
    """
    done = set()
    for entry in judged or []:
        values = [entry.get("file_system_id"), entry.get("file_system_arn")] if isinstance(entry, Mapping) else [entry]
        done.update(_fs_id(v) for v in values if v)
    found = set()
    for host in hosts or []:
        try:
            record = hostvars[host][record_var]
        except KeyError:
            continue  # no record: the report counts the host as failed
        mounts = record.get("mounts") if isinstance(record, Mapping) else None
        for mount in mounts or []:
            if not isinstance(mount, Mapping) or _report.mount_kind(mount) not in ("efs_tls", "efs_plain"):
                continue
            fs_id = _fs_id(mount.get("file_system_id"))
            if fs_id and fs_id != _report.UNKNOWN_FS:
                found.add(fs_id)
    return sorted(found - done)


class FilterModule(object):
    def filters(self):
        return {
            "efs_audit_host_record": efs_audit_host_record,
            "efs_audit_file_systems": efs_audit_file_systems,
            "efs_report": _report.build,
            "efs_report_markdown": _render.markdown,
            "efs_report_junit": _render.junit,
            "efs_report_svg": _render.svg,
        }

# -*- coding: utf-8 -*-
# Copyright: contributors to aws_efs.transit
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters for the compliance report: an audited host's record, and the report's renderings."""

from __future__ import annotations

from ansible_collections.aws_efs.transit.plugins.plugin_utils import _host_record, _render, _report


def efs_audit_host_record(info, audit, host, **kwargs):
    """efs_client_info and efs_client_audit results -> the host's record (see _host_record)."""
    return _host_record.audit_host_record(host, info, audit, **kwargs)


class FilterModule(object):
    def filters(self):
        return {
            "efs_audit_host_record": efs_audit_host_record,
            "efs_report": _report.build,
            "efs_report_markdown": _render.markdown,
            "efs_report_junit": _render.junit,
            "efs_report_svg": _render.svg,
        }

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to aws_efs.transit
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# The work is done by the action plugin of the same name, on the controller.

from __future__ import annotations

DOCUMENTATION = r"""
---
module: efs_report
short_description: Build the fleet's EFS encryption-in-transit report and write it as JSON, Markdown, JUnit XML and SVG
version_added: 0.1.0
description:
  - Runs on the controller (an action plugin; it needs no connection). Joins every host's compliance record (every
    mount it has, declared or not) to the policy verdict of each file system, and decides whether the fleet is
    compliant; hosts, mounts and policies must all be.
  - The JSON document follows the JSON Schema C(roles/efs_client/files/efs-transit-report.schema.json) shipped in the
    collection (C(schema_version) in RV(report)).
  - Writes C(<name>.json), C(<name>.md), C(<name>.junit.xml) (a testcase per host, mount and file system) and
    C(<name>.svg) (per file system, hosts over TLS against hosts without, and the policy verdict) into O(dest).
  - When O(dest) already holds a report of the same C(ansible-playbook) run (serial batches, strategy free), hosts
    and policies from it that this call does not have are kept, so the last batch writes the whole fleet.
  - With O(merge_runs), the report in O(dest) is merged whatever run wrote it, and O(merge_from) adds other reports
    (the local reports of C(ansible-pull) hosts, AWX job slices); per host the newest record wins (its C(checked_at)),
    per file system the newest policy result, and the verdict is decided again over the merged fleet.
  - Writers of one O(dest) take turns (a lock file C(.<name>.lock) in O(dest)), so hosts or jobs sharing a directory
    (an NFS or EFS directory too) merge into each other's report instead of overwriting it.
  - Returns the summary as C(set_stats) data (not per host), which AWX shows as the job's artifacts.
  - Writing the files is not a change, and happens in check mode too (the report of a check run is the prediction).
author:
  - aws_efs.transit contributors (@aws-efs)
options:
  hosts:
    description: Every host that should have a record; one without a record failed or was unreachable. V([]) expects none.
    type: list
    elements: str
    default: "the play's ansible_play_hosts_all"
  records:
    description: The host records; when unset, O(record_var) of each host in O(hosts).
    type: list
    elements: dict
  record_var:
    description: The host variable holding a host's record.
    type: str
    default: efs_client_compliance
  policies:
    description:
      - Server-side results, one or more per file system; items of M(aws_efs.transit.efs_policy_info)'s
        C(file_systems) (with C(verdict)), or drift records (C(file_system_id), C(changed), C(compliant), C(msg)).
      - A verdict whose C(enforces_tls) is not true (false, or null for unknown) makes the file system non-compliant.
    type: list
    elements: dict
    default: []
  dest:
    description: Directory on the controller for the files; unset writes none.
    type: path
  name:
    description: Base name of the files.
    type: str
    default: efs-transit-compliance
  formats:
    description: Which files to write.
    type: list
    elements: str
    choices: [json, markdown, junit, svg]
    default: [json, markdown, junit, svg]
  mode:
    description: V(audit) (read-only) or V(converge); recorded in the report.
    type: str
    choices: [audit, converge]
    default: audit
  undeclared:
    description: The policy for undeclared EFS mounts without TLS the records were made with; recorded in the report.
    type: str
    choices: [fail, warn, ignore]
    default: fail
  merge:
    description: Keep hosts and policies of an earlier report of the same run found in O(dest).
    type: bool
    default: true
  merge_runs:
    description:
      - Merge the report found in O(dest) whatever run wrote it (another C(ansible-playbook) process, another host's
        C(ansible-pull), an earlier day), and the reports of O(merge_from).
      - Per host the entry with the newest C(checked_at) wins (an entry without one, when its report was generated);
        on a tie this call's record wins. A host this call expected but has no record for (failed, unreachable)
        replaces an older entry of another run with C(no compliance record), never a record of its own run.
      - Per file system, this call's O(policies) win, else the policy of the newest report.
      - Every host entry carries the C(run_id) of the run that observed it.
    type: bool
    default: false
  merge_from:
    description:
      - Reports to merge in, newest entry per host winning as for O(merge_runs) (which they imply for themselves);
        files, glob patterns, or directories (every C(*.json) below them, such as an M(ansible.builtin.fetch) tree).
      - Files that are not reports, or not complete yet, are left out with a warning.
    type: list
    elements: path
    default: []
  merge_max_age:
    description:
      - With O(merge_runs) or O(merge_from), leave out host entries and policy results of earlier reports observed
        more than this many seconds ago (hosts that stopped reporting, such as terminated instances). Unset keeps all.
    type: int
notes:
  - Supports check mode.
seealso:
  - module: aws_efs.transit.efs_client_audit
"""

EXAMPLES = r"""
- name: Build and write the fleet report
  aws_efs.transit.efs_report:
    hosts: "{{ groups['efs_clients'] }}"
    policies: "{{ hostvars['localhost']['efs_policy_report'] | default([]) }}"
    dest: /var/lib/efs-reports
  run_once: true
  register: efs_report

- name: One fleet report from the local reports the ansible-pull hosts copied to a shared directory
  aws_efs.transit.efs_report:
    hosts: []
    records: []
    merge_from: [/srv/efs-reports/hosts]
    merge_runs: true
    merge_max_age: 86400
    dest: /srv/efs-reports/fleet
  run_once: true

- name: Fail unless the fleet is compliant
  ansible.builtin.fail:
    msg: "{{ efs_report.msg }}"
  when: not efs_report.compliant
  run_once: true
"""

RETURN = r"""
report:
  description: The report document (see the shipped JSON Schema).
  returned: always
  type: dict
compliant:
  description: Whether hosts, mounts and policies are all compliant.
  returned: always
  type: bool
headline:
  description: One line; compliant or not, with counts.
  returned: always
  type: str
  sample: "EFS encryption in transit: NOT COMPLIANT - hosts 1/2, mounts 3/4, file systems 1/2"
failures:
  description: Every non-compliant host problem, mount (host, path, why) and file system policy, one per item.
  returned: always
  type: list
  elements: str
warnings_found:
  description: Undeclared EFS mounts without TLS that pass only because the policy for them is V(warn).
  returned: always
  type: list
  elements: str
msg:
  description: The headline followed by every failure; the gate's failure message.
  returned: always
  type: str
files:
  description: Paths written, by format.
  returned: always
  type: dict
  sample: {"json": "/var/lib/efs-reports/efs-transit-compliance.json"}
"""

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to aws_efs.transit
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: efs_policy_info
short_description: Read the file system policies of Amazon EFS file systems and judge whether they enforce TLS
version_added: 0.1.0
description:
  - Reads the file system policy of every file system of the region, or of the ones named, and returns each with
    a RV(file_systems[].verdict) from the collection's policy evaluator, the same one M(aws_efs.transit.efs_policy) uses.
  - Read-only; one module execution for any number of file systems. The calls run concurrently on at most
    O(max_workers) threads and retry C(ThrottlingException) with jittered backoff. Without O(file_system_ids) the
    module costs the DescribeFileSystems pages plus exactly one DescribeFileSystemPolicy per file system. Fewer than 100
    named file systems cost one DescribeFileSystems each (for the ARN and name) and one DescribeFileSystemPolicy each;
    from 100 on, the region's pages are listed instead.
  - With O(desired_policies) it also tells, per file system, whether M(aws_efs.transit.efs_policy) with those options
    would change the policy (RV(file_systems[].drift)), computed by the same code without writing anything. Playbooks
    use that to call M(aws_efs.transit.efs_policy) only for the file systems that need it.
author:
  - aws_efs.transit contributors (@aws-efs)
options:
  file_system_ids:
    description:
      - File system ids (C(fs-...)) or ARNs. Without them (and without O(desired_policies)) every file system of
        the region is read.
      - ARNs must be in the connection's region.
    type: list
    elements: str
  desired_policies:
    description:
      - What M(aws_efs.transit.efs_policy) tasks would ask for, one entry per file system, with the same options
        (O(desired_policies[].file_system_id) and any of C(state), C(policy), the preset options, C(grants),
        C(purge_statements), C(allow_mount_lockout)). Their file systems are read too.
      - Invalid options fail the module before any API call, as they would fail M(aws_efs.transit.efs_policy).
    type: list
    elements: dict
    suboptions:
      file_system_id:
        description: The file system, as its id or ARN.
        type: str
        required: true
      state:
        description: As in M(aws_efs.transit.efs_policy).
        type: str
        choices: [present, absent]
        default: present
      policy:
        description: As in M(aws_efs.transit.efs_policy).
        type: raw
      enforce_in_transit_encryption:
        description: As in M(aws_efs.transit.efs_policy).
        type: bool
      prevent_root_access:
        description: As in M(aws_efs.transit.efs_policy).
        type: bool
      enforce_read_only:
        description: As in M(aws_efs.transit.efs_policy).
        type: bool
      prevent_anonymous_access:
        description: As in M(aws_efs.transit.efs_policy).
        type: bool
      grants:
        description: As in M(aws_efs.transit.efs_policy).
        type: list
        elements: dict
        suboptions:
          principal:
            description: As in M(aws_efs.transit.efs_policy).
            type: str
            required: true
          actions:
            description: As in M(aws_efs.transit.efs_policy).
            type: list
            elements: str
            required: true
      purge_statements:
        description: As in M(aws_efs.transit.efs_policy).
        type: bool
        default: false
      allow_mount_lockout:
        description: As in M(aws_efs.transit.efs_policy).
        type: bool
        default: false
  max_workers:
    description:
      - How many API calls run at the same time (threads sharing one connection pool).
    type: int
    default: 10
notes:
  - A file system that cannot be read (for example V(FileSystemNotFound) or V(AccessDenied)) does not fail the module;
    its entry has RV(file_systems[].error) and an unknown verdict.
  - Supports check mode (it never writes).
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Every file system of the region, with its policy and verdict
  aws_efs.transit.efs_policy_info:
    region: eu-west-1
  register: efs_policies

- name: Fail when any of them accepts clients without TLS
  ansible.builtin.assert:
    that: efs_policies.file_systems | rejectattr('verdict.enforces_tls', 'true') | list | length == 0
    fail_msg: >-
      without TLS enforcement: {{ efs_policies.file_systems | rejectattr('verdict.enforces_tls', 'true')
      | map(attribute='file_system_id') | join(', ') }}

- name: Which file systems would efs_policy change?
  aws_efs.transit.efs_policy_info:
    desired_policies:
      - file_system_id: fs-0123456789abcdef0
        enforce_in_transit_encryption: true
        prevent_root_access: true
  register: efs_drift

- name: Apply only where needed
  aws_efs.transit.efs_policy:
    file_system_id: "{{ item.file_system_id }}"
    enforce_in_transit_encryption: true
    prevent_root_access: true
  loop: "{{ efs_drift.file_systems | rejectattr('drift', 'false') }}"
"""

RETURN = r"""
file_systems:
  description: One entry per file system, in the order of O(file_system_ids) and O(desired_policies), or as listed.
  returned: always
  type: list
  elements: dict
  contains:
    file_system_id:
      description: The file system id.
      type: str
      sample: fs-0123456789abcdef0
    file_system_arn:
      description: Its ARN; V(null) when it could not be described.
      type: str
      sample: arn:aws:elasticfilesystem:eu-west-1:123456789012:file-system/fs-0123456789abcdef0
    name:
      description: The value of its C(Name) tag (empty when none).
      type: str
      sample: shared-data
    policy:
      description: Its file system policy as the service returns it; an empty dictionary when it has none.
      type: dict
      sample: {}
    verdict:
      description:
        - What the policy lets NFS clients do. V(true)/V(false), or V(null) when the evaluator cannot decide
          (never read V(null) as enforcing).
      type: dict
      contains:
        enforces_tls:
          description: V(true) only when no principal can do any client action (mount, write, root) without TLS.
          type: bool
        clients_can_mount:
          description: Whether any client can mount at all (with or without TLS), conditions included.
          type: bool
        root_access_without_tls:
          description: Whether some client can use C(ClientRootAccess) without TLS.
          type: bool
        mount_without_tls:
          description: Whether some client can mount without TLS.
          type: bool
        anonymous_can_mount:
          description: Whether a client that mounts without IAM authorization can mount.
          type: bool
        reasons:
          description: Why, naming the statements (by C(Sid), or C(#n) for the n-th statement) and example clients.
          type: list
          elements: str
      sample:
        enforces_tls: false
        clients_can_mount: true
        root_access_without_tls: true
        mount_without_tls: true
        anonymous_can_mount: true
        reasons: ["no file system policy: EFS's default lets every client that reaches a mount target mount, ..."]
    drift:
      description:
        - Whether M(aws_efs.transit.efs_policy) with the entry of O(desired_policies) would change the policy;
          V(null) when it would refuse (see RV(file_systems[].plan_error)) or the file system could not be read.
      type: bool
      returned: for file systems in O(desired_policies)
    desired_policy:
      description: The policy M(aws_efs.transit.efs_policy) would leave in place (empty for none).
      type: dict
      returned: for file systems in O(desired_policies) whose plan succeeded
    plan_error:
      description: The message M(aws_efs.transit.efs_policy) would fail with for this file system.
      type: str
      returned: when the plan for a file system in O(desired_policies) fails
    error:
      description: The service's error code and message when the file system could not be read.
      type: dict
      returned: on a failed EFS call for this file system
      sample: {code: FileSystemNotFound, message: "File system 'fs-0123456789abcdef0' does not exist."}
api_calls:
  description: How many EFS API requests the module made, by operation (retries of throttled calls not counted).
  returned: always
  type: dict
  sample: {DescribeFileSystems: 1, DescribeFileSystemPolicy: 3}
"""

import threading

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.aws_efs.transit.plugins.module_utils import _efs_api as api
from ansible_collections.aws_efs.transit.plugins.module_utils import _policy as pol
from ansible_collections.aws_efs.transit.plugins.module_utils import _policy_eval as ev
from ansible_collections.aws_efs.transit.plugins.module_utils import _policy_task as task

# From this many named file systems on, list the region's pages instead of describing each one.
LIST_FROM = 100


def argument_spec():
    desired = task.policy_spec()
    return dict(
        file_system_ids=dict(type="list", elements="str"),
        desired_policies=dict(type="list", elements="dict", options=desired),
        max_workers=dict(type="int", default=10),
    )


def wanted_ids(params, region):
    """The file system ids to read, in order, and the desired entry of each (pure; raises PolicyError)."""
    order, desired = [], {}
    for value in params.get("file_system_ids") or []:
        fs_id, arn_region = pol.parse_file_system_id(value)
        if arn_region and region and arn_region != region:
            raise pol.PolicyError(f"file_system_ids: {value} is in region {arn_region}, the connection in {region}")
        if fs_id not in order:
            order.append(fs_id)
    for index, entry in enumerate(params.get("desired_policies") or []):
        try:
            fs_id, arn_region = task.plan_inputs(entry)[:2]
        except pol.PolicyError as e:
            raise pol.PolicyError(f"desired_policies[{index}] ({entry.get('file_system_id')}): {e}") from None
        if arn_region and region and arn_region != region:
            raise pol.PolicyError(
                f"desired_policies[{index}]: {fs_id} is in region {arn_region}, the connection in {region}"
            )
        if fs_id in desired:
            raise pol.PolicyError(f"desired_policies lists {fs_id} twice")
        desired[fs_id] = entry
        if fs_id not in order:
            order.append(fs_id)
    return order, desired


def unknown_verdict(why):
    verdict = {key: None for key in ev.VERDICT_KEYS}
    verdict["reasons"] = [f"unknown: {why}"]
    return verdict


def entry_for(description, policy_text, desired, region):
    """One file system's entry (pure): its policy, verdict and, with a desired entry, the drift."""
    fs_id = description["FileSystemId"]
    arn = description.get("FileSystemArn")
    out = dict(file_system_id=fs_id, file_system_arn=arn, name=description.get("Name") or "")
    try:
        current = api.parse_policy_text(policy_text)
    except api.EfsApiError as e:
        out.update(policy={}, verdict=unknown_verdict(e.message), error=dict(code=e.code, message=e.message))
        return out
    out["policy"] = current or {}
    out["verdict"] = ev.evaluate(current, fs_id=fs_id, fs_arn=arn, region=region)
    if desired is not None:
        try:
            wanted, out["drift"] = task.drift(current, desired, fs_id, region)
            out["desired_policy"] = wanted or {}
        except pol.PolicyError as e:
            out.update(drift=None, plan_error=str(e))
    return out


def main():
    module = AnsibleAWSModule(argument_spec=argument_spec(), supports_check_mode=True)
    params = module.params
    if params["max_workers"] < 1 or params["max_workers"] > 64:
        module.fail_json(msg="max_workers must be between 1 and 64")
    try:
        ids, desired = wanted_ids(params, module.region)
    except pol.PolicyError as e:
        module.fail_json(msg=str(e))

    client = api.efs_client(module, max_pool_connections=params["max_workers"])
    calls, lock = {}, threading.Lock()

    def count(operation, n=1):
        with lock:
            calls[operation] = calls.get(operation, 0) + n

    def describe_one(fs_id):
        count("DescribeFileSystems")
        found, dummy = api.describe_file_systems(client, fs_id)
        return found[0]

    def read(description):
        count("DescribeFileSystemPolicy")
        return api.describe_policy_text(client, description["FileSystemId"])

    failed = {}
    if len(ids) >= LIST_FROM:
        # Many ids: the pages of the whole region cost fewer calls than one DescribeFileSystems per id.
        try:
            listed, pages = api.describe_file_systems(client)
        except api.EfsApiError as e:
            api.fail(module, e, str(e))
        count("DescribeFileSystems", pages)
        by_id = {d["FileSystemId"]: d for d in listed}
        descriptions = [by_id.get(fs_id, {"FileSystemId": fs_id}) for fs_id in ids]
        for fs_id in ids:
            if fs_id not in by_id:
                failed[fs_id] = api.EfsApiError(
                    "DescribeFileSystems", "FileSystemNotFound", f"File system '{fs_id}' is not in the region's list."
                )
    elif ids:
        descriptions = []
        for fs_id, (found, error) in zip(ids, api.run_bounded(describe_one, ids, params["max_workers"])):
            if error:
                failed[fs_id] = error
            descriptions.append(found or {"FileSystemId": fs_id})
    else:
        try:
            descriptions, pages = api.describe_file_systems(client)
        except api.EfsApiError as e:
            api.fail(module, e, str(e))
        count("DescribeFileSystems", pages)
    readable = [d for d in descriptions if d["FileSystemId"] not in failed]
    texts = dict(zip([d["FileSystemId"] for d in readable], api.run_bounded(read, readable, params["max_workers"])))

    file_systems = []
    for description in descriptions:
        fs_id = description["FileSystemId"]
        text, error = texts.get(fs_id, (None, failed.get(fs_id)))
        if error:
            entry = dict(file_system_id=fs_id, file_system_arn=description.get("FileSystemArn"))
            entry.update(name=description.get("Name") or "", policy={}, verdict=unknown_verdict(str(error)))
            entry["error"] = dict(code=error.code, message=error.message)
            if fs_id in desired:
                entry["drift"] = None
        else:
            entry = entry_for(description, text, desired.get(fs_id), module.region)
        file_systems.append(entry)
    module.exit_json(changed=False, file_systems=file_systems, api_calls=calls)


if __name__ == "__main__":
    main()

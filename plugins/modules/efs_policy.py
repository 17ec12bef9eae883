#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to aws_efs.transit
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: efs_policy
short_description: Manage the file system policy of an Amazon EFS file system
version_added: 0.1.0
description:
  - Creates, updates or deletes the resource policy (file system policy) of an Amazon EFS file system,
    the server-side switch that makes EFS refuse NFS clients that do not use TLS.
  - The policy can be given whole (O(policy), like the console's policy editor), built from the console's
    preconfigured options (O(enforce_in_transit_encryption), O(prevent_root_access), O(enforce_read_only),
    O(prevent_anonymous_access)) and extra O(grants), or any combination of these.
  - Idempotent by meaning, not by text. The service re-serialises policies; key order, statement order,
    V("*") versus V({"AWS":"*"}), a string versus a one-item list, V(true) versus V("true"), the case of action
    and condition key names and an account id versus its root ARN never cause a change. Neither does what the
    service fills in where a request has none, a C(Sid) named C(efs-statement-<uuid>), the file system's own ARN as
    C(Resource) and an C(Id) (an C(Id) counts only when the task sets one).
  - B(Merge rule.) A statement of the current policy is managed by this task when its C(Sid) is the C(Sid) of a
    statement in O(policy); when O(grants) is given and its C(Sid) starts with C(EfsTransitGrant); or when it is one
    of the preset statements, recognised B(by meaning) whatever its C(Sid) (the console's C(efs-statement-<uuid>),
    Terraform's C(NonSecureTransport), this module's C(EfsTransit...)). Managed statements are replaced or edited
    in place; all other statements of the current policy are kept, unless O(purge_statements=true), which replaces
    the whole policy. A current statement without a C(Sid) is kept unless it equals, in meaning, one the task asks for.
  - B(Presets.) A true preset option adds the console's paired C(Allow) (Sid C(EfsTransitAllowViaMountTarget)), which
    lets any principal that reaches the file system through a mount target use C(elasticfilesystem:ClientMount),
    C(ClientWrite) and C(ClientRootAccess), minus the actions the options remove; O(enforce_in_transit_encryption) adds
    the C(Deny) of every action to every principal when C(aws:SecureTransport) is false (Sid
    C(EfsTransitDenyInsecureTransport)). When the current policy already has such statements (made by the console,
    Terraform or an earlier run), they are kept as they are or edited in place (keeping their C(Sid) and C(Resource)),
    so a console-made policy is no change for the same options.
  - A preset the task does not mention keeps what the current policy says; only an explicit V(false) removes it
    (V(false) for O(prevent_root_access) puts C(ClientRootAccess) back into the C(Allow)). The paired C(Allow) goes
    only when all four presets are given as V(false). So a task that gives only O(grants) never drops the TLS C(Deny).
  - B(Meaning checks.) The resulting policy is judged by the collection's policy evaluator before anything is written.
    A true O(prevent_root_access) or O(enforce_read_only) fails when another statement still allows root or write to
    principals the policy does not name, O(prevent_anonymous_access) when one still lets anonymous clients mount, and
    O(enforce_in_transit_encryption) when the policy would not enforce TLS; the message names the statements.
  - B(Lockout.) An explicit policy replaces EFS's default "anyone who reaches a mount target may mount", so a policy
    under which no client can mount, conditions included (for example a C(Deny)-only policy, O(prevent_anonymous_access)
    without O(grants), or two C(Deny)s on C(aws:SecureTransport) true and false), leaves only clients with
    identity-based IAM grants able to mount. Such a result is refused unless O(allow_mount_lockout=true).
  - Checks every input before the first API call; a bad input fails with a message naming the problem and writes nothing.
author:
  - aws_efs.transit contributors (@aws-efs)
options:
  file_system_id:
    description:
      - The file system, as its id (C(fs-0123456789abcdef0)) or its ARN
        (C(arn:aws:elasticfilesystem:REGION:ACCOUNT:file-system/fs-...)).
      - When an ARN is given its region must match the connection's region.
    type: str
    required: true
  state:
    description:
      - V(present) makes the policy hold what the task asks for.
      - V(absent) deletes the whole file system policy (DeleteFileSystemPolicy), which restores EFS's default
        access. A file system without a policy is left unchanged.
    type: str
    choices: [present, absent]
    default: present
  policy:
    description:
      - A whole policy document, as a dictionary or a JSON string, with C(Statement) and optional C(Version) and C(Id).
      - Preset and O(grants) statements are added to it. Its statements may not use C(Sid)s starting with C(EfsTransit)
        when presets or grants are also given.
      - Without C(Version), V(2012-10-17) is used.
    type: raw
  enforce_in_transit_encryption:
    description:
      - Deny every action to clients that do not use TLS (C(aws:SecureTransport) false), plus the paired C(Allow).
      - This is the console's "Enforce in-transit encryption for all clients".
    type: bool
  prevent_root_access:
    description:
      - Remove C(elasticfilesystem:ClientRootAccess) from the paired C(Allow) ("Prevent root access by default").
    type: bool
  enforce_read_only:
    description:
      - Remove C(elasticfilesystem:ClientWrite) from the paired C(Allow) ("Enforce read-only access by default").
    type: bool
  prevent_anonymous_access:
    description:
      - Remove C(elasticfilesystem:ClientMount) from the paired C(Allow) ("Prevent anonymous access"), so only
        principals given C(ClientMount) by O(grants), by O(policy) or by identity-based IAM policies can mount.
    type: bool
  grants:
    description:
      - Extra permissions, one C(Allow) statement per principal, with a C(Sid) derived from the principal
        (C(EfsTransitGrant) followed by ten hex digits), so the order of the list does not matter.
      - An empty list removes the grant statements earlier runs generated; without O(grants) they are kept.
    type: list
    elements: dict
    suboptions:
      principal:
        description:
          - V(*), a 12-digit AWS account id, or an IAM or STS ARN (C(arn:aws:iam::123456789012:role/app)).
          - Each principal may appear once.
        type: str
        required: true
      actions:
        description:
          - Short names (V(ClientMount), V(ClientWrite), V(ClientRootAccess), any case) or full
            C(elasticfilesystem:...) action names.
        type: list
        elements: str
        required: true
  purge_statements:
    description:
      - Replace the whole policy with what the task asks for, dropping statements it does not manage.
    type: bool
    default: false
  allow_mount_lockout:
    description:
      - Accept a resulting policy under which no client can mount (C(elasticfilesystem:ClientMount)), conditions
        included. Set it only when clients get C(ClientMount) from identity-based IAM policies (mounts with the
        C(iam) option).
    type: bool
    default: false
  bypass_policy_lockout_safety_check:
    description:
      - Passed to PutFileSystemPolicy. The service then skips its check that the new policy does not lock the
        caller out of future PutFileSystemPolicy calls.
    type: bool
    default: false
  wait:
    description:
      - After a change, poll DescribeFileSystemPolicy until the service returns the new policy (compared by meaning),
        or no policy after O(state=absent).
    type: bool
    default: true
  wait_timeout:
    description:
      - How many seconds to wait when O(wait=true).
    type: int
    default: 120
notes:
  - Every API call retries C(ThrottlingException) and the usual throttling errors with jittered backoff.
  - The service applies a new policy to clients within minutes of accepting it; O(wait) covers only its acceptance.
  - Supports check mode (nothing is written; RV(policy) is what would be written) and diff mode (before and after as JSON).
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Enforce TLS for every client, as the console's preconfigured option does
  aws_efs.transit.efs_policy:
    file_system_id: fs-0123456789abcdef0
    enforce_in_transit_encryption: true

- name: TLS only, no root, and an application role that may write
  aws_efs.transit.efs_policy:
    file_system_id: fs-0123456789abcdef0
    enforce_in_transit_encryption: true
    prevent_root_access: true
    grants:
      - principal: arn:aws:iam::123456789012:role/app
        actions: [ClientMount, ClientWrite]

- name: A whole policy, verbatim from the EFS documentation, replacing anything else
  aws_efs.transit.efs_policy:
    file_system_id: arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/fs-0123456789abcdef0
    purge_statements: true
    policy:
      Version: "2012-10-17"
      Id: ExamplePolicy01
      Statement:
        - Sid: VisualEditior0
          Effect: Allow
          Principal:
            AWS: "*"
          Action:
            - elasticfilesystem:ClientRootAccess
            - elasticfilesystem:ClientMount
            - elasticfilesystem:ClientWrite
          Condition:
            Bool:
              aws:SecureTransport: "true"

- name: Policy text from a file (JSON string)
  aws_efs.transit.efs_policy:
    file_system_id: fs-0123456789abcdef0
    policy: "{{ lookup('ansible.builtin.file', 'efs-policy.json') }}"

- name: Show what would change, without changing it
  aws_efs.transit.efs_policy:
    file_system_id: fs-0123456789abcdef0
    enforce_in_transit_encryption: true
  check_mode: true
  diff: true

- name: Remove the policy (back to EFS's default access)
  aws_efs.transit.efs_policy:
    file_system_id: fs-0123456789abcdef0
    state: absent

# For many file systems, aws_efs.transit.efs_policy_info tells which need this module at all.
- name: Many file systems, one task (one DescribeFileSystemPolicy each when nothing changes)
  aws_efs.transit.efs_policy:
    file_system_id: "{{ item }}"
    enforce_in_transit_encryption: true
  loop: "{{ efs_file_system_ids }}"
"""

RETURN = r"""
file_system_id:
  description: The file system id the API calls used (taken from the ARN when an ARN was given).
  returned: always
  type: str
  sample: fs-0123456789abcdef0
policy:
  description:
    - The resulting policy. After a write with O(wait=true) it is the policy as the service returns it;
      in check mode, or with O(wait=false), the policy that was (or would be) written.
    - An empty dictionary when the file system has (or would have) no policy.
  returned: always
  type: dict
  sample:
    Version: "2012-10-17"
    Statement:
      - Sid: EfsTransitAllowViaMountTarget
        Effect: Allow
        Principal: {AWS: "*"}
        Action: [elasticfilesystem:ClientRootAccess, elasticfilesystem:ClientWrite, elasticfilesystem:ClientMount]
        Condition: {Bool: {"elasticfilesystem:AccessedViaMountTarget": "true"}}
      - Sid: EfsTransitDenyInsecureTransport
        Effect: Deny
        Principal: {AWS: "*"}
        Action: "*"
        Condition: {Bool: {"aws:SecureTransport": "false"}}
previous_policy:
  description: The policy before the task, as the service returned it; an empty dictionary when there was none.
  returned: always
  type: dict
  sample: {}
verdict:
  description:
    - What RV(policy) lets NFS clients do, from the collection's policy evaluator (see M(aws_efs.transit.efs_policy_info)).
      In check mode, the verdict of the policy that would be written; after a failed write, of the policy in place.
    - Each boolean may be V(null) (unknown), which never means enforcing.
  returned: always (after the policy was read)
  type: dict
  sample:
    enforces_tls: true
    clients_can_mount: true
    root_access_without_tls: false
    mount_without_tls: false
    anonymous_can_mount: true
    reasons: ["every client action without TLS is denied (by statement 'EfsTransitDenyInsecureTransport')"]
kept_statements:
  description: The C(Sid)s (or V(null) for statements without one) of current statements carried over unchanged.
  returned: when O(state=present)
  type: list
  elements: str
  sample: [AllowBackupRole]
error:
  description: The service's error code and message when an EFS call failed.
  returned: on a failed EFS call
  type: dict
  sample: {code: FileSystemNotFound, message: "File system 'fs-0123456789abcdef0' does not exist."}
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.aws_efs.transit.plugins.module_utils import _efs_api as api
from ansible_collections.aws_efs.transit.plugins.module_utils import _policy as pol
from ansible_collections.aws_efs.transit.plugins.module_utils import _policy_eval as ev
from ansible_collections.aws_efs.transit.plugins.module_utils import _policy_task as task


def argument_spec():
    spec = task.policy_spec()
    spec.update(
        bypass_policy_lockout_safety_check=dict(type="bool", default=False),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=120),
    )
    return spec


def main():
    module = AnsibleAWSModule(argument_spec=argument_spec(), supports_check_mode=True)
    params = module.params

    try:
        fs_id, arn_region, given, options, grants = task.plan_inputs(params)
    except pol.PolicyError as e:
        module.fail_json(msg=str(e))
    if arn_region and module.region and arn_region != module.region:
        module.fail_json(
            msg=f"file_system_id is an ARN in region {arn_region} but the connection uses region {module.region}"
        )
    region = arn_region or module.region

    client = api.efs_client(module)
    result = dict(changed=False, file_system_id=fs_id)

    def fail_api(e, **extra):
        api.fail(module, e, f"{e.operation} for {fs_id} failed: {e.code}: {e.message}", **dict(result, **extra))

    try:
        current = api.describe_policy(client, fs_id)
    except api.EfsApiError as e:
        fail_api(e)
    result["previous_policy"] = current or {}
    result["policy"] = current or {}
    result["verdict"] = ev.evaluate(current, fs_id=fs_id, region=region)

    if params["state"] == "absent":
        desired = None
    else:
        try:
            desired, kept = task.plan_policy(current, given, options, grants, params, fs_id, region)
        except pol.PolicyError as e:
            module.fail_json(msg=str(e), **result)
        result["kept_statements"] = [s.get("Sid") for s in kept]

    changed = not pol.policy_satisfied(current, desired, fs_id)
    result["changed"] = changed
    result["policy"] = (desired if changed else current) or {}
    result["verdict"] = ev.evaluate(result["policy"], fs_id=fs_id, region=region)
    if module._diff:
        result["diff"] = dict(before=pol.pretty(current), after=pol.pretty(desired if changed else current))
    if not changed or module.check_mode:
        module.exit_json(**result)

    try:
        if desired is None:
            api.delete_policy(client, fs_id)
        else:
            api.put_policy(client, fs_id, pol.serialise(desired), params["bypass_policy_lockout_safety_check"])
    except api.EfsApiError as e:
        # A refused write changed nothing: report the policy that is still in place.
        fail_api(e, changed=False, policy=current or {}, verdict=ev.evaluate(current, fs_id=fs_id, region=region))
    try:
        if params["wait"]:
            final, dummy = api.wait_for_policy(
                client, fs_id, lambda p: pol.policy_satisfied(p, desired, fs_id), params["wait_timeout"]
            )
            result["policy"] = final or {}
            result["verdict"] = ev.evaluate(final, fs_id=fs_id, region=region)
    except api.EfsApiError as e:
        fail_api(e)
    except api.WaitTimeout as e:
        module.fail_json(msg=f"the policy of {fs_id} was written but {e}", **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()

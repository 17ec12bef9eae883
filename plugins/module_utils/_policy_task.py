# -*- coding: utf-8 -*-
# Copyright: contributors to aws_efs.transit
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One efs_policy task's options -> the policy it wants (pure): shared by efs_policy, which writes it,
and efs_policy_info, which reports whether a file system's policy already is what the task asks for."""

from __future__ import annotations

from ansible_collections.aws_efs.transit.plugins.module_utils import _policy as pol

_WRITE_OPTIONS = ("policy", "grants") + pol.PRESETS


def policy_spec():
    """The argument spec of what a task asks for (efs_policy's options, without the API behaviour ones)."""
    spec = dict(
        file_system_id=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        policy=dict(type="raw"),
        grants=dict(
            type="list",
            elements="dict",
            options=dict(
                principal=dict(type="str", required=True),
                actions=dict(type="list", elements="str", required=True),
            ),
        ),
        purge_statements=dict(type="bool", default=False),
        allow_mount_lockout=dict(type="bool", default=False),
    )
    for name in pol.PRESETS:
        spec[name] = dict(type="bool")
    return spec


def plan_inputs(params):
    """Validate everything that needs no API call. Returns (fs id, arn region, given policy, options, grants)
    where options maps each preset to True/False/None and grants is None when not given."""
    fs_id, arn_region = pol.parse_file_system_id(params["file_system_id"])
    options = {name: params.get(name) for name in pol.PRESETS}
    if params["state"] == "absent":
        conflicting = [name for name in _WRITE_OPTIONS if params.get(name) is not None]
        if params.get("purge_statements"):
            conflicting.append("purge_statements")
        if params.get("allow_mount_lockout"):
            conflicting.append("allow_mount_lockout")
        if conflicting:
            raise pol.PolicyError(
                f"state=absent deletes the whole policy and cannot be combined with {', '.join(conflicting)}; "
                "to remove some statements use state=present with purge_statements"
            )
        return fs_id, arn_region, None, {}, None
    if all(params.get(name) is None for name in _WRITE_OPTIONS):
        raise pol.PolicyError(f"state=present needs at least one of {', '.join(_WRITE_OPTIONS)}")
    if params.get("wait_timeout") is not None and params["wait_timeout"] < 0:
        raise pol.PolicyError("wait_timeout must not be negative")
    given = None
    if params.get("policy") is not None:
        given = pol.load_policy(params["policy"])
        pol.check_size(given)
    grants = None if params.get("grants") is None else pol.grant_statements(params["grants"])
    # Conflicts between the given policy and the generated statements need no current policy.
    pol.build_desired(None, given, options, grants, True)
    return fs_id, arn_region, given, options, grants


def plan_policy(current, given, options, grants, params, fs_id, region):
    """The policy to write (pure): the merge, then what it must mean. Raises PolicyError, writing nothing."""
    desired, kept = pol.build_desired(current, given, options, grants, params["purge_statements"], fs_id)
    if not pol.statements_of(desired):
        raise pol.PolicyError("the resulting policy has no statements; use state=absent to remove the policy")
    pol.check_size(desired)
    problems = pol.preset_violations(desired, options, fs_id, region)
    if problems:
        raise pol.PolicyError("refusing a policy that does not do what the options say: " + "; ".join(problems))
    reason = pol.mount_lockout_reason(desired, fs_id, region)
    if reason and not params["allow_mount_lockout"]:
        raise pol.PolicyError(
            f"refusing a policy under which no client could mount: {reason}; set allow_mount_lockout=true if that is intended"
        )
    return desired, kept


def drift(current, params, fs_id, region=None):
    """Compare one task with a file system's current policy, writing nothing.

    Returns (desired policy or None for no policy, whether efs_policy would change it). A task that
    efs_policy would refuse raises PolicyError with efs_policy's message."""
    dummy, dummy2, given, options, grants = plan_inputs(params)
    if params["state"] == "absent":
        return None, current is not None
    desired, dummy = plan_policy(current, given, options, grants, params, fs_id, region)
    return desired, not pol.policy_satisfied(current, desired, fs_id)

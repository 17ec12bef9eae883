"""meta/runtime.yml: module_defaults groups never mix AWS API modules with host modules."""

from __future__ import annotations

import os
import re

import pytest
import yaml

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "..")


def load_groups():
    with open(os.path.join(ROOT, "meta", "runtime.yml"), encoding="utf-8") as handle:
        return yaml.safe_load(handle)["action_groups"]


def is_api_module(name):
    """An API module is built on AnsibleAWSModule (region, profile, endpoint_url, credentials)."""
    with open(os.path.join(ROOT, "plugins", "modules", name + ".py"), encoding="utf-8") as handle:
        return re.search(r"^\s*module\s*=\s*AnsibleAWSModule\(", handle.read(), re.M) is not None


def modules_of(members):
    return [m for m in members if isinstance(m, str)]


@pytest.mark.parametrize("group", sorted(load_groups()))
def test_group_is_all_api_or_all_host_modules(group):
    members = modules_of(load_groups()[group])
    assert members, group
    kinds = {name: is_api_module(name) for name in members}
    assert len(set(kinds.values())) == 1, "group %s mixes API and host modules: %s" % (group, kinds)


def test_every_module_is_in_a_group_and_groups_extending_amazon_aws_hold_api_modules_only():
    groups = load_groups()
    grouped = {m for members in groups.values() for m in modules_of(members)}
    shipped = {f[:-3] for f in os.listdir(os.path.join(ROOT, "plugins", "modules")) if f.endswith(".py")}
    # Controller-side actions (efs_report) run on no host and take no AWS parameters: no group.
    controller = {f[:-3] for f in os.listdir(os.path.join(ROOT, "plugins", "action")) if f.endswith(".py")}
    assert shipped - controller <= grouped, shipped - controller - grouped
    assert not controller & grouped, controller & grouped
    for name, members in groups.items():
        extends = [e for m in members if isinstance(m, dict) for e in m.get("metadata", {}).get("extend_group", [])]
        if "amazon.aws.aws" in extends:
            assert all(is_api_module(m) for m in modules_of(members)), name

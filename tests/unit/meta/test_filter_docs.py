"""Every filter plugin has its documentation (plugins/filter/<name>.yml, as ansible-doc -t filter reads it), and
the documented options are the function's parameters."""

from __future__ import annotations

import importlib
import inspect
import os

import pytest
import yaml

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "..")
FILTER_DIR = os.path.join(ROOT, "plugins", "filter")


def filters():
    out = []
    for name in sorted(os.listdir(FILTER_DIR)):
        if name.endswith(".py") and not name.startswith("_"):
            module = importlib.import_module("ansible_collections.aws_efs.transit.plugins.filter." + name[:-3])
            out.extend(sorted(module.FilterModule().filters().items()))
    return out


@pytest.mark.parametrize("name, function", filters(), ids=[n for n, _f in filters()])
def test_filter_is_documented(name, function):
    path = os.path.join(FILTER_DIR, name + ".yml")
    assert os.path.isfile(path), "%s has no %s" % (name, os.path.relpath(path, ROOT))
    with open(path, encoding="utf-8") as handle:
        doc = yaml.safe_load(handle)
    documentation = doc["DOCUMENTATION"]
    assert documentation["name"] == name and doc.get("EXAMPLES") and doc.get("RETURN", {}).get("_value")
    options = documentation.get("options") or {}
    assert "_input" in options
    positional = [p.strip() for p in (documentation.get("positional") or "").split(",") if p.strip()]
    assert set(positional) <= set(options)
    params = inspect.signature(function).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return
    named = list(params)[1:]
    assert set(options) - {"_input"} == set(named), "%s: documented options differ from the parameters" % name
    assert positional == named[: len(positional)], "%s: positional order differs from the parameters" % name

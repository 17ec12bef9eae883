"""ansible-core < 2.19 compatibility for the module tests (the ansible-core matrix runs 2.17 on)."""

from __future__ import annotations

import contextlib
import json
import sys
import types
from unittest import mock

try:
    import ansible.module_utils.testing  # noqa: F401  pylint: disable=unused-import
except ImportError:
    # ansible-core 2.19 added ansible.module_utils.testing.patch_module_args; before it, modules read
    # their arguments from basic._ANSIBLE_ARGS. The same context manager over that, for 2.17/2.18.
    from ansible.module_utils import basic

    @contextlib.contextmanager
    def patch_module_args(args=None):
        args = dict(args or {})
        args.setdefault("_ansible_remote_tmp", "/tmp")
        args.setdefault("_ansible_keep_remote_files", False)
        with mock.patch.object(basic, "_ANSIBLE_ARGS", json.dumps({"ANSIBLE_MODULE_ARGS": args}).encode()):
            yield

    _testing = types.ModuleType("ansible.module_utils.testing")
    _testing.patch_module_args = patch_module_args
    sys.modules["ansible.module_utils.testing"] = _testing

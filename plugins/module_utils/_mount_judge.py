# -*- coding: utf-8 -*-
# Copyright: contributors to aws_efs.transit
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""efs_tls_mount up to the point where it would act: read the helper, fstab and the mount table,
prove the path, plan with _mount_plan (assess, plan) and build the result a check run returns.

efs_tls_mount calls judge() and then acts on its plan; efs_client_info calls it for every mount the
role wants, so that a host whose mounts are all as asked needs no efs_tls_mount execution, and the
report gets the very same result (proof, compliant, reasons) efs_tls_mount would have returned.
"""

from __future__ import annotations

from collections import namedtuple

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.aws_efs.transit.plugins.module_utils import _efs_utils_conf as conf
from ansible_collections.aws_efs.transit.plugins.module_utils import _files
from ansible_collections.aws_efs.transit.plugins.module_utils import _helper
from ansible_collections.aws_efs.transit.plugins.module_utils import _mount_options as mo
from ansible_collections.aws_efs.transit.plugins.module_utils import _mount_plan as mp
from ansible_collections.aws_efs.transit.plugins.module_utils import _proof
from ansible_collections.aws_efs.transit.plugins.module_utils._tls_settings import tls_settings

# efs_tls_mount's options; efs_client_info validates the role's mounts against the same spec.
ARGUMENT_SPEC = dict(
    file_system_id=dict(type="str", required=True),
    path=dict(type="str", required=True, aliases=["mount_point"]),
    subpath=dict(type="str", default="/"),
    state=dict(type="str", default="mounted", choices=["mounted", "present", "unmounted", "absent", "audited"]),
    iam=dict(type="bool", default=False),
    access_point=dict(type="str"),
    efs_utils_aws_profile=dict(
        type="str",
        aliases=["aws_profile"],
        deprecated_aliases=[dict(name="aws_profile", version="2.0.0", collection_name="aws_efs.transit")],
    ),
    region=dict(type="str"),
    mount_target_ip=dict(type="str"),
    az=dict(type="str"),
    relay=dict(type="str", default="auto", choices=["auto", "stunnel", "efs-proxy"]),
    options=dict(type="list", elements="str", default=[]),
    boot=dict(type="bool", default=True),
    nofail=dict(type="bool", default=False),
    fstab=dict(type="str", default="/etc/fstab"),
    backup=dict(type="bool", default=False),
    remediate=dict(type="bool", default=False),
    mount_timeout=dict(type="int", default=300),
    lazy_unmount=dict(type="bool", default=False),
    helper_version=dict(type="str"),
)

# Where the readers look; the modules pass their own (module-level, so unit tests can point them at fixtures).
Paths = namedtuple("Paths", "proc_root state_dir log_dir fs_root dpkg_status config_file os_release")

DEFAULT_PATHS = Paths(
    _proof.PROC_ROOT,
    _helper.STATE_DIR,
    _helper.LOG_DIR,
    "/",
    _helper.DPKG_STATUS,
    _helper.CONFIG_FILE,
    _helper.OS_RELEASE,
)

# What judge() hands to efs_tls_mount's acting part.
Judged = namedtuple("Judged", "result spec plan helper options fstab_path fstab_text warnings")


class JudgeError(Exception):
    """The module must fail: msg, and the result so far (proof, actions, ...)."""

    def __init__(self, msg, result=None):
        super().__init__(msg)
        self.msg = msg
        self.result = dict(result or {})


def mount_params(item, relay="auto", remediate=False, helper_version=None):
    """efs_tls_mount's parameters for one entry of the role's efs_client_mounts, as roles/efs_client/tasks/
    mounts.yml passes them (item keys as they are; relay and remediate default to the role's)."""
    params = dict((k, v) for k, v in (item or {}).items() if k in ARGUMENT_SPEC and v is not None)
    if item and item.get("aws_profile") is not None and "efs_utils_aws_profile" not in params:
        params["efs_utils_aws_profile"] = item["aws_profile"]
    params.setdefault("relay", relay)
    params.setdefault("remediate", remediate)
    if helper_version:
        params["helper_version"] = helper_version
    return params


def known_helper(info):
    """What efs_client_info's read_info found ({mount_efs, efs_proxy, version, ocsp}), for Helper."""
    efs_utils = info.get("efs_utils") or {}
    return {
        "mount_efs": efs_utils.get("mount_helper"),
        "efs_proxy": info.get("efs_proxy"),
        "version": efs_utils.get("version"),
        "ocsp": tls_settings(efs_utils.get("config") or {})["ocsp"],
    }


class Helper(object):
    """The installed helper: mount.efs, efs-proxy, its version (asked for lazily), OCSP in its config.
    known: what an earlier read of this execution found (known_helper), so the helper is looked for once."""

    def __init__(self, module, helper_version=None, paths=DEFAULT_PATHS, known=None):
        self.module = module
        if known is None:
            layout = _helper.read_layout(paths.os_release)
            mount_efs = _helper.find_binary(module, "mount.efs", layout)
            known = {
                "mount_efs": mount_efs,
                "efs_proxy": _helper.find_binary(module, "efs-proxy", layout),
                "version": _helper.version_from_files(mount_efs)
                or (_helper.version_from_dpkg(paths.dpkg_status) if mount_efs else None),
                "ocsp": tls_settings(_read_config(paths.config_file))["ocsp"],
            }
        self.mount_efs = known["mount_efs"]
        self.efs_proxy = known["efs_proxy"]
        self.version_text = helper_version or known["version"]
        self.ocsp_config = known["ocsp"]

    def ask_version(self):
        rc, out, _err = self.module.run_command([self.mount_efs, "--version"])
        self.version_text = _helper.parse_helper_version_output(out) if rc == 0 else None


def _read_config(path):
    try:
        return conf.read(_files.read_text(path) or "")
    except conf.IniValueError:
        return {}


class Reading(object):
    """One execution's reads, shared by every mount it judges (efs_client_info's judge_mounts): the helper,
    the mount table, the helper's state files and each fstab, each read once when first asked for."""

    def __init__(self, module, paths=DEFAULT_PATHS, known=None):
        self.module, self.paths, self.known = module, paths, known
        self._helpers, self._fstabs, self._mounts, self._states = {}, {}, None, None

    def helper(self, helper_version):
        if helper_version not in self._helpers:
            self._helpers[helper_version] = Helper(self.module, helper_version, self.paths, self.known)
        return self._helpers[helper_version]

    def fstab(self, path):
        if path not in self._fstabs:
            self._fstabs[path] = _files.read_text(path)
        return self._fstabs[path]

    def mounts(self):
        if self._mounts is None:
            self._mounts = _proof.read_mountinfo(self.paths.proc_root)
        return self._mounts

    def states(self):
        if self._states is None:
            self._states = _proof.read_state_files(self.paths.state_dir)
        return self._states


def desired_options(spec, helper):
    """(fstab options, relay choice); asks the helper for its version only when the answer depends on it."""
    try:
        return mp.options_for(spec, _helper.parse_version(helper.version_text), helper.efs_proxy, helper.ocsp_config)
    except mo.OptionError:
        if helper.version_text is not None:
            raise
        if helper.mount_efs is None:
            raise mo.OptionError(
                "amazon-efs-utils is not installed (no mount.efs found), so the options it needs are unknown; "
                "install it first or set helper_version"
            ) from None
    helper.ask_version()
    return mp.options_for(spec, _helper.parse_version(helper.version_text), helper.efs_proxy, helper.ocsp_config)


def prove(spec, paths=DEFAULT_PATHS, mounts=None, states=None):
    mounts = _proof.read_mountinfo(paths.proc_root) if mounts is None else mounts
    states = _proof.read_state_files(paths.state_dir) if states is None else states
    return _proof.prove(
        spec.fs_id,
        spec.path,
        mounts,
        states,
        proc_root=paths.proc_root,
        state_dir=paths.state_dir,
        log_dir=paths.log_dir,
        region=spec.region,
        fs_root=paths.fs_root,
    )


def read_helper(module, spec, state, result, paths=DEFAULT_PATHS, helper_version=None, reading=None):
    """(helper facts, fstab options, option error) for the states that write or judge the fstab line."""
    if state not in mp.STATES_WITH_OPTIONS:
        return None, None, None
    helper = (reading or Reading(module, paths)).helper(helper_version)
    options = option_error = None
    try:
        options, choice = desired_options(spec, helper)
        result["expected_relay"] = choice.relay
    except mo.OptionError as e:
        if state != "audited":
            raise JudgeError(str(e), result) from None
        option_error = str(e)  # an audit reports what it cannot judge instead of failing
        result["expected_relay"] = None
    if helper.version_text:
        result["helper_version"] = helper.version_text
    return helper, options, option_error


def judge(module, params, paths=DEFAULT_PATHS, check_mode=False, diff=False, reading=None):
    """efs_tls_mount's reading and planning for validated `params`: a Judged, or JudgeError.

    Judged.result is what efs_tls_mount returns in check mode, and on a run that changes nothing.
    reading: a Reading shared with the other mounts of the same execution (judge_ahead), else a new one.
    """
    state = params["state"]
    try:
        spec = mp.spec_from_params(params)
        fstab_path = mo.validate_path(params["fstab"], name="fstab")
    except mo.OptionError as e:
        raise JudgeError(str(e)) from None
    if params["mount_timeout"] < 0:
        raise JudgeError("mount_timeout must be 0 (no limit) or more")

    result = {"changed": False, "fstab_changed": False, "mount_changed": False, "actions": []}
    reading = reading or Reading(module, paths)
    helper, options, option_error = read_helper(module, spec, state, result, paths, params["helper_version"], reading)
    fstab_text = reading.fstab(fstab_path)
    try:
        if state == "present":
            mounts, proof = [], _proof.empty_proof(spec.fs_id, spec.path)
        else:
            mounts = reading.mounts()
            proof = prove(spec, paths, mounts, reading.states())
    except OSError as e:
        raise JudgeError("cannot read the mount table (%s): this module needs Linux /proc" % e, result) from None

    options = mp.with_boot_order(spec, options, fstab_text) if options else options
    options_text = mo.render(options) if options else ""
    the_plan = mp.plan(state, spec, options_text, fstab_text, proof, params["remediate"], option_error, mounts)
    mp.finish_proof(proof, fstab_text, spec.path, the_plan.reasons)
    if the_plan.fail:
        raise JudgeError(the_plan.fail, dict(result, proof=proof))
    fstab_change = the_plan.new_fstab != (fstab_text or "")
    mount_change = the_plan.mount or the_plan.unmount
    result.update(actions=list(the_plan.actions), fstab_changed=fstab_change, proof=proof)
    result.update(mount_changed=mount_change, changed=fstab_change or mount_change)
    if fstab_change and diff:
        result["diff"] = dict(
            before=fstab_text or "", after=the_plan.new_fstab, before_header=fstab_path, after_header=fstab_path
        )
    warnings = []
    if the_plan.mount and helper.mount_efs is None:
        if not check_mode:
            raise JudgeError("amazon-efs-utils is not installed: no mount.efs found", result)
        warnings.append("amazon-efs-utils is not installed: no mount.efs found; the mount would fail")
    return Judged(result, spec, the_plan, helper, options, fstab_path, fstab_text, warnings)


def judge_ahead(module, params, paths=DEFAULT_PATHS, reading=None):
    """The result efs_tls_mount would return in check mode for `params` (a dict of its options, not yet
    validated), as a loop item's result: failed with msg when it would fail."""
    validated = ArgumentSpecValidator(ARGUMENT_SPEC).validate(params)
    if validated.error_messages:
        return {"changed": False, "failed": True, "msg": "; ".join(validated.error_messages)}
    try:
        judged = judge(module, validated.validated_parameters, paths, check_mode=True, reading=reading)
    except JudgeError as e:
        return dict(e.result, changed=False, failed=True, msg=e.msg)
    except OSError as e:
        return {"changed": False, "failed": True, "msg": "cannot judge the mount: %s" % e}
    result = dict(judged.result)
    if judged.warnings:
        result["warnings"] = list(judged.warnings)
    return result

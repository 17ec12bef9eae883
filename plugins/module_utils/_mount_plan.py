# -*- coding: utf-8 -*-
# Copyright: contributors to aws_efs.transit
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""efs_tls_mount's decisions, as pure functions: a named mount spec from the validated
parameters, the options for the installed helper, ONE assess() of a host against the spec
(used before acting, to plan, and after acting, to report), and the plan itself.
"""

from __future__ import annotations

import re
from collections import namedtuple

from ansible_collections.aws_efs.transit.plugins.module_utils import _fstab
from ansible_collections.aws_efs.transit.plugins.module_utils import _helper
from ansible_collections.aws_efs.transit.plugins.module_utils import _mount_audit
from ansible_collections.aws_efs.transit.plugins.module_utils import _mount_options as mo
from ansible_collections.aws_efs.transit.plugins.module_utils import _proof

MountSpec = namedtuple(
    "MountSpec",
    "fs_id path subpath iam access_point aws_profile region mount_target_ip az extra relay boot nofail",
)

Plan = namedtuple("Plan", "new_fstab unmount mount fail reasons actions")

STATES_WITH_OPTIONS = ("mounted", "present", "audited")


def _opt(validate, value):
    return validate(value) if value else None


def spec_from_params(params):
    """Module parameters -> MountSpec; raises OptionError for anything that must not reach fstab."""
    spec = MountSpec(
        fs_id=mo.validate_fs_id(params["file_system_id"]),
        path=mo.validate_path(params["path"]),
        subpath=mo.validate_subpath(params["subpath"]),
        iam=bool(params["iam"]),
        access_point=_opt(mo.validate_access_point, params["access_point"]),
        aws_profile=_opt(mo.validate_profile, params["efs_utils_aws_profile"]),
        region=_opt(mo.validate_region, params["region"]),
        mount_target_ip=_opt(mo.validate_ip, params["mount_target_ip"]),
        az=_opt(mo.validate_az, params["az"]),
        extra=tuple(mo.check_user_options(mo.parse_options(params["options"]))),
        relay=params["relay"],
        boot=bool(params["boot"]),
        nofail=bool(params["nofail"]),
    )
    if spec.aws_profile and not spec.iam:
        raise mo.OptionError("efs_utils_aws_profile needs iam=true (the helper refuses awsprofile without iam)")
    # Catch the helper's refusals now, before the version is known.
    build_options(spec, add_stunnel=False, version=None, fstab_flags=False)
    return spec


def build_options(spec, add_stunnel, version, fstab_flags=True):
    return mo.build_options(
        iam=spec.iam,
        access_point=spec.access_point,
        aws_profile=spec.aws_profile,
        region=spec.region,
        mount_target_ip=spec.mount_target_ip,
        az=spec.az,
        add_stunnel=add_stunnel,
        boot=spec.boot if fstab_flags else True,
        nofail=spec.nofail if fstab_flags else False,
        extra=spec.extra,
        version=version,
    )


def relay_for(spec, version, efs_proxy, ocsp_config):
    """The helper's relay rule for this spec; OptionError when it cannot work or cannot be told."""
    ocsp = _helper.ocsp_on([k for k, _v in spec.extra], ocsp_config)
    choice = _helper.choose_relay(spec.relay, version, efs_proxy, ocsp)
    if choice.problem:
        raise mo.OptionError(choice.problem)
    if not choice.known:
        raise mo.OptionError(
            'cannot tell the amazon-efs-utils version (needed to decide on the "stunnel" option): '
            "install the helper or set helper_version"
        )
    return choice


def options_for(spec, version, efs_proxy, ocsp_config):
    """(fstab options, RelayChoice) for the installed helper."""
    choice = relay_for(spec, version, efs_proxy, ocsp_config)
    return build_options(spec, choice.add_stunnel_option, version), choice


BOOT_ORDER = "x-systemd.requires-mounts-for"
_PLAIN_PATH_RE = re.compile(r"^/[A-Za-z0-9_./@+:-]*$")


def with_boot_order(spec, options, fstab_text):
    """The options plus, for a second boot-time mount of the same file system, an order after the first.

    Started together at boot, two TLS mounts of one file system race: the kernel shares one NFS client
    between them, and when the later mount's relay wins, /proc/mounts names the other relay's port for
    both. The watchdog (upstream's too) then stops the relay that carries both mounts, and every I/O
    hangs. Mounted one after the other, the relay /proc/mounts names is the one in use.
    """
    if not spec.boot or any(k == BOOT_ORDER for k, _v in options):
        return options
    first = _fstab.earlier_mount_of(fstab_text or "", spec.fs_id, spec.path)
    if first is None or not _PLAIN_PATH_RE.match(first):
        return options
    return list(options) + [(BOOT_ORDER, first)]


# ---------------------------------------------------------------- assess


def live_reasons(spec, proof):
    """Why the live mount at the path is not a proven TLS mount of the spec (empty when it is)."""
    if not proof["mounted"]:
        return ["%s is not mounted" % spec.path]
    return _proof.failed_checks(proof) + _proof.drift(proof, spec.fs_id, spec.subpath, spec.access_point, spec.iam)


def wanted_fstab(state, spec, options_text, fstab_text):
    """The fstab text the state asks for."""
    if state in ("mounted", "present") and options_text:
        return _fstab.set_line(fstab_text, spec.path, spec.fs_id, spec.subpath, options_text)
    if state == "absent":
        return _fstab.remove_lines(fstab_text, spec.path, spec.fs_id)
    return fstab_text


def assess(state, spec, options_text, fstab_text, proof, option_error=None):
    """The one rule for "this mount is as asked": the reasons it is not (empty = compliant).

    mounted/audited: a proven TLS mount with the requested settings and fstab line; present: the
    fstab line; unmounted: nothing mounted; absent: nothing mounted and no line for it.
    """
    fstab_text = fstab_text or ""
    reasons = []
    if state in STATES_WITH_OPTIONS:
        if option_error:
            reasons.append("fstab: cannot tell the expected line: %s" % option_error)
        elif _fstab.set_line(fstab_text, spec.path, spec.fs_id, spec.subpath, options_text) != fstab_text:
            current = _fstab.lines_for(fstab_text, spec.path)
            if current:
                reasons.append(
                    "fstab: line for %s differs: %s" % (spec.path, " | ".join(x.rstrip("\n") for x in current))
                )
            else:
                reasons.append("fstab: no line for %s" % spec.path)
    if state == "absent" and _fstab.remove_lines(fstab_text, spec.path, spec.fs_id) != fstab_text:
        reasons.append("fstab still has a line for %s" % spec.path)
    if state in ("mounted", "audited"):
        reasons.extend(live_reasons(spec, proof))
    elif state in ("unmounted", "absent") and proof["mounted"]:
        reasons.append("%s is mounted" % spec.path)
    return reasons


# ---------------------------------------------------------------- plan


def _not_efs(spec, proof):
    return "%s holds a %s mount, not EFS; it is never unmounted by this module" % (spec.path, proof["fstype"])


def mounted_fs_id(proof):
    """The file system the judged mount serves, as the helper's state file or the mount source name it;
    None when nothing tells (a loopback port without a state file, an address)."""
    fs_id = (proof.get("mounted_settings") or {}).get("file_system_id")
    if not fs_id and proof.get("state_file"):
        fs_id = _proof.state_file_fs_id(proof["state_file"], None)
    if not fs_id:
        host, _export = _mount_audit.split_source(proof.get("source") or "")
        src = _mount_audit.classify_source(host)
        fs_id = src["fs_id"] if src["kind"] == "efs" else None
    return fs_id


def _here(proof):
    return set(_proof.normalize_mount_point(p) for p in (proof["path"], proof.get("real_path")) if p)


def mounts_below(proof, mounts):
    """Mount points mounted inside the judged mount (umount fails on them; `umount -l` detaches them too)."""
    here = _here(proof)
    return [
        m["mount_point"]
        for m in mounts
        if m["parent_id"] == proof.get("mount_id") and _proof.normalize_mount_point(m["mount_point"]) not in here
    ]


def riders(proof, mounts):
    """Other mount points whose NFS traffic rides on this path's own relay (NFSv4.1 client sharing: the
    kernel reuses this mount's client, so their mount options show this relay's port)."""
    port = proof.get("port")
    own = proof.get("own_state_file")
    if port is None or not own or own != proof.get("state_file"):
        return []
    here = _here(proof)
    out = []
    for entry in _mount_audit.live_nfs_mounts(mounts):
        if _proof.normalize_mount_point(entry["mount_point"]) in here:
            continue
        host, _export = _mount_audit.split_source(entry["source"])
        opts = _proof.options_dict(entry["super_options"])
        if opts.get("port") == str(port) and _mount_audit.classify_source(host)["kind"] == "loopback":
            out.append(entry["mount_point"])
    return out


def unmount_refusal(state, spec, proof, mounts):
    """Why state=unmounted/absent must not unmount the NFS mount at the path (None when it may).

    Only a mount of this file system is unmounted, never one that others ride on or that has mounts
    inside it.
    """
    fs_id = mounted_fs_id(proof)
    nothing = "nothing was changed"
    if fs_id is None:
        return (
            "%s holds an NFS mount (%s, port %s) that names no file system (no EFS name in its source, no efs-utils "
            "state file for its port); it is not unmounted by state=%s for %s: %s"
            % (spec.path, proof.get("source"), proof.get("port"), state, spec.fs_id, nothing)
        )
    if fs_id != spec.fs_id:
        return "%s holds a mount of %s, not %s; it is never unmounted by state=%s for %s: %s" % (
            spec.path,
            fs_id,
            spec.fs_id,
            state,
            spec.fs_id,
            nothing,
        )
    below = mounts_below(proof, mounts)
    if below:
        return "%s carries other mounts inside it (%s); unmount those first: %s" % (
            spec.path,
            ", ".join(below),
            nothing,
        )
    riding = riders(proof, mounts)
    if riding:
        return (
            "%s carries the NFS traffic of %s: they share its NFSv4.1 client and ride on its relay (port %s, "
            "state file %s), which amazon-efs-mount-watchdog stops after its grace period once %s is unmounted, "
            "and they would hang. Unmount or remove %s first: %s"
            % (
                spec.path,
                ", ".join(riding),
                proof["port"],
                proof["state_file"],
                spec.path,
                " and ".join(riding),
                nothing,
            )
        )
    return None


def plan(state, spec, options_text, fstab_text, proof, remediate, option_error=None, mounts=()):
    """What to do (pure): Plan(new_fstab, unmount, mount, fail, reasons, actions).

    `mounts` (the parsed mount table the proof was made from) tells what else depends on the mount.
    """
    fstab_text = fstab_text or ""
    reasons = assess(state, spec, options_text, fstab_text, proof, option_error)
    new_fstab = wanted_fstab(state, spec, options_text, fstab_text)
    mounted = proof["mounted"]
    is_nfs = proof["fstype"] in _proof.NFS_TYPES
    unmount = mount = False
    fail = None
    if state == "mounted":
        live = live_reasons(spec, proof) if mounted else []
        if mounted and live and not is_nfs:
            fail = _not_efs(spec, proof)
        elif mounted and live and not remediate:
            fail = (
                "%s holds a mount that is not a proven TLS mount of %s (%s); nothing was changed. "
                "Set remediate=true to unmount it and mount over TLS." % (spec.path, spec.fs_id, "; ".join(live))
            )
        else:
            unmount = bool(mounted and live)
            mount = not mounted or unmount
    elif state in ("unmounted", "absent") and mounted:
        fail = unmount_refusal(state, spec, proof, mounts) if is_nfs else _not_efs(spec, proof)
        unmount = not fail
    if fail:
        return Plan(fstab_text, False, False, fail, reasons, [])
    actions = []
    if new_fstab != fstab_text:
        actions.append("remove fstab line" if state == "absent" else "write fstab line")
    if unmount:
        actions.append("unmount %s%s" % (spec.path, " (not a proven TLS mount)" if state == "mounted" else ""))
    if mount:
        actions.append("mount %s at %s over TLS" % (_fstab.source_spec(spec.fs_id, spec.subpath), spec.path))
    return Plan(new_fstab, unmount, mount, None, reasons, actions)


def finish_proof(proof, fstab_text, path, reasons):
    """The proof record as returned: the fstab line now, and the verdict of assess()."""
    proof["fstab_line"] = _fstab.current_line(fstab_text or "", path)
    proof["reasons"] = list(reasons)
    proof["compliant"] = not reasons
    return proof

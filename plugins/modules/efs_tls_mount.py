#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to aws_efs.transit
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: efs_tls_mount
short_description: Mount Amazon EFS over TLS, own its fstab line and prove TLS on the live mount
version_added: 0.1.0
description:
  - Mounts an Amazon EFS file system through the EFS mount helper (C(amazon-efs-utils)) with the C(tls) option,
    keeps one C(efs) line per mount point in fstab, and proves that the live mount goes through a verified TLS relay.
  - From amazon-efs-utils 2.0 on every mount, with or without TLS, shows C(127.0.0.1) as its source, so that alone
    proves nothing. The proof joins the kernel's mount table (C(/proc/self/mountinfo)), the helper's state file under
    C(/var/run/efs), the relay process (stunnel, or efs-proxy started with C(--tls)) and the tunnel config it reads
    (C(verify = 2), a C(CAfile), C(checkHost) naming the file system, C(connect) to port 2049).
  - The helper's C(Successfully mounted <name> at <path>) line in C(/var/log/amazon/efs/mount.log) is reported as
    supporting evidence only; it is written for plain NFS mounts too and outlives the mount.
  - The fstab line is written atomically (temporary file, fsync, rename, same owner, mode and SELinux context) under
    a lock file beside fstab (C(.fstab.efs.lock)), after re-reading fstab under that lock; every byte outside the
    managed line stays as it was. Options are compared as sets, so an equivalent hand-written line is left alone.
  - A failed mount returns the helper's message and the tail of the helper's log, and puts fstab back as it was.
  - The module runs on the client host and needs no AWS SDK.
author:
  - aws_efs.transit contributors (@aws-efs)
options:
  file_system_id:
    description: The EFS file system id, C(fs-) followed by 8 or 17 lowercase hex digits.
    type: str
    required: true
  path:
    description: Absolute mount point.
    type: str
    required: true
    aliases: [mount_point]
  subpath:
    description: Directory of the file system to mount (the part after C(fs-id:) in the source).
    type: str
    default: /
  state:
    description:
      - V(mounted) writes the fstab line and makes sure a proven TLS mount is live.
      - V(present) writes the fstab line only.
      - V(unmounted) unmounts the path and leaves fstab alone.
      - V(absent) unmounts the path and removes the fstab line(s) for this mount point that name this file system.
      - V(audited) changes nothing and returns the proof and a compliance flag; it never fails the task for
        non-compliance (the caller decides).
      - After an unmount the relay lingers until C(amazon-efs-mount-watchdog) stops it (about 30 seconds); the module
        never kills a relay.
    type: str
    choices: [mounted, present, unmounted, absent, audited]
    default: mounted
  iam:
    description: Add the helper's C(iam) option (IAM authorization; needs TLS, which is always on).
    type: bool
    default: false
  access_point:
    description: EFS access point id (C(fsap-) followed by 17 lowercase hex digits), the helper's C(accesspoint) option.
    type: str
  aws_profile:
    description: Named AWS profile for IAM authorization (C(awsprofile)); requires O(iam=true).
    type: str
  region:
    description:
      - Region of the file system (the helper's C(region) option, amazon-efs-utils 2.1 or later).
      - Also checked against the C(checkHost) of the tunnel config when given.
    type: str
  mount_target_ip:
    description: Mount target IP address (the helper's C(mounttargetip) option).
    type: str
  az:
    description: Availability zone name of the mount target to use (the helper's C(az) option).
    type: str
  relay:
    description:
      - Which TLS relay the helper should use.
      - V(stunnel) adds the helper's C(stunnel) option on amazon-efs-utils 2.0 and later (1.x always uses stunnel and
        would pass the option on to mount.nfs4, which fails).
      - V(efs-proxy) needs amazon-efs-utils 2.0 or later with the C(efs-proxy) binary installed.
      - V(auto) leaves the choice to the helper when C(efs-proxy) is installed, and adds the C(stunnel) option on a
        2.0+ helper without C(efs-proxy) (such a helper has no fallback and would fail).
    type: str
    choices: [auto, stunnel, efs-proxy]
    default: auto
  options:
    description:
      - Extra mount options, as a list or a comma-separated string, added after the managed ones.
      - Options that have their own parameter (C(iam), C(accesspoint), C(noauto), ...) are refused here, as is
        anything that turns TLS off or weakens it (C(notls), C(verify) other than 2, C(noocsp), C(port), C(capath)).
      - Whitespace, C(#), quotes, backslashes and empty items are refused.
    type: list
    elements: str
    default: []
  boot:
    description: Mount at boot. V(false) adds C(noauto) to the fstab line.
    type: bool
    default: true
  nofail:
    description: Add C(nofail), so boot goes on when the file system is unreachable.
    type: bool
    default: false
  fstab:
    description: The fstab file to manage.
    type: str
    default: /etc/fstab
  backup:
    description: Keep a timestamped copy of fstab before changing it.
    type: bool
    default: false
  remediate:
    description:
      - When the path holds an NFS mount that is not a proven TLS mount of this file system (plain NFS, a dead or
        unverified relay, another file system, another access point), unmount it and mount over TLS.
      - When V(false) such a mount makes the task fail with the proof, without touching anything.
      - Mounts of other types (a local disk, for example) are never unmounted.
    type: bool
    default: false
  mount_timeout:
    description:
      - Seconds to wait for the helper before stopping it; V(0) waits forever.
      - A failing TLS mount can take minutes because the helper retries mount.nfs.
    type: int
    default: 300
  lazy_unmount:
    description: Unmount with C(umount -l) when unmounting (states V(unmounted) and V(absent)).
    type: bool
    default: false
  helper_version:
    description:
      - Version of the installed amazon-efs-utils (for example V(1.36.0) or V(3.2.0)).
      - By default it is read from the installed helper's files, then from dpkg's status file, and only then from
        C(mount.efs --version).
      - It decides which version-specific options (C(stunnel), C(region), ...) may be written.
    type: str
notes:
  - Check mode predicts the changes and actions without writing fstab or mounting.
  - Diff mode shows the fstab change.
  - The lock file C(.<fstab name>.efs.lock) is created beside fstab and left there.
  - A plain-NFS mount that rides on an existing NFSv4.1 client of the same server shows that client's port;
    the proof follows the port to the relay that carries the traffic and reports it as O(path) being on a shared client.
requirements:
  - amazon-efs-utils (the EFS mount helper) on the managed host for V(mounted).
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: posix
seealso:
  - name: Encryption of data in transit (Amazon EFS)
    description: Mounting with the EFS mount helper and TLS.
    link: https://docs.aws.amazon.com/efs/latest/ug/encryption-in-transit.html
"""

EXAMPLES = r"""
- name: Mount over TLS, at boot too, and prove it
  aws_efs.transit.efs_tls_mount:
    file_system_id: fs-12345678
    path: /mnt/efs
    region: us-east-1
    state: mounted

- name: An access point with IAM authorization through a named profile
  aws_efs.transit.efs_tls_mount:
    file_system_id: fs-0123456789abcdef0
    path: /srv/app/data
    access_point: fsap-0123456789abcdef0
    iam: true
    aws_profile: efs-app
    options: [noac]

- name: Move a plain NFS mount of the path onto TLS
  aws_efs.transit.efs_tls_mount:
    file_system_id: fs-12345678
    path: /mnt/efs
    remediate: true

- name: Audit without changing anything
  aws_efs.transit.efs_tls_mount:
    file_system_id: fs-12345678
    path: /mnt/efs
    state: audited
  register: efs_audit

- name: Fail the audit when the mount is not a proven TLS mount
  ansible.builtin.assert:
    that: efs_audit.proof.compliant
    fail_msg: "{{ efs_audit.proof.reasons }}"

- name: Unmount and remove the fstab line
  aws_efs.transit.efs_tls_mount:
    file_system_id: fs-12345678
    path: /mnt/efs
    state: absent
"""

RETURN = r"""
proof:
  description: What was checked on the live mount and what it showed.
  returned: always
  type: dict
  contains:
    file_system_id:
      description: The file system the proof is about.
      type: str
      sample: fs-12345678
    path:
      description: The mount point.
      type: str
      sample: /mnt/efs
    mounted:
      description: Whether the path is a mount point.
      type: bool
    fstype:
      description: File system type of the mount the path reaches (the top of the stack in the mount tree).
      type: str
      sample: nfs4
    mount_id:
      description: Mount id (mountinfo) of that mount.
      type: str
      sample: "60"
    device:
      description: Its device as major:minor; C(stat) of the path must give the same.
      type: str
      sample: "0:70"
    responding:
      description:
        - Whether the mount answered C(statvfs) and a directory read within the probe's timeout (10 s), asked
          in a child process that is killed otherwise. Null when the mount was not probed.
      type: bool
    source:
      description: Mount source from mountinfo.
      type: str
      sample: "127.0.0.1:/"
    tls:
      description: True only when every TLS check passed.
      type: bool
    relay:
      description: The relay carrying the traffic, C(stunnel) or C(efs-proxy), or null.
      type: str
      sample: stunnel
    relay_pid:
      description: Process id of that relay according to its state file.
      type: int
      sample: 435
    relay_cmd:
      description: The relay command line recorded in the state file.
      type: list
      elements: str
    port:
      description: Local port the kernel's NFS client talks to.
      type: int
      sample: 20529
    ca_file:
      description: CAfile of the tunnel config.
      type: str
      sample: /etc/amazon/efs/efs-utils.crt
    check_host:
      description: checkHost of the tunnel config.
      type: str
      sample: fs-12345678.efs.us-east-1.amazonaws.com
    connect:
      description: Where the relay connects (name or address, port 2049).
      type: str
      sample: fs-12345678.efs.us-east-1.amazonaws.com:2049
    nfs_options:
      description: The NFS super options of the mount.
      type: list
      elements: str
    fstab_line:
      description: The fstab line for the path after the task, or null.
      type: str
      sample: fs-12345678:/ /mnt/efs efs _netdev,tls 0 0
    state_file:
      description: The helper state file of the relay on O(path)'s port.
      type: str
      sample: fs-12345678.mnt.efs.20529
    own_state_file:
      description: The state file that names O(path) (differs from RV(proof.state_file) on a shared NFS client).
      type: str
    shared_nfs_client:
      description: The mount rides on the NFSv4.1 client (and relay) of another mount point.
      type: bool
    mounted_settings:
      description: File system, export path, access point and IAM use of the live mount, as far as they are known.
      type: dict
    evidence:
      description: Each check with its outcome.
      type: list
      elements: dict
      contains:
        check:
          description: Name of the check.
          type: str
          sample: verify
        ok:
          description: Whether it passed.
          type: bool
        detail:
          description: What was seen.
          type: str
          sample: verify = 2 (2 checks the server certificate)
    supporting_evidence:
      description:
        - The last C(Successfully mounted <name> at <path>) line of the helper's log (rotated files included),
          with its file and DNS name. Never proof on its own.
      type: dict
    compliant:
      description: For V(mounted) and V(audited), a proven TLS mount with the requested settings and fstab line;
        for V(present) the fstab line; for V(unmounted) and V(absent) nothing mounted (and no line for V(absent)).
      type: bool
    reasons:
      description: Why the result is not compliant.
      type: list
      elements: str
fstab_changed:
  description: Whether fstab was (or would be) changed.
  returned: always
  type: bool
mount_changed:
  description: Whether something was (or would be) mounted or unmounted.
  returned: always
  type: bool
actions:
  description: What the module did, or would do in check mode.
  returned: always
  type: list
  elements: str
  sample: ["write fstab line", "mount fs-12345678:/ at /mnt/efs over TLS"]
backup_file:
  description: The fstab backup, when one was made.
  returned: when backup is true and fstab changed
  type: str
helper_version:
  description: The amazon-efs-utils version the options were built for, when it was needed.
  returned: when known
  type: str
  sample: 3.2.0
expected_relay:
  description: The relay the helper will use for a new mount with these options.
  returned: when the options were built
  type: str
  sample: stunnel
lingering_relay:
  description:
    - The relay that served the path before it was unmounted. It keeps running until
      C(amazon-efs-mount-watchdog) stops it, about 30 seconds later; the module never kills it.
  returned: after an unmount
  type: dict
  sample: {"pid": 435, "state_file": "fs-12345678.mnt.efs.20529", "relay": "stunnel"}
mount_log_tail:
  description: The last lines of the helper's log after a failed mount.
  returned: on mount failure
  type: list
  elements: str
"""

import os
import posixpath
import re

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.aws_efs.transit.plugins.module_utils import _fstab as fstab_utils
from ansible_collections.aws_efs.transit.plugins.module_utils import _mount_options as mo
from ansible_collections.aws_efs.transit.plugins.module_utils import _proof

# Module-level so unit tests can point them at fixtures.
PROC_ROOT = _proof.PROC_ROOT
STATE_DIR = _proof.STATE_DIR
LOG_DIR = _proof.LOG_DIR
FS_ROOT = "/"
DPKG_STATUS = "/var/lib/dpkg/status"
BIN_DIRS = ["/sbin", "/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"]
MAX_UNMOUNTS = 8

_VERSION_RE = re.compile(r"""^VERSION\s*=\s*['"]([^'"]+)['"]""", re.M)


def validate(params):
    """Parameters -> desired settings; raises OptionError for anything that must not reach fstab."""
    d = {
        "fs_id": mo.validate_fs_id(params["file_system_id"]),
        "path": mo.validate_path(params["path"]),
        "subpath": mo.validate_subpath(params["subpath"]),
        "iam": bool(params["iam"]),
        "access_point": mo.validate_access_point(params["access_point"]) if params["access_point"] else None,
        "aws_profile": mo.validate_profile(params["aws_profile"]) if params["aws_profile"] else None,
        "region": mo.validate_region(params["region"]) if params["region"] else None,
        "mount_target_ip": mo.validate_ip(params["mount_target_ip"]) if params["mount_target_ip"] else None,
        "az": mo.validate_az(params["az"]) if params["az"] else None,
        "extra": mo.check_user_options(mo.parse_options(params["options"])),
    }
    if d["aws_profile"] and not d["iam"]:
        raise mo.OptionError("aws_profile needs iam=true (the helper refuses awsprofile without iam)")
    # Catch the helper's refusals now, before the version is known.
    build(d, add_stunnel=False, boot=True, nofail=False, version=None)
    return d


def build(d, add_stunnel, boot, nofail, version):
    return mo.build_options(
        iam=d["iam"],
        access_point=d["access_point"],
        aws_profile=d["aws_profile"],
        region=d["region"],
        mount_target_ip=d["mount_target_ip"],
        az=d["az"],
        add_stunnel=add_stunnel,
        boot=boot,
        nofail=nofail,
        extra=d["extra"],
        version=version,
    )


def version_from_files(mount_efs):
    """The helper's VERSION constant, read from its files (no process started)."""
    if not mount_efs:
        return None
    base = posixpath.dirname(os.path.realpath(mount_efs))
    for candidate in (mount_efs, posixpath.join(base, "efs_utils_common", "constants.py")):
        try:
            with open(candidate, "rb") as f:
                m = _VERSION_RE.search(f.read(262144).decode("utf-8", "replace"))
        except OSError:
            continue
        if m:
            return m.group(1)
    return None


def version_from_dpkg(status_file, package="amazon-efs-utils"):
    """Installed version of `package` from dpkg's status file (a read, no process)."""
    try:
        with open(status_file, "rb") as f:
            text = f.read().decode("utf-8", "replace")
    except OSError:
        return None
    for stanza in text.split("\n\n"):
        if re.search(r"^Package:\s*%s\s*$" % re.escape(package), stanza, re.M) and re.search(
            r"^Status:.*\binstalled\s*$", stanza, re.M
        ):
            m = re.search(r"^Version:\s*(\S+)", stanza, re.M)
            if m:
                # Debian epochs and revisions: 1:3.2.0-1 -> 3.2.0-1 (parse_version stops at the first non-digit).
                return m.group(1).split(":", 1)[-1]
    return None


class Helper(object):
    """What is installed: mount.efs, efs-proxy and the helper version (asked for lazily)."""

    def __init__(self, module):
        self.module = module
        self.mount_efs = module.get_bin_path("mount.efs", opt_dirs=BIN_DIRS)
        self.efs_proxy = module.get_bin_path("efs-proxy", opt_dirs=BIN_DIRS)
        self._version_text = (
            module.params["helper_version"]
            or version_from_files(self.mount_efs)
            or (version_from_dpkg(DPKG_STATUS) if self.mount_efs else None)
        )
        self._asked = False

    def version_text(self, ask=False):
        if self._version_text is None and ask and not self._asked and self.mount_efs:
            self._asked = True
            rc, out, _err = self.module.run_command([self.mount_efs, "--version"])
            m = re.search(r"Version:\s*(\S+)", out or "")
            if rc == 0 and m:
                self._version_text = m.group(1)
        return self._version_text

    def version(self, ask=False):
        return mo.parse_version(self.version_text(ask))


def desired_options(d, params, helper):
    """(fstab options, expected relay); asks the helper for its version only when the answer depends on it."""
    efs_proxy = helper.efs_proxy is not None
    try:
        add_stunnel, relay = mo.choose_relay(params["relay"], helper.version(), efs_proxy)
    except mo.OptionError:
        if helper.version() is not None:
            raise
        if helper.mount_efs is None:
            raise mo.OptionError(
                "amazon-efs-utils is not installed (no mount.efs in %s), so the options it needs are unknown; "
                "install it first or set helper_version" % ", ".join(BIN_DIRS)
            ) from None
        add_stunnel, relay = mo.choose_relay(params["relay"], helper.version(ask=True), efs_proxy)
    opts = build(d, add_stunnel, params["boot"], params["nofail"], helper.version())
    return opts, relay


def plan(state, d, options_text, fstab_text, proof, remediate):
    """Pure: what to do, and whether the current state is compliant. Nothing is touched here."""
    path, fs_id = d["path"], d["fs_id"]
    result = {"new_fstab": fstab_text, "unmount": False, "mount": False, "fail": None, "reasons": [], "actions": []}
    reasons = result["reasons"]
    if state in ("mounted", "present", "audited"):
        result["new_fstab"] = fstab_utils.set_line(fstab_text, path, fs_id, d["subpath"], options_text)
        if result["new_fstab"] != fstab_text:
            current = fstab_utils.lines_for(fstab_text, path)
            reasons.append(
                "fstab: %s"
                % (
                    "no line for %s" % path
                    if not current
                    else "line for %s differs: %s" % (path, " | ".join(x.rstrip("\n") for x in current))
                )
            )
    elif state == "absent":
        result["new_fstab"] = fstab_utils.remove_lines(fstab_text, path, fs_id)
        if result["new_fstab"] != fstab_text:
            reasons.append("fstab still has a line for %s" % path)
    if state == "audited":
        result["new_fstab"] = fstab_text

    mounted = proof["mounted"]
    is_nfs = proof["fstype"] in _proof.NFS_TYPES
    if state in ("mounted", "audited"):
        live_reasons = []
        if not mounted:
            live_reasons.append("%s is not mounted" % path)
        else:
            live_reasons.extend(_proof.failed_checks(proof))
            live_reasons.extend(_proof.drift(proof, fs_id, d["subpath"], d["access_point"], d["iam"]))
        reasons.extend(live_reasons)
        if state == "mounted" and mounted and live_reasons:
            if not is_nfs:
                result["fail"] = "%s holds a %s mount, not EFS; it is never unmounted by this module" % (
                    path,
                    proof["fstype"],
                )
            elif not remediate:
                result["fail"] = (
                    "%s holds a mount that is not a proven TLS mount of %s (%s); nothing was changed. "
                    "Set remediate=true to unmount it and mount over TLS." % (path, fs_id, "; ".join(live_reasons))
                )
            else:
                result["unmount"] = True
                result["mount"] = True
        elif state == "mounted" and not mounted:
            result["mount"] = True
    elif state in ("unmounted", "absent") and mounted:
        if not is_nfs:
            result["fail"] = "%s holds a %s mount, not EFS; it is never unmounted by this module" % (
                path,
                proof["fstype"],
            )
        else:
            result["unmount"] = True
            reasons.append("%s is mounted" % path)

    if result["fail"]:
        result["new_fstab"] = fstab_text
        result["unmount"] = result["mount"] = False
        return result
    if result["new_fstab"] != fstab_text:
        result["actions"].append("remove fstab line" if state == "absent" else "write fstab line")
    if result["unmount"]:
        result["actions"].append("unmount %s%s" % (path, " (not a proven TLS mount)" if state == "mounted" else ""))
    if result["mount"]:
        result["actions"].append("mount %s at %s over TLS" % (fstab_utils.source_spec(fs_id, d["subpath"]), path))
    return result


def ensure_mount_point(path):
    """Create the mount point directory if missing; True when created."""
    if os.path.isdir(path):
        return False
    if os.path.lexists(path):
        raise OSError("%s exists and is not a directory" % path)
    os.makedirs(path, 0o755)
    return True


def log_tail(log_dir, lines=20):
    try:
        with open(posixpath.join(log_dir, "mount.log"), "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - 65536))
            return f.read().decode("utf-8", "replace").splitlines()[-lines:]
    except OSError:
        return []


class Runner(object):
    def __init__(self, module):
        self.module = module

    def _timeout_prefix(self):
        seconds = self.module.params["mount_timeout"]
        timeout = self.module.get_bin_path("timeout") if seconds else None
        return [timeout, "--kill-after=10", str(seconds)] if timeout else []

    def mount(self, helper, d, mount_opts):
        if not helper.mount_efs:
            return 127, "", "amazon-efs-utils is not installed: no mount.efs in %s" % ", ".join(BIN_DIRS)
        mount = self.module.get_bin_path("mount", required=True)
        source = fstab_utils.source_spec(d["fs_id"], d["subpath"])
        cmd = self._timeout_prefix() + [mount, "-t", "efs", "-o", mo.render(mount_opts), source, d["path"]]
        return self.module.run_command(cmd, environ_update={"LC_ALL": "C"})

    def unmount(self, path, lazy):
        cmd = [self.module.get_bin_path("umount", required=True)] + (["-l"] if lazy else []) + [path]
        return self.module.run_command(cmd, environ_update={"LC_ALL": "C"})


def read_facts(d, region):
    mounts = _proof.read_mountinfo(PROC_ROOT)
    states = _proof.read_state_files(STATE_DIR)
    return _proof.prove(
        d["fs_id"],
        d["path"],
        mounts,
        states,
        proc_root=PROC_ROOT,
        state_dir=STATE_DIR,
        log_dir=LOG_DIR,
        region=region,
        fs_root=FS_ROOT,
    )


def finish_proof(proof, state, fstab_text, path, reasons):
    proof["fstab_line"] = fstab_utils.current_line(fstab_text or "", path)
    proof["reasons"] = list(reasons)
    proof["compliant"] = not reasons
    return proof


def main():
    module = AnsibleModule(
        argument_spec=dict(
            file_system_id=dict(type="str", required=True),
            path=dict(type="str", required=True, aliases=["mount_point"]),
            subpath=dict(type="str", default="/"),
            state=dict(type="str", default="mounted", choices=["mounted", "present", "unmounted", "absent", "audited"]),
            iam=dict(type="bool", default=False),
            access_point=dict(type="str"),
            aws_profile=dict(type="str"),
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
        ),
        supports_check_mode=True,
    )
    p = module.params
    state = p["state"]
    try:
        d = validate(p)
        fstab_path = mo.validate_path(p["fstab"], name="fstab")
    except mo.OptionError as e:
        module.fail_json(msg=str(e))
    if p["mount_timeout"] < 0:
        module.fail_json(msg="mount_timeout must be 0 (no limit) or more")

    result = {"changed": False, "fstab_changed": False, "mount_changed": False, "actions": []}
    helper = None
    options = None
    option_error = None
    if state in ("mounted", "present", "audited"):
        helper = Helper(module)
        try:
            options, relay = desired_options(d, p, helper)
        except mo.OptionError as e:
            if state != "audited":
                module.fail_json(msg=str(e), **result)
            # An audit reports what it cannot judge instead of failing.
            options, relay = None, None
            option_error = str(e)
        result["expected_relay"] = relay
        if helper.version_text():
            result["helper_version"] = helper.version_text()

    fstab_text = fstab_utils.read_text(fstab_path)
    if state == "present":
        proof = _proof.empty_proof(d["fs_id"], d["path"])
    else:
        try:
            proof = read_facts(d, d["region"])
        except OSError as e:
            module.fail_json(msg="cannot read the mount table (%s): this module needs Linux /proc" % e, **result)
    options_text = mo.render(options) if options else ""
    the_plan = plan(state, d, options_text, fstab_text or "", proof, p["remediate"])
    if option_error:
        the_plan["reasons"] = [r for r in the_plan["reasons"] if not r.startswith("fstab:")]
        the_plan["reasons"].insert(0, "fstab: cannot tell the expected line: %s" % option_error)

    if the_plan["fail"]:
        finish_proof(proof, state, fstab_text, d["path"], the_plan["reasons"])
        module.fail_json(msg=the_plan["fail"], proof=proof, **result)

    result["actions"] = list(the_plan["actions"])
    fstab_change = the_plan["new_fstab"] != (fstab_text or "")
    result["fstab_changed"] = fstab_change
    result["mount_changed"] = the_plan["mount"] or the_plan["unmount"]
    result["changed"] = fstab_change or result["mount_changed"]
    if fstab_change and module._diff:
        result["diff"] = {
            "before": fstab_text or "",
            "after": the_plan["new_fstab"],
            "before_header": fstab_path,
            "after_header": fstab_path,
        }
    if state == "mounted" and the_plan["mount"] and helper.mount_efs is None:
        if module.check_mode:
            module.warn("amazon-efs-utils is not installed: no mount.efs found; the mount would fail")
        else:
            finish_proof(proof, state, fstab_text, d["path"], the_plan["reasons"])
            module.fail_json(
                msg="amazon-efs-utils is not installed: no mount.efs in %s" % ", ".join(BIN_DIRS), proof=proof, **result
            )

    if module.check_mode or not result["changed"]:
        # The proof describes the host as it is; `actions` says what a real run would do.
        finish_proof(proof, state, fstab_text, d["path"], the_plan["reasons"])
        result["proof"] = proof
        module.exit_json(**result)

    runner = Runner(module)
    written = None
    original_lines = fstab_utils.lines_for(fstab_text or "", d["path"])
    before_write = fstab_text
    if fstab_change:
        if state == "absent":

            def edit(text):
                return fstab_utils.remove_lines(text, d["path"], d["fs_id"])

        else:

            def edit(text):
                return fstab_utils.set_line(text, d["path"], d["fs_id"], d["subpath"], options_text)

        try:
            before_write, written, backup_file = fstab_utils.locked_update(
                fstab_path, edit, move=module.atomic_move, backup=module.backup_local if p["backup"] else None
            )
        except (OSError, TimeoutError) as e:
            module.fail_json(msg="could not update %s: %s" % (fstab_path, e), proof=proof, **result)
        if backup_file:
            result["backup_file"] = backup_file
        if "diff" in result:
            result["diff"]["before"] = before_write or ""
            result["diff"]["after"] = written
        original_lines = fstab_utils.lines_for(before_write or "", d["path"])

    def undo_fstab():
        if written is None or before_write is None:
            return None

        def back(text):
            return fstab_utils.restore(text, written, before_write, d["path"], original_lines)

        try:
            fstab_utils.locked_update(fstab_path, back, move=module.atomic_move)
            return "fstab restored"
        except (OSError, TimeoutError) as e:
            return "fstab could not be restored: %s" % e

    if the_plan["unmount"]:
        relay_pid = proof.get("relay_pid")
        for _i in range(MAX_UNMOUNTS):
            rc, out, err = runner.unmount(d["path"], p["lazy_unmount"])
            if rc != 0:
                note = undo_fstab() if state == "mounted" else None
                module.fail_json(
                    msg="umount %s failed: %s%s" % (d["path"], (err or out).strip(), "; %s" % note if note else ""),
                    rc=rc,
                    stdout=out,
                    stderr=err,
                    proof=proof,
                    **result,
                )
            still = _proof.mounts_at(_proof.read_mountinfo(PROC_ROOT), d["path"])
            if not still or still[-1]["fstype"] not in _proof.NFS_TYPES:
                break
        if relay_pid:
            result["lingering_relay"] = {
                "pid": relay_pid,
                "state_file": proof.get("state_file"),
                "relay": proof.get("relay"),
            }
            module.warn(
                "relay pid %s for %s is left to amazon-efs-mount-watchdog, which stops it about 30 s after the "
                "unmount (the module never kills a relay)" % (relay_pid, d["path"])
            )

    if the_plan["mount"]:
        try:
            if ensure_mount_point(d["path"]):
                result["actions"].insert(len(result["actions"]) - 1, "create directory %s" % d["path"])
        except OSError as e:
            note = undo_fstab()
            module.fail_json(
                msg="cannot use %s as a mount point: %s%s" % (d["path"], e, "; %s" % note if note else ""),
                proof=proof,
                **result,
            )
        rc, out, err = runner.mount(helper, d, mo.mount_command_options(options))
        after = _proof.mounts_at(_proof.read_mountinfo(PROC_ROOT), d["path"])
        if rc != 0 or not after:
            note = undo_fstab()
            if rc == 124:
                why = "the helper did not finish within mount_timeout=%s s" % p["mount_timeout"]
            elif rc != 0:
                why = "the helper failed (rc=%s): %s" % (rc, (err or out).strip())
            else:
                why = "the helper exited 0 but %s is not mounted: %s" % (
                    d["path"],
                    (out or err).strip() or "no message",
                )
            proof = read_facts(d, d["region"])
            finish_proof(proof, state, fstab_utils.read_text(fstab_path), d["path"], ["mount failed: %s" % why])
            module.fail_json(
                msg="mount failed: %s%s" % (why, "; %s" % note if note else ""),
                rc=rc,
                stdout=out,
                stderr=err,
                mount_log_tail=log_tail(LOG_DIR),
                proof=proof,
                **result,
            )

    final_text = fstab_utils.read_text(fstab_path)
    if state in ("mounted", "unmounted", "absent"):
        proof = read_facts(d, d["region"])
    reasons = []
    if state == "mounted":
        if not proof["tls"]:
            reasons.extend(_proof.failed_checks(proof) or ["%s is not mounted" % d["path"]])
        reasons.extend(_proof.drift(proof, d["fs_id"], d["subpath"], d["access_point"], d["iam"]))
        if fstab_utils.set_line(final_text or "", d["path"], d["fs_id"], d["subpath"], options_text) != (
            final_text or ""
        ):
            reasons.append("fstab: the line for %s changed under us" % d["path"])
    elif state in ("unmounted", "absent") and proof["mounted"]:
        reasons.append("%s is still mounted" % d["path"])
    finish_proof(proof, state, final_text, d["path"], reasons)
    result["proof"] = proof
    if state == "mounted" and not proof["tls"]:
        module.fail_json(
            msg="%s is mounted but TLS could not be proven: %s" % (d["path"], "; ".join(reasons)), **result
        )
    module.exit_json(**result)


if __name__ == "__main__":
    main()

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to aws_efs.transit
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

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
    A helper stopped by O(mount_timeout) leaves its relay, its C(~) state file, tunnel config and C(+) directory
    behind (the port stays reserved); the module stops and removes those of its own attempt (never another
    mount's relay). When the relay logged why it refused the mount target (with C(stunnel_debug_enabled)), the
    message says so (certificate not trusted, host name does not match) and quotes the log line.
  - The module runs on the client host and needs no AWS SDK.
author:
  - aws_efs.transit contributors (@aws-efs)
options:
  file_system_id:
    description: The EFS file system id, C(fs-) followed by 8 to 40 lowercase hex digits (as the EFS API accepts).
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
      - V(unmounted) and V(absent) unmount only a mount of O(file_system_id) (named by the helper's state file or
        by the mount source). They fail, changing nothing, when the path holds another file system or a mount that
        names none, when other mounts sit inside it, and when other mount points ride on its NFSv4.1 client and
        relay (their mount options show its port); once the path is unmounted the watchdog stops that relay after
        its grace period and they hang. Remove the riders first.
      - After an unmount the relay lingers until C(amazon-efs-mount-watchdog) stops it (about 30 seconds); the module
        reports it as RV(lingering_relay) with a warning and never kills the relay of a mount.
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
  efs_utils_aws_profile:
    description:
      - Named AWS profile efs-utils uses for IAM authorization (the helper's C(awsprofile)); requires O(iam=true).
      - Not the AWS profile of the Ansible controller (amazon.aws's C(profile), whose alias is C(aws_profile)).
      - The alias O(aws_profile) is deprecated and will be removed in 2.0.0.
    type: str
    aliases: [aws_profile]
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
    efs_utils_aws_profile: efs-app
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
  description: Whether fstab was (or would be) changed; after a failure whose rollback restored it, false.
  returned: always
  type: bool
mount_changed:
  description: Whether something was (or would be) mounted or unmounted; after a failure, whether an unmount stays
    done.
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
    - The relay of the path's own state file when it still runs after the unmount. It keeps running until
      C(amazon-efs-mount-watchdog) stops it, about 30 seconds later; the module never kills it.
    - On a shared NFS client this is the path's own relay, never the carrier's (which serves another mount).
  returned: after an unmount, while that relay runs
  type: dict
  sample: {"pid": 435, "state_file": "fs-12345678.mnt.efs.20529", "relay": "stunnel"}
relay_failure:
  description:
    - Why the relay of a failed mount refused the mount target, from the relay's own log (C(output) of its tunnel
      config, by default C(/var/log/amazon/efs/<fs-id>.<path>.<port>.stunnel.log) or C(.efs-proxy.log), written
      with C(stunnel_debug_enabled)).
  returned: on mount failure, when the relay logged a certificate or host name refusal
  type: dict
  contains:
    reason:
      description: The refusal in words.
      type: str
      sample: "certificate not trusted (CA bundle /etc/amazon/efs/efs-utils.crt): self-signed certificate"
    line:
      description: The log line it comes from.
      type: str
    file:
      description: The relay's log file.
      type: str
cleaned_leftovers:
  description: What the module stopped and removed that its own mount attempt left (a helper stopped by
    O(mount_timeout)).
  returned: on mount failure, when the attempt left something
  type: list
  elements: str
  sample: ["stopped stunnel pid 4242", "removed ~fs-12345678.mnt.efs.20777"]
mount_log_tail:
  description: The last lines of the helper's log after a failed mount.
  returned: on mount failure
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.aws_efs.transit.plugins.module_utils import _files
from ansible_collections.aws_efs.transit.plugins.module_utils import _helper
from ansible_collections.aws_efs.transit.plugins.module_utils import _mount_apply as apply
from ansible_collections.aws_efs.transit.plugins.module_utils import _mount_judge as judge
from ansible_collections.aws_efs.transit.plugins.module_utils import _mount_options as mo
from ansible_collections.aws_efs.transit.plugins.module_utils import _mount_plan as mp
from ansible_collections.aws_efs.transit.plugins.module_utils import _proof

# Module-level so unit tests can point them at fixtures.
PROC_ROOT = _proof.PROC_ROOT
STATE_DIR = _helper.STATE_DIR
LOG_DIR = _helper.LOG_DIR
FS_ROOT = "/"
DPKG_STATUS = _helper.DPKG_STATUS
CONFIG_FILE = _helper.CONFIG_FILE
OS_RELEASE = _helper.OS_RELEASE

ARGUMENT_SPEC = judge.ARGUMENT_SPEC


def paths():
    return judge.Paths(PROC_ROOT, STATE_DIR, LOG_DIR, FS_ROOT, DPKG_STATUS, CONFIG_FILE, OS_RELEASE)


def prove(spec):
    return judge.prove(spec, paths())


def _still_ours(module, spec):
    """After one umount (states unmounted/absent): may what the path shows now be unmounted too?"""
    proof = prove(spec)
    if mp.mounted_fs_id(proof) == spec.fs_id:
        return True
    module.warn(
        "%s still holds a mount of %s after %s was unmounted; it is left alone"
        % (spec.path, mp.mounted_fs_id(proof) or "an unknown file system", spec.fs_id)
    )
    return False


def _report_lingering(module, spec, result):
    lingering = apply.lingering_relay(result["proof"], STATE_DIR, PROC_ROOT)
    if lingering:
        result["lingering_relay"] = lingering
        module.warn(
            "%s pid %s (state file %s) still runs after %s was unmounted; amazon-efs-mount-watchdog stops it after "
            "its grace period (unmount_grace_period_sec, 30 s by default); the module never kills a relay"
            % (lingering["relay"], lingering["pid"], lingering["state_file"], spec.path)
        )


def act(module, state, spec, the_plan, helper, options, fstab_path, fstab_text, result):
    """Write fstab, unmount, mount; when a later step fails the fstab edit and the mount point directory
    are taken back, and `changed` says only what stays changed."""
    p = module.params
    edit = apply.FstabEdit(module, fstab_path, spec)
    created, unmounted = [], []

    def rollback():
        notes = [edit.undo()]
        for path in list(created):
            notes.append(apply.remove_mount_point(path))
            if notes[-1]:
                created.remove(path)
        return "; ".join(n for n in notes if n) or None

    try:
        if the_plan.new_fstab != (fstab_text or ""):
            backup_file = edit.write(state, mo.render(options) if options else "", p["backup"])
            if backup_file:
                result["backup_file"] = backup_file
            if "diff" in result:
                result["diff"].update(before=edit.before or "", after=edit.written)
        if the_plan.unmount:
            remount = state == "mounted"
            again = None if remount else (lambda: _still_ours(module, spec))
            apply.unmount(
                module, spec.path, p["lazy_unmount"], PROC_ROOT, undo=rollback if remount else None, again=again
            )
            unmounted.append(spec.path)
            _report_lingering(module, spec, result)
        if the_plan.mount:
            try:
                if apply.ensure_mount_point(spec.path):
                    created.append(spec.path)
                    result["actions"].insert(len(result["actions"]) - 1, "create directory %s" % spec.path)
            except OSError as e:
                raise apply.ApplyError(
                    apply.with_note("cannot use %s as a mount point: %s" % (spec.path, e), rollback())
                )
            mount_options = mo.mount_command_options(options)
            apply.mount(
                module,
                helper.mount_efs,
                spec,
                mount_options,
                p["mount_timeout"],
                PROC_ROOT,
                LOG_DIR,
                rollback,
                STATE_DIR,
            )
    except apply.ApplyError as e:
        result.update(fstab_changed=edit.changed, mount_changed=bool(unmounted))
        result["changed"] = edit.changed or bool(unmounted) or bool(created)
        if not result["changed"]:
            e.msg += "; nothing on the host was changed"
        raise


def act_and_report(module, state, spec, the_plan, helper, options, fstab, result):
    """Act, then prove again with the same assess(), and exit."""
    fstab_path, fstab_text = fstab
    failure = None
    try:
        act(module, state, spec, the_plan, helper, options, fstab_path, fstab_text, result)
    except apply.ApplyError as e:
        failure = e
        result.update((k, v) for k, v in e.extra.items() if k != "reason")
    final_text = _files.read_text(fstab_path)
    proof = prove(spec) if state != "present" else result["proof"]
    reasons = mp.assess(state, spec, mo.render(options) if options else "", final_text, proof)
    if failure is not None and "reason" in failure.extra:
        reasons = [failure.extra["reason"]]
    result["proof"] = mp.finish_proof(proof, final_text, spec.path, reasons)
    if failure is not None:
        module.fail_json(msg=failure.msg, **result)
    if state == "mounted" and not proof["tls"]:
        module.fail_json(
            msg="%s is mounted but TLS could not be proven: %s" % (spec.path, "; ".join(proof["reasons"])), **result
        )
    module.exit_json(**result)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    try:
        j = judge.judge(module, module.params, paths(), check_mode=module.check_mode, diff=module._diff)
    except judge.JudgeError as e:
        module.fail_json(msg=e.msg, **e.result)
    for warning in j.warnings:
        module.warn(warning)
    if module.check_mode or not j.result["changed"]:
        module.exit_json(**j.result)  # the proof describes the host as it is; `actions` what a run would do
    act_and_report(
        module, module.params["state"], j.spec, j.plan, j.helper, j.options, (j.fstab_path, j.fstab_text), j.result
    )


if __name__ == "__main__":
    main()

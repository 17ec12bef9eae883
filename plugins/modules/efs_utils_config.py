#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: aws_efs.transit contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: efs_utils_config
short_description: Set keys of efs-utils.conf in place, in one atomic write
version_added: 0.1.0
description:
  - Sets any number of keys in the amazon-efs-utils configuration file
    (C(/etc/amazon/efs/efs-utils.conf)) with one read and at most one write.
  - The file is a package conffile; it is never replaced. Only the values of the named keys
    change. Every other byte (comments, order, spacing, other keys) stays as it was. A missing
    key is added after its commented-out example when the section has one, else at the end of
    its section; a missing section is appended.
  - The write is atomic (temporary file, fsync, rename) under a lock file beside it
    (C(.efs-utils.conf.efs.lock)), after re-reading the file under that lock, and keeps the file's
    owner, mode and SELinux context. It is the same writer that edits fstab.
  - The file is read as the helper reads it (Python's configparser, C([DEFAULT]) included); an edit
    the helper would read differently (a continuation line, say) is refused.
author:
  - aws_efs.transit contributors (@aws-efs)
options:
  path:
    description: The configuration file.
    type: path
    default: /etc/amazon/efs/efs-utils.conf
  settings:
    description:
      - "Sections mapping key names to values, for example C({mount: {region: us-east-1}})."
      - Booleans are written as C(true)/C(false); a null value leaves that key alone.
      - Values with line breaks or surrounding whitespace are refused.
    type: dict
    required: true
  regional_settings:
    description:
      - "[mount] keys the helper reads for the host's region, for example C({stunnel_cafile: /etc/ssl/ca.pem}):
        written to [mount] and also to C([mount.<region>]) when the file has that section (upstream ships
        one for cn-*, us-iso*, eusc-de-east-1 and others, and reads C(stunnel_cafile) from it for
        those regions). Null values leave the key alone."
    type: dict
    default: {}
  region:
    description:
      - The region whose section O(regional_settings) go to; null means the C(region) that O(settings)
        or the file set in [mount].
    type: str
  create:
    description:
      - Create the file when it does not exist. By default a missing file is an error, since it
        means efs-utils is not installed.
    type: bool
    default: false
  backup:
    description: Keep a timestamped copy of the file before changing it.
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    description: Reports what would change without writing.
  diff_mode:
    support: full
    description: Shows the file before and after.
seealso:
  - module: aws_efs.transit.efs_client_info
"""

EXAMPLES = r"""
- name: Point efs-utils at a private CA and pin the region
  aws_efs.transit.efs_utils_config:
    settings:
      mount:
        region: eu-west-1
        stunnel_cafile: /etc/amazon/efs/efs-transit-ca.pem
        stunnel_check_cert_hostname: true
      mount-watchdog:
        enabled: true
"""

RETURN = r"""
changes:
  description: Keys whose values changed (or would change), with the old value (null when added).
  returned: always
  type: list
  elements: dict
  sample: [{"section": "mount", "key": "region", "before": "us-east-1", "after": "eu-west-1"}]
backup_file:
  description: Path of the backup, when one was made.
  returned: when changed and I(backup=true)
  type: str
path:
  description: The configuration file.
  returned: always
  type: str
regional_section:
  description: The C([mount.<region>]) section O(regional_settings) were also written to, or null.
  returned: always
  type: str
  sample: mount.cn-north-1
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.aws_efs.transit.plugins.module_utils import _files
from ansible_collections.aws_efs.transit.plugins.module_utils._efs_utils_conf import IniValueError, apply_settings


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", default="/etc/amazon/efs/efs-utils.conf"),
            settings=dict(type="dict", required=True),
            regional_settings=dict(type="dict", default={}),
            region=dict(type="str"),
            create=dict(type="bool", default=False),
            backup=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    path = module.params["path"]

    def _apply(text):
        return apply_settings(
            text, module.params["settings"], module.params["regional_settings"], module.params["region"]
        )

    exists = os.path.isfile(path)
    if not exists and not module.params["create"]:
        module.fail_json(msg="%s does not exist: install efs-utils first (or set create=true)" % path, path=path)
    if not os.path.isdir(os.path.dirname(path) or "."):
        module.fail_json(msg="directory %s does not exist" % os.path.dirname(path), path=path)
    try:
        before = _files.read_text(path) or ""
        after, changes, section = _apply(before)
    except OSError as exc:
        module.fail_json(msg="cannot read %s: %s" % (path, exc), path=path)
    except IniValueError as exc:
        module.fail_json(msg=str(exc), path=path)

    result = dict(changed=after != before, changes=changes, path=path, regional_section=section)
    if module._diff:
        result["diff"] = dict(before=before, after=after, before_header=path, after_header=path)
    if not result["changed"] or module.check_mode:
        module.exit_json(**result)

    def edit(text):
        # Under the lock: apply the same settings to what is there now.
        return _apply(text)[0]

    backup = module.backup_local if module.params["backup"] else None
    try:
        _before, _after, backup_file = _files.locked_update(path, edit, move=module.atomic_move, backup=backup)
    except (OSError, TimeoutError, IniValueError) as exc:
        module.fail_json(msg="could not update %s: %s" % (path, exc), path=path)
    if backup_file:
        result["backup_file"] = backup_file
    if not exists:
        os.chmod(path, 0o644)
    module.exit_json(**result)


if __name__ == "__main__":
    main()

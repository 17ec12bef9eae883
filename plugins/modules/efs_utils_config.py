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
  - The write is atomic (temporary file and rename) and keeps the file's owner, mode and
    SELinux context.
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
"""

import os
import tempfile

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.aws_efs.transit.plugins.module_utils._ini_keys import IniValueError, set_keys


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", default="/etc/amazon/efs/efs-utils.conf"),
            settings=dict(type="dict", required=True),
            create=dict(type="bool", default=False),
            backup=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    path = module.params["path"]
    exists = os.path.isfile(path)
    if not exists and not module.params["create"]:
        module.fail_json(msg="%s does not exist: install efs-utils first (or set create=true)" % path, path=path)
    before = ""
    if exists:
        try:
            with open(path, "rb") as handle:
                before = handle.read().decode("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            module.fail_json(msg="cannot read %s: %s" % (path, exc), path=path)
    try:
        after, changes = set_keys(before, module.params["settings"])
    except IniValueError as exc:
        module.fail_json(msg=str(exc), path=path)

    result = dict(changed=after != before, changes=changes, path=path)
    if module._diff:
        result["diff"] = dict(before=before, after=after, before_header=path, after_header=path)
    if not result["changed"] or module.check_mode:
        module.exit_json(**result)

    if exists and module.params["backup"]:
        result["backup_file"] = module.backup_local(path)
    directory = os.path.dirname(path) or "."
    if not os.path.isdir(directory):
        module.fail_json(msg="directory %s does not exist" % directory, path=path)
    fd, tmp = tempfile.mkstemp(prefix=".efs-utils.conf.", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(after.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        # atomic_move copies owner, mode and SELinux context from the file it replaces.
        module.atomic_move(tmp, path, unsafe_writes=False)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    if not exists:
        os.chmod(path, 0o644)
    module.exit_json(**result)


if __name__ == "__main__":
    main()

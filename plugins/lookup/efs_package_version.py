# -*- coding: utf-8 -*-
# Copyright: contributors to aws_efs.transit
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: efs_package_version
short_description: The version of a .deb or .rpm package file on the controller
version_added: 0.1.0
description:
  - Reads the version of a package file without dpkg or rpm, from the .deb's control file (its C(Version), without
    an epoch) or the .rpm's header (C(VERSION-RELEASE), as C(rpm -qp --qf '%{VERSION}-%{RELEASE}') prints it).
  - The efs_client role uses it for C(efs_client_install_method=file), so that a host that already has the
    package's version needs no copy and no install step.
  - Returns an empty string for a file it cannot read this way (a .deb whose control archive is zstd-compressed,
    not a package); the role then reads the version on the host, as it always did.
author:
  - aws_efs.transit contributors (@aws-efs)
options:
  _terms:
    description: Paths of package files (searched like the C(ansible.builtin.file) lookup's).
    type: list
    elements: path
    required: true
"""

EXAMPLES = r"""
- name: Show a package file's version
  ansible.builtin.debug:
    msg: "{{ lookup('aws_efs.transit.efs_package_version', 'files/amazon-efs-utils-3.2.0.deb') }}"
"""

RETURN = r"""
_raw:
  description: One version per term, an empty string where it cannot be read.
  type: list
  elements: str
"""

from ansible.plugins.lookup import LookupBase

from ansible_collections.aws_efs.transit.plugins.plugin_utils._package_file import package_version

# Headers and the .deb control archive sit at the start of the file.
READ_LIMIT = 8 * 1024 * 1024


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        # No options but the terms: no set_options(), which before ansible-core 2.19 needs the
        # plugin loader's _load_name (a lookup made outside the loader, as in the unit tests).
        out = []
        for term in terms:
            path = self.find_file_in_search_path(variables, "files", term, ignore_missing=True)
            version = None
            if path:
                try:
                    with open(path, "rb") as handle:
                        version = package_version(handle.read(READ_LIMIT))
                except OSError:
                    version = None
            out.append(version or "")
        return out

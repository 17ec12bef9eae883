# -*- coding: utf-8 -*-
# Copyright: aws_efs.transit contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A signed package repository for amazon-efs-utils: the files that define it and the choice of
the version to install from what it offers. Pure functions; the module does the I/O.
"""

from __future__ import annotations

import functools
import re

from ansible_collections.aws_efs.transit.plugins.module_utils._helper import version_matches

MANAGERS = ("apt", "dnf", "dnf5", "yum", "zypper")
# Where each package manager reads repository definitions and trusted keys.
LAYOUT = {
    "apt": {
        "repo_dir": "/etc/apt/sources.list.d",
        "repo_ext": ".sources",
        "key_dir": "/etc/apt/keyrings",
        "key_ext": ".gpg",
    },
    "rpm": {"repo_dir": "/etc/yum.repos.d", "repo_ext": ".repo", "key_dir": "/etc/pki/rpm-gpg", "key_ext": ""},
    "zypper": {"repo_dir": "/etc/zypp/repos.d", "repo_ext": ".repo", "key_dir": "/etc/pki/rpm-gpg", "key_ext": ""},
}
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def family(manager):
    if manager == "apt":
        return "apt"
    if manager == "zypper":
        return "zypper"
    return "rpm"


def paths(manager, name, repo_file=None, key_file=None):
    """(repository definition, key file) paths for a repository called name."""
    lay = LAYOUT[family(manager)]
    key_name = name + lay["key_ext"] if lay["key_ext"] else "RPM-GPG-KEY-" + name
    return (
        repo_file or "%s/%s%s" % (lay["repo_dir"], name, lay["repo_ext"]),
        key_file or "%s/%s" % (lay["key_dir"], key_name),
    )


def check_inputs(name, url, suite=None, components=None, manager="apt"):
    """Problem text or None: values that would break or widen the repository definition."""
    if not _NAME_RE.match(name or ""):
        return "repository name %r must be letters, digits, '.', '_' or '-'" % name
    values = [url] + ([suite] if suite else []) + list(components or [])
    for value in values:
        if not value or re.search(r"\s", str(value)):
            return "repository values must be non-empty and without white space or line breaks: %r" % value
    if not re.match(r"^(https?|file)://", url):
        return "repository URL %r must be http://, https:// or file://" % url
    if manager == "apt" and not suite:
        return "an apt repository needs a suite"
    return None


def render_deb822(name, url, suite, components, keyring):
    """A deb822 .sources file that trusts only the given keyring for this repository."""
    lines = [
        "# Managed by aws_efs.transit (efs_client role): amazon-efs-utils from %s" % name,
        "Types: deb",
        "URIs: %s" % url,
        "Suites: %s" % suite,
    ]
    if not suite.endswith("/"):  # a flat repository ("./") has no components
        lines.append("Components: %s" % " ".join(components or ["main"]))
    lines.append("Signed-By: %s" % keyring)
    return "\n".join(lines) + "\n"


def render_rpm_repo(name, url, keyfile, manager):
    """A .repo file for dnf/yum or zypper: package and metadata signatures both checked."""
    lines = [
        "# Managed by aws_efs.transit (efs_client role): amazon-efs-utils",
        "[%s]" % name,
        "name=%s repository" % name,
        "baseurl=%s" % url,
        "enabled=1",
        "gpgcheck=1",
        "repo_gpgcheck=1",
        "gpgkey=file://%s" % keyfile,
    ]
    if manager == "zypper":
        lines += ["autorefresh=1", "type=rpm-md"]
    return "\n".join(lines) + "\n"


def parse_madison(text, package):
    """Versions in `apt-cache madison PACKAGE` output ("name | version | source ...")."""
    versions = []
    for line in (text or "").splitlines():
        parts = [part.strip() for part in line.split("|")]
        if len(parts) >= 3 and parts[0] == package and parts[1]:
            versions.append(parts[1])
    return versions


def _order(char):
    # dpkg: '~' before everything (even the end), letters before other characters.
    if char == "~":
        return -1
    if char.isalpha():
        return ord(char)
    return ord(char) + 256


def _compare_part(a, b):
    while a or b:
        da = re.match(r"^[^0-9]*", a).group(0)
        db = re.match(r"^[^0-9]*", b).group(0)
        for i in range(max(len(da), len(db))):
            ca = _order(da[i]) if i < len(da) else 0
            cb = _order(db[i]) if i < len(db) else 0
            if ca != cb:
                return -1 if ca < cb else 1
        a, b = a[len(da) :], b[len(db) :]
        na = re.match(r"^[0-9]*", a).group(0)
        nb = re.match(r"^[0-9]*", b).group(0)
        if int(na or 0) != int(nb or 0):
            return -1 if int(na or 0) < int(nb or 0) else 1
        a, b = a[len(na) :], b[len(nb) :]
    return 0


def compare_versions(a, b):
    """dpkg's ordering (epoch, upstream, revision; '~' sorts first). Also right for rpm's
    version-release strings as efs-utils' repositories name them."""

    def split(v):
        v = str(v)
        epoch, _sep, rest = v.rpartition(":") if ":" in v else ("0", "", v)
        upstream, _sep, revision = rest.rpartition("-") if "-" in rest else (rest, "", "")
        return int(epoch or 0), upstream, revision

    ea, ua, ra = split(a)
    eb, ub, rb = split(b)
    if ea != eb:
        return -1 if ea < eb else 1
    return _compare_part(ua, ub) or _compare_part(ra, rb)


def sort_versions(versions):
    return sorted(set(versions), key=functools.cmp_to_key(compare_versions))


def select_version(available, pin):
    """(version to install, problem). pin: an upstream version such as 3.2.0, or 'latest'."""
    ordered = sort_versions(available)
    if not ordered:
        return None, "the repository offers no amazon-efs-utils package for this host"
    if pin in (None, "", "latest"):
        return ordered[-1], None
    matching = [v for v in ordered if version_matches(v, pin)]
    if not matching:
        return None, "the repository has no amazon-efs-utils %s; it has: %s" % (pin, ", ".join(ordered))
    return matching[-1], None

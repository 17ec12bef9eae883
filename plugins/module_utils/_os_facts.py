# -*- coding: utf-8 -*-
# Copyright: contributors to aws_efs.transit
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The OS facts the efs_client role resolves its settings from, with the values and names
ansible.builtin.setup gives them (distribution, distribution_version, distribution_major_version,
os_family, system, machine, architecture, pkg_mgr), read from /etc/os-release.

Not Ansible's fact collectors: importing anything under ansible.module_utils.facts pulls its
package's default_collectors, about 70 files and 1.1 MB of source, into the module's payload,
which a host unpacks, compiles and imports on every run (on a TCG guest that was most of the
role's no-change run). tests/unit/plugins/module_utils/test_os_facts.py checks every supported
distribution against Ansible's own collectors.
"""

from __future__ import annotations

import os
import platform

# /etc/os-release ID -> setup's `distribution` (its DistributionFiles / OS_FAMILY_MAP names).
DISTRIBUTIONS = {
    "amzn": "Amazon",
    "rhel": "RedHat",
    "centos": "CentOS",
    "rocky": "Rocky",
    "almalinux": "AlmaLinux",
    "ol": "OracleLinux",
    "fedora": "Fedora",
    "debian": "Debian",
    "ubuntu": "Ubuntu",
    "sles": "SLES",
    "sles_sap": "SLES_SAP",
    "sled": "SLED",
    "opensuse-leap": "openSUSE Leap",
    "opensuse-tumbleweed": "openSUSE Tumbleweed",
    "opensuse": "openSUSE",
}
FAMILIES = {
    "RedHat": ("Amazon", "RedHat", "CentOS", "Rocky", "AlmaLinux", "OracleLinux", "Fedora"),
    "Debian": ("Debian", "Ubuntu"),
    "Suse": ("SLES", "SLES_SAP", "SLED", "openSUSE Leap", "openSUSE Tumbleweed", "openSUSE"),
}
FAMILY = dict((name, family) for family, names in FAMILIES.items() for name in names)


def parse_os_release(text):
    """{KEY: value} of an os-release file (quotes removed)."""
    values = {}
    for line in (text or "").splitlines():
        key, sep, value = line.strip().partition("=")
        if sep and key and not key.startswith("#"):
            values[key.strip()] = value.strip().strip("\"'")
    return values


def distribution(values, debian_version=None):
    """(distribution, version) as setup names them, from os-release values; Debian's point release
    comes from /etc/debian_version, which os-release lacks."""
    ident = values.get("ID", "").lower()
    name = DISTRIBUTIONS.get(ident) or (ident.capitalize() if ident else "OtherLinux")
    version = values.get("VERSION_ID", "")
    point = (debian_version or "").strip()
    if ident == "debian" and point[:1].isdigit():
        version = point
    return name, version


def pkg_mgr(family, exists=os.path.exists, realpath=os.path.realpath):
    """setup's pkg_mgr for the families the role supports (PkgMgrFactCollector's rules)."""
    if family == "Debian":
        return "apt"
    if family == "RedHat":
        if exists("/run/ostree-booted"):
            return "atomic_container"
        for path in ("/usr/bin/dnf", "/usr/bin/microdnf"):
            if exists(path):
                return "dnf5" if realpath(path) == "/usr/bin/dnf5" else "dnf"
        return "unknown"
    return "zypper" if exists("/usr/bin/zypper") else "unknown"


def architecture(machine):
    """setup's architecture on Linux: the machine, i386 for the 32-bit x86 names."""
    if machine in ("i386", "i486", "i586", "i686", "i86pc"):
        return "i386"
    return machine


def read(root="/", machine=None, exists=None, realpath=None):
    """The OS facts of the host (root: a directory standing for / in tests)."""

    def path(p):
        return os.path.join(root, p.lstrip("/"))

    def text(p):
        try:
            with open(path(p), encoding="utf-8", errors="replace") as handle:
                return handle.read()
        except OSError:
            return None

    values = parse_os_release(text("/etc/os-release") or text("/usr/lib/os-release"))
    name, version = distribution(values, text("/etc/debian_version"))
    family = FAMILY.get(name, name)
    machine = machine or platform.machine()
    return {
        "system": platform.system(),
        "distribution": name,
        "distribution_version": version,
        "distribution_major_version": version.split(".")[0] if version else "",
        "os_family": family,
        "machine": machine,
        "architecture": architecture(machine),
        "pkg_mgr": pkg_mgr(
            family,
            exists or (lambda p: os.path.exists(path(p))),
            realpath or (lambda p: "/" + os.path.relpath(os.path.realpath(path(p)), root)),
        ),
    }

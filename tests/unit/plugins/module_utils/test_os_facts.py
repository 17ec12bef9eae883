# -*- coding: utf-8 -*-
"""_os_facts against Ansible's own collectors (DistributionFactCollector, PkgMgrFactCollector), on the
release files of every distribution the role supports: the role resolves its settings from these
facts whether a play gathered them or efs_client_info read them."""

from __future__ import annotations

import os
import sys

import pytest

from ansible.module_utils import distro
from ansible.module_utils.facts.system import distribution as ansible_distribution
from ansible.module_utils.facts.system import pkg_mgr as ansible_pkg_mgr

from ansible_collections.aws_efs.transit.plugins.module_utils import _os_facts

# Release files as the distributions ship them (abridged to the lines that name the release).
HOSTS = {
    "amazon2": {
        "etc/os-release": 'NAME="Amazon Linux"\nVERSION="2"\nID="amzn"\nID_LIKE="centos rhel fedora"\n'
        'VERSION_ID="2"\nPRETTY_NAME="Amazon Linux 2"\nCPE_NAME="cpe:2.3:o:amazon:amazon_linux:2"\n',
        "etc/system-release": "Amazon Linux release 2 (Karoo)\n",
        "usr/bin/yum": "",
    },
    "amazon2023": {
        "etc/os-release": 'NAME="Amazon Linux"\nVERSION="2023"\nID="amzn"\nID_LIKE="fedora"\nVERSION_ID="2023"\n'
        'PLATFORM_ID="platform:al2023"\nPRETTY_NAME="Amazon Linux 2023.6.20241212"\n',
        "etc/system-release": "Amazon Linux release 2023.6.20241212 (Amazon Linux)\n",
        "usr/bin/dnf": "",
    },
    "rhel9": {
        "etc/os-release": 'NAME="Red Hat Enterprise Linux"\nVERSION="9.4 (Plow)"\nID="rhel"\nID_LIKE="fedora"\n'
        'VERSION_ID="9.4"\nPLATFORM_ID="platform:el9"\nPRETTY_NAME="Red Hat Enterprise Linux 9.4 (Plow)"\n',
        "etc/redhat-release": "Red Hat Enterprise Linux release 9.4 (Plow)\n",
        "usr/bin/dnf": "",
    },
    "rhel8": {
        "etc/os-release": 'NAME="Red Hat Enterprise Linux"\nVERSION="8.10 (Ootpa)"\nID="rhel"\nID_LIKE="fedora"\n'
        'VERSION_ID="8.10"\nPRETTY_NAME="Red Hat Enterprise Linux 8.10 (Ootpa)"\n',
        "etc/redhat-release": "Red Hat Enterprise Linux release 8.10 (Ootpa)\n",
        "usr/bin/dnf": "",
    },
    "rocky9": {
        "etc/os-release": 'NAME="Rocky Linux"\nVERSION="9.5 (Blue Onyx)"\nID="rocky"\nID_LIKE="rhel centos fedora"\n'
        'VERSION_ID="9.5"\nPRETTY_NAME="Rocky Linux 9.5 (Blue Onyx)"\n',
        "etc/redhat-release": "Rocky Linux release 9.5 (Blue Onyx)\n",
        "etc/rocky-release": "Rocky Linux release 9.5 (Blue Onyx)\n",
        "usr/bin/dnf": "",
    },
    "alma9": {
        "etc/os-release": 'NAME="AlmaLinux"\nVERSION="9.5 (Teal Serval)"\nID="almalinux"\nID_LIKE="rhel centos fedora"\n'
        'VERSION_ID="9.5"\nPRETTY_NAME="AlmaLinux 9.5 (Teal Serval)"\n',
        "etc/redhat-release": "AlmaLinux release 9.5 (Teal Serval)\n",
        "etc/almalinux-release": "AlmaLinux release 9.5 (Teal Serval)\n",
        "usr/bin/dnf": "",
    },
    "sles15": {
        "etc/os-release": 'NAME="SLES"\nVERSION="15-SP6"\nVERSION_ID="15.6"\nPRETTY_NAME="SUSE Linux Enterprise Server 15 SP6"\n'
        'ID="sles"\nID_LIKE="suse"\nANSI_COLOR="0;32"\nCPE_NAME="cpe:/o:suse:sles:15:sp6"\n',
        "usr/bin/zypper": "",
    },
    "leap15": {
        "etc/os-release": 'NAME="openSUSE Leap"\nVERSION="15.6"\nID="opensuse-leap"\nID_LIKE="suse opensuse"\n'
        'VERSION_ID="15.6"\nPRETTY_NAME="openSUSE Leap 15.6"\nCPE_NAME="cpe:/o:opensuse:leap:15.6"\n',
        "usr/bin/zypper": "",
    },
    "debian12": {
        "etc/os-release": 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\n'
        'VERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian\n',
        "etc/debian_version": "12.8\n",
        "usr/bin/apt-get": "",
    },
    "debian13": {
        "etc/os-release": 'PRETTY_NAME="Debian GNU/Linux 13 (trixie)"\nNAME="Debian GNU/Linux"\nVERSION_ID="13"\n'
        'VERSION="13 (trixie)"\nVERSION_CODENAME=trixie\nID=debian\n',
        "etc/debian_version": "13.1\n",
        "usr/bin/apt-get": "",
    },
    "ubuntu2404": {
        "etc/os-release": 'PRETTY_NAME="Ubuntu 24.04.1 LTS"\nNAME="Ubuntu"\nVERSION_ID="24.04"\n'
        'VERSION="24.04.1 LTS (Noble Numbat)"\nVERSION_CODENAME=noble\nID=ubuntu\nID_LIKE=debian\n'
        "UBUNTU_CODENAME=noble\n",
        "etc/debian_version": "trixie/sid\n",
        "etc/lsb-release": "DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=24.04\nDISTRIB_CODENAME=noble\n",
        "usr/bin/apt-get": "",
    },
    "ubuntu2204": {
        "etc/os-release": 'PRETTY_NAME="Ubuntu 22.04.5 LTS"\nNAME="Ubuntu"\nVERSION_ID="22.04"\n'
        'VERSION="22.04.5 LTS (Jammy Jellyfish)"\nVERSION_CODENAME=jammy\nID=ubuntu\nID_LIKE=debian\n',
        "etc/debian_version": "bookworm/sid\n",
        "usr/bin/apt-get": "",
    },
}


class _Module:
    """What the collectors ask of a module: no commands run in these tests."""

    def get_bin_path(self, *args, **kwargs):
        return None

    def run_command(self, *args, **kwargs):
        return 1, "", ""


ROLE_KEYS = ("distribution", "distribution_version", "distribution_major_version", "os_family", "pkg_mgr")


def _tree(tmp_path, files):
    for rel, content in files.items():
        target = tmp_path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content)
    return str(tmp_path)


def _ansible_facts(root, monkeypatch):
    """Ansible's DistributionFactCollector and PkgMgrFactCollector with every file read under root."""

    def under(path):
        path = os.fspath(path)
        return path if path.startswith(root) else os.path.join(root, path.lstrip("/"))

    real_exists, real_isfile, real_islink = os.path.exists, os.path.isfile, os.path.islink
    real_getsize, real_content = os.path.getsize, ansible_distribution.get_file_content
    # ansible.module_utils.distro is the system's distro package when there is one, else Ansible's copy.
    implementation = sys.modules[distro.id.__module__]
    monkeypatch.setattr(
        implementation,
        "_distro",
        implementation.LinuxDistribution(include_lsb=False, include_uname=False, root_dir=root),
    )
    monkeypatch.setattr(ansible_distribution, "get_file_content", lambda p, *a, **k: real_content(under(p), *a, **k))
    monkeypatch.setattr(os.path, "exists", lambda p: real_exists(under(p)))
    monkeypatch.setattr(os.path, "isfile", lambda p: real_isfile(under(p)))
    monkeypatch.setattr(os.path, "islink", lambda p: real_islink(under(p)))
    monkeypatch.setattr(os.path, "getsize", lambda p: real_getsize(under(p)))
    try:
        facts = ansible_distribution.DistributionFactCollector().collect(module=_Module(), collected_facts={})
        prefixed = {"ansible_" + k: v for k, v in facts.items()}
        facts.update(ansible_pkg_mgr.PkgMgrFactCollector().collect(module=_Module(), collected_facts=prefixed))
    finally:
        monkeypatch.undo()
    return facts


@pytest.mark.parametrize("host", sorted(HOSTS))
def test_the_facts_are_setups(host, tmp_path, monkeypatch):
    root = _tree(tmp_path, HOSTS[host])
    expected = _ansible_facts(root, monkeypatch)
    ours = _os_facts.read(root, machine="x86_64")
    assert {k: ours[k] for k in ROLE_KEYS} == {k: expected[k] for k in ROLE_KEYS}
    assert ours["architecture"] == "x86_64" and ours["system"] == "Linux"


def test_the_role_resolves_a_layout_for_every_supported_host(tmp_path):
    from ansible_collections.aws_efs.transit.plugins.module_utils import _helper

    layouts = {}
    for host, files in HOSTS.items():
        facts = _os_facts.read(_tree(tmp_path / host, files), machine="aarch64")
        layouts[host] = _helper.layout_name(
            facts["distribution"], facts["distribution_major_version"], facts["os_family"]
        )
    assert layouts["amazon2"] == "amazon2" and layouts["amazon2023"] == "amazon2023"
    assert {layouts[h] for h in ("rhel8", "rhel9", "rocky9", "alma9")} == {"rpm"}
    assert layouts["sles15"] == layouts["leap15"] == "suse"
    assert {layouts[h] for h in ("debian12", "debian13", "ubuntu2204", "ubuntu2404")} == {"deb"}


def test_no_os_release_and_other_machines(tmp_path):
    facts = _os_facts.read(str(tmp_path), machine="i686")
    assert facts["distribution"] == "OtherLinux" and facts["distribution_version"] == ""
    assert facts["architecture"] == "i386" and facts["pkg_mgr"] == "unknown"
    assert _os_facts.parse_os_release('# c\nID="x"\n\nBAD\n') == {"ID": "x"}


@pytest.mark.parametrize("module", ["efs_client_info", "efs_client_audit", "efs_tls_mount", "efs_utils_config"])
def test_no_client_module_sends_the_fact_collectors(module):
    """A module's payload holds what it imports: ansible.module_utils.facts would add about 70 files."""
    import subprocess

    code = (
        "import sys; import ansible_collections.aws_efs.transit.plugins.modules.%s; "
        "print(sorted(m for m in sys.modules if m.startswith('ansible.module_utils.facts')))" % module
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"

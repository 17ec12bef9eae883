# -*- coding: utf-8 -*-
from __future__ import annotations

import pytest

from ansible_collections.aws_efs.transit.plugins.module_utils import _helper as cf

STUNNEL_568_HELP = """Initializing inetd mode configuration
stunnel 5.68 on x86_64-pc-linux-gnu platform
Compiled with OpenSSL 3.0.9 30 May 2023
Global options:
pid                    = pid file
Service-level options:
CAfile                 = certificate authority file
checkHost              = peer certificate host name pattern
OCSPaia                = yes|no check the AIA responders from certificates
verifyChain            = yes|no verify certificate chain
"""

# stunnel 4.56 (RHEL 7, Amazon Linux 2 base) has neither option.
STUNNEL_456_HELP = """stunnel 4.56 on x86_64-redhat-linux-gnu platform
Compiled/running with OpenSSL 1.0.1e-fips 11 Feb 2013
Service-level options:
CAfile                 = certificate authority file
verify                 = level of peer certificate verification
"""


@pytest.mark.parametrize(
    "version, expected",
    [
        ("3.2.0", (3, 2, 0)),
        ("v1.36.0", (1, 36, 0)),
        ("1:2.1.0-1ubuntu1", (2, 1, 0)),
        ("3.2.0~standin1", (3, 2, 0)),
        ("2.0.4-1.amzn2023", (2, 0, 4)),
        ("1:3.2.0-1", (3, 2, 0)),
        ("2.4.0-1ubuntu1", (2, 4, 0)),
        ("1.36.0", (1, 36, 0)),
        ("", None),
        (None, None),
        ("garbage", None),
    ],
)
def test_parse_version(version, expected):
    # One parser: main had two, and _mount_options.parse_version read "1:3.2.0-1" as (1,).
    assert cf.parse_version(version) == expected


@pytest.mark.parametrize(
    "installed, pinned, expected",
    [
        ("3.2.0", "3.2.0", True),
        ("3.2.0-1", "3.2.0", True),
        ("3.2.0~standin1", "3.2.0", True),
        ("1:3.2.0-1ubuntu1", "3.2.0", True),
        ("3.2.0-1.amzn2023", "v3.2.0", True),
        ("3.2.01", "3.2.0", False),
        ("3.2.0.1", "3.2.0", False),
        ("3.2.1", "3.2.0", False),
        ("1.36.0-1", "3.2.0", False),
        (None, "3.2.0", False),
        ("1.36.0", None, True),
        (None, None, False),
    ],
)
def test_version_matches(installed, pinned, expected):
    assert cf.version_matches(installed, pinned) is expected


def test_parse_package_query_deb():
    assert cf.parse_package_query("install ok installed\t3.2.0~standin1", "deb") == "3.2.0~standin1"
    # A removed package with its conffiles left behind is not installed.
    assert cf.parse_package_query("deinstall ok config-files\t3.2.0", "deb") is None
    assert cf.parse_package_query("", "deb") is None


def test_parse_package_query_rpm():
    assert cf.parse_package_query("2.1.0-1.amzn2023\n", "rpm") == "2.1.0-1.amzn2023"
    assert cf.parse_package_query("package amazon-efs-utils is not installed\n", "rpm") is None
    with pytest.raises(ValueError):
        cf.parse_package_query("x", "pkg")


def test_parse_stunnel_help_modern():
    facts = cf.parse_stunnel_help(STUNNEL_568_HELP)
    assert facts == {"version": "5.68", "check_host": True, "ocsp_aia": True}


def test_parse_stunnel_help_old():
    facts = cf.parse_stunnel_help(STUNNEL_456_HELP)
    assert facts == {"version": "4.56", "check_host": False, "ocsp_aia": False}


def test_parse_stunnel_help_ignores_words_in_descriptions():
    text = "stunnel 5.10 on x\nverify                 = see checkHost in the manual\n"
    assert cf.parse_stunnel_help(text)["check_host"] is False


def test_parse_systemctl_show():
    out = "LoadState=loaded\nUnitFileState=enabled\nActiveState=active\n"
    assert cf.parse_systemctl_show(out) == {
        "exists": True,
        "enabled": True,
        "active": True,
        "unit_file_state": "enabled",
        "active_state": "active",
    }
    out = "LoadState=loaded\nUnitFileState=disabled\nActiveState=inactive\n"
    state = cf.parse_systemctl_show(out)
    assert state["exists"] and not state["enabled"] and not state["active"]
    out = "LoadState=not-found\nUnitFileState=\nActiveState=inactive\n"
    state = cf.parse_systemctl_show(out)
    assert state["exists"] is False and state["enabled"] is False and state["unit_file_state"] is None


@pytest.mark.parametrize(
    "requested, version, proxy, ocsp, relay, has_problem",
    [
        ("auto", "1.36.0", None, False, "stunnel", False),
        ("stunnel", "1.36.0", None, False, "stunnel", False),
        ("efs-proxy", "1.36.0", None, False, None, True),
        ("auto", "2.1.0", "/usr/bin/efs-proxy", False, "efs-proxy", False),
        ("auto", "3.2.0~standin1", None, False, "stunnel", False),
        ("efs-proxy", "3.2.0", None, False, None, True),
        ("stunnel", "3.2.0", "/usr/bin/efs-proxy", False, "stunnel", False),
        ("auto", "3.2.0", "/usr/bin/efs-proxy", True, "stunnel", False),
        ("efs-proxy", "3.2.0", "/usr/bin/efs-proxy", True, None, True),
        ("auto", None, None, False, None, False),
        ("stunnel", None, None, False, "stunnel", False),
    ],
)
def test_choose_relay(requested, version, proxy, ocsp, relay, has_problem):
    choice = cf.choose_relay(requested, cf.parse_version(version), proxy, ocsp)
    assert choice.relay == relay
    assert choice.reason
    assert (choice.problem is not None) is has_problem


@pytest.mark.parametrize(
    "relay, version, proxy, expected",
    [
        ("auto", (1, 36, 0), None, (False, "stunnel")),
        ("stunnel", (1, 36, 0), None, (False, "stunnel")),  # 1.x would hand `stunnel` to mount.nfs4
        ("auto", (3, 2, 0), "/usr/bin/efs-proxy", (False, "efs-proxy")),
        ("auto", (3, 2, 0), None, (True, "stunnel")),  # no fallback in 2.0+: ask for stunnel
        ("stunnel", (3, 2, 0), "/usr/bin/efs-proxy", (True, "stunnel")),
        ("efs-proxy", (3, 2, 0), "/usr/bin/efs-proxy", (False, "efs-proxy")),
        ("auto", None, "/usr/bin/efs-proxy", (False, "efs-proxy")),  # efs-proxy only exists from 2.0
    ],
)
def test_choose_relay_stunnel_option(relay, version, proxy, expected):
    choice = cf.choose_relay(relay, version, proxy)
    assert (choice.add_stunnel_option, choice.relay) == expected and choice.known


def test_ocsp_means_stunnel_even_with_efs_proxy():
    # mount.efs 3.2.0 switches to stunnel when OCSP is on (the `ocsp` option or
    # stunnel_check_cert_validity); main's _mount_options.choose_relay said efs-proxy here.
    assert cf.ocsp_on(["ocsp"], False) and cf.ocsp_on([], True) and not cf.ocsp_on(["noocsp"], True)
    choice = cf.choose_relay("auto", (3, 2, 0), "/usr/sbin/efs-proxy", ocsp=True)
    assert choice.relay == "stunnel" and choice.add_stunnel_option is False


def test_unknown_version_without_efs_proxy_is_not_known():
    for requested in ("auto", "stunnel", "efs-proxy"):
        assert cf.choose_relay(requested, None, None).known is False


def test_choose_relay_rejects_unknown():
    with pytest.raises(ValueError):
        cf.choose_relay("socat", (3, 2, 0), None)


def test_stunnel_problems():
    good = {"path": "/usr/bin/stunnel", "version": "5.68", "check_host": True, "ocsp_aia": True}
    old = {"path": "/usr/bin/stunnel", "version": "4.56", "check_host": False, "ocsp_aia": False}
    assert cf.stunnel_problems("stunnel", good, True, True) == []
    problems = cf.stunnel_problems("stunnel", old, True, False)
    assert len(problems) == 1 and "checkHost" in problems[0] and "stunnel5" in problems[0]
    # The check being off is the user's explicit choice; the role warns about it elsewhere.
    assert cf.stunnel_problems("stunnel", old, False, False) == []
    assert len(cf.stunnel_problems("stunnel", old, True, True)) == 2
    # efs-proxy does its own TLS: an old stunnel does not matter unless OCSP forces stunnel.
    assert cf.stunnel_problems("efs-proxy", old, True, False) == []
    assert "not installed" in cf.stunnel_problems("stunnel", {"path": None}, True, False)[0]


# ---------------------------------------------------------------- the layout table

FACTS = {
    # distribution, major version, os_family -> layout
    "Amazon Linux 2": (("Amazon", "2", "RedHat"), "amazon2"),
    "Amazon Linux 2023": (("Amazon", "2023", "RedHat"), "amazon2023"),
    "RHEL 8": (("RedHat", "8", "RedHat"), "rpm"),
    "RHEL 9": (("RedHat", "9", "RedHat"), "rpm"),
    "RHEL 10": (("RedHat", "10", "RedHat"), "rpm"),
    "Fedora": (("Fedora", "41", "RedHat"), "rpm"),
    "openSUSE Leap": (("openSUSE Leap", "15", "Suse"), "suse"),
    "SLES": (("SLES", "15", "Suse"), "suse"),
    "Debian": (("Debian", "12", "Debian"), "deb"),
    "Ubuntu": (("Ubuntu", "24", "Debian"), "deb"),
}

EXPECTED = {
    # layout: package, format, mount.efs, efs-proxy, stunnel binary names, stunnel package
    "amazon2": ("amazon-efs-utils", "rpm", "/sbin/mount.efs", "/sbin/efs-proxy", ["stunnel5"], "stunnel5"),
    "amazon2023": ("amazon-efs-utils", "rpm", "/usr/sbin/mount.efs", "/usr/sbin/efs-proxy", ["stunnel"], "stunnel"),
    "rpm": ("amazon-efs-utils", "rpm", "/sbin/mount.efs", "/sbin/efs-proxy", ["stunnel"], "stunnel"),
    "suse": ("aws-efs-utils", "rpm", "/usr/sbin/mount.efs", "/usr/sbin/efs-proxy", ["stunnel"], "stunnel"),
    "deb": ("amazon-efs-utils", "deb", "/sbin/mount.efs", "/usr/bin/efs-proxy", ["stunnel"], "stunnel4"),
}


@pytest.mark.parametrize("name", sorted(FACTS))
def test_layout_per_distribution(name):
    facts, layout = FACTS[name]
    assert cf.layout_name(*facts) == layout
    got = cf.layout_dict(layout)
    package, fmt, mount_efs, efs_proxy, stunnel_names, stunnel_package = EXPECTED[layout]
    assert (got["package_name"], got["package_format"], got["mount_efs"], got["efs_proxy"]) == (
        package,
        fmt,
        mount_efs,
        efs_proxy,
    )
    assert got["stunnel_names"] == stunnel_names and got["stunnel_package"] == stunnel_package
    assert got["state_dir"] == "/var/run/efs" and got["log_dir"] == "/var/log/amazon/efs"
    # The layout's own place is searched first, then where the helper itself looks.
    assert cf.candidates("efs-proxy", cf.LAYOUTS[layout])[0] == efs_proxy
    assert cf.candidates("mount.efs", cf.LAYOUTS[layout])[0] == mount_efs


def test_efs_proxy_search_covers_every_layout():
    # main's efs_client_info looked only at /usr/bin/efs-proxy and missed the RPM layouts.
    searched = cf.candidates("efs-proxy")
    assert all(layout.efs_proxy in searched for layout in cf.LAYOUTS.values())


@pytest.mark.parametrize(
    "text, layout",
    [
        ('NAME="Amazon Linux"\nVERSION_ID="2"\nID="amzn"\nID_LIKE="centos rhel fedora"\n', "amazon2"),
        ('NAME="Amazon Linux"\nVERSION_ID="2023"\nID="amzn"\nID_LIKE="fedora"\n', "amazon2023"),
        ('ID="rhel"\nVERSION_ID="9.5"\nID_LIKE="fedora"\n', "rpm"),
        ('ID=rocky\nID_LIKE="rhel centos fedora"\n', "rpm"),
        ("ID=fedora\nVERSION_ID=41\n", "rpm"),
        ('ID="opensuse-leap"\nID_LIKE="suse opensuse"\n', "suse"),
        ('ID="sles"\nVERSION_ID="15.6"\n', "suse"),
        ("ID=debian\nVERSION_ID=12\n", "deb"),
        ("ID=ubuntu\nID_LIKE=debian\n", "deb"),
        ("ID=arch\n", None),
    ],
)
def test_layout_from_os_release(text, layout):
    assert cf.layout_from_os_release(text) == layout


def test_unknown_family_has_no_layout():
    assert cf.layout_name("Archlinux", "NA", "Archlinux") is None


# ---------------------------------------------------------------- versions from files (moved from test_efs_tls_mount.py)

DPKG = (
    b"Package: stunnel4\nStatus: install ok installed\nVersion: 3:5.68-2\n\n"
    b"Package: amazon-efs-utils\nStatus: install ok installed\nArchitecture: all\nVersion: 3.2.0~standin1\n\n"
)


def test_removed_package_in_dpkg_status_does_not_count(tmp_path):
    status = tmp_path / "status"
    status.write_bytes(DPKG.replace(b"install ok installed\nArchitecture", b"deinstall ok config-files\nArchitecture"))
    assert cf.version_from_dpkg(str(status)) is None
    status.write_bytes(b"Package: amazon-efs-utils\nStatus: install ok installed\nVersion: 1:1.36.0-1\n")
    assert cf.version_from_dpkg(str(status)) == "1:1.36.0-1"  # as dpkg says it; parse_version drops the epoch
    assert cf.parse_version(cf.version_from_dpkg(str(status))) == (1, 36, 0)


@pytest.mark.parametrize(
    "status, version",
    [
        ("install ok installed", "3.2.0-1"),
        ("deinstall ok config-files", None),
        ("install ok half-installed", None),
        ("purge ok not-installed", None),
        ("install reinstreq half-configured", None),
    ],
)
def test_only_an_installed_package_has_a_version(status, version):
    text = "Package: amazon-efs-utils\nStatus: %s\nVersion: 3.2.0-1\n\nPackage: x\n" % status
    assert cf.dpkg_stanza_version(text, "amazon-efs-utils") == version
    # The name must match whole: amazon-efs-utils-extra is another package.
    other = "Package: amazon-efs-utils-extra\nStatus: install ok installed\nVersion: 9\n"
    assert cf.dpkg_stanza_version(other, "amazon-efs-utils") is None
    assert cf.dpkg_stanza_version(other + "\n" + text, "amazon-efs-utils") == version


def test_version_from_files_reads_v3_layout(tmp_path):
    (tmp_path / "efs_utils_common").mkdir()
    (tmp_path / "efs_utils_common" / "constants.py").write_text('import re\nVERSION = "3.2.0"\n')
    (tmp_path / "mount.efs").write_text("#!/usr/bin/env python3\nfrom efs_utils_common.constants import VERSION\n")
    assert cf.version_from_files(str(tmp_path / "mount.efs")) == "3.2.0"
    assert cf.version_from_files(str(tmp_path / "elsewhere" / "mount.efs")) is None
    assert cf.version_from_files(None) is None

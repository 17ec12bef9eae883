# -*- coding: utf-8 -*-
from __future__ import annotations

import pytest

from ansible_collections.aws_efs.transit.plugins.module_utils import _client_facts as cf

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
        ("", ()),
        (None, ()),
        ("garbage", ()),
    ],
)
def test_version_tuple(version, expected):
    assert cf.version_tuple(version) == expected


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


def test_parse_ini():
    text = (
        "# comment\n[mount]\nRegion = us-east-1\n#region = eu-west-1\nregion = ignored-duplicate\n"
        "stunnel_check_cert_hostname=false\n\n[mount-watchdog]\nenabled : true\ngarbage line\n"
    )
    parsed = cf.parse_ini(text)
    assert parsed["mount"] == {"region": "us-east-1", "stunnel_check_cert_hostname": "false"}
    assert parsed["mount-watchdog"] == {"enabled": "true"}


@pytest.mark.parametrize(
    "value, expected",
    [("true", True), ("Yes", True), ("1", True), ("off", False), ("0", False), (None, None), ("maybe", None)],
)
def test_ini_bool(value, expected):
    assert cf.ini_bool(value) is expected


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
def test_select_relay(requested, version, proxy, ocsp, relay, has_problem):
    got, reason, problem = cf.select_relay(requested, version, proxy, ocsp)
    assert got == relay
    assert reason
    assert (problem is not None) is has_problem


def test_select_relay_rejects_unknown():
    with pytest.raises(ValueError):
        cf.select_relay("socat", "3.2.0", None)


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

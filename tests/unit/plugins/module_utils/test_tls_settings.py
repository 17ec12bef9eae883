# -*- coding: utf-8 -*-
"""What a host's efs-utils.conf says about TLS: read through _efs_utils_conf.mount_value, the one lookup."""

from __future__ import annotations

import pytest

from ansible_collections.aws_efs.transit.plugins.module_utils import _efs_utils_conf as ec
from ansible_collections.aws_efs.transit.plugins.module_utils import _tls_settings as ts
from ansible_collections.aws_efs.transit.plugins.module_utils._efs_utils_conf import read as parse_ini

from ansible_collections.aws_efs.transit.tests.unit.host_trees import HOSTS


def conf():
    return parse_ini((HOSTS / "audit_mixed" / "efs-utils.conf").read_text())


def test_tls_settings_from_mount_section():
    got = ts.tls_settings(conf())
    assert got["region"] == "us-east-1" and got["section"] == "mount"
    assert got["ca_file"] == "/etc/amazon/efs/test-ca.pem" and got["dns_name_suffix"] == "amazonaws.com"
    assert (got["check_hostname"], got["ocsp"], got["fips"]) == (True, False, False)


def test_tls_settings_region_section_wins_and_its_missing_ca_is_the_default():
    got = ts.tls_settings(conf(), "cn-north-1")
    assert got["section"] == "mount.cn-north-1" and got["dns_name_suffix"] == "amazonaws.com.cn"
    # The helper reads stunnel_cafile from the region section only: absent there, the default CA.
    assert got["ca_file"] == ts.DEFAULT_CA_FILE
    got = ts.tls_settings(conf(), "us-iso-east-1")
    assert got["ca_file"] == "/etc/amazon/efs/efs-utils.crt.iso"


def test_tls_settings_defaults_and_problems():
    got = ts.tls_settings({}, exists=False)
    assert got["check_hostname"] is True and got["region"] is None and got["ca_file"] == ts.DEFAULT_CA_FILE
    assert ts.settings_problems(got) == []
    off = ts.tls_settings({"DEFAULT": {"stunnel_check_cert_hostname": "no"}, "mount": {"fips_mode_enabled": "yes"}})
    assert off["check_hostname"] is False and off["fips"] is True
    assert "host name checking off" in ts.settings_problems(off)[0]


def test_a_region_section_without_the_suffix_falls_back_to_mount():
    text = "[mount]\nregion = eu-west-1\ndns_name_suffix = amazonaws.com\n[mount.eu-west-1]\nstunnel_cafile = /ca.pem\n"
    got = ts.tls_settings(parse_ini(text))
    assert got["section"] == "mount.eu-west-1" and got["ca_file"] == "/ca.pem"
    assert got["dns_name_suffix"] == "amazonaws.com"


CONFS = [
    "[mount]\nstunnel_check_cert_hostname = false\nstunnel_check_cert_validity = true\nregion = us-east-1\n",
    # [DEFAULT] alone is no [mount] section for the helper (has_section is false): its defaults apply.
    "[DEFAULT]\nstunnel_check_cert_hostname = false\nstunnel_check_cert_validity = true\nstunnel_cafile = /d.pem\n",
    "[DEFAULT]\nstunnel_check_cert_hostname = false\n[mount]\nregion = cn-north-1\n[mount.cn-north-1]\n",
    "[mount]\nregion = cn-north-1\nstunnel_cafile = /m.pem\n[mount.cn-north-1]\nstunnel_check_cert_hostname = false\n",
    "",
]


@pytest.mark.parametrize("text", CONFS)
@pytest.mark.parametrize("region", [None, "cn-north-1", "us-west-2"])
def test_tls_settings_and_efs_client_info_read_the_same_values(text, region):
    """efs_client_info and efs_tls_mount read hostname checking and OCSP with mount_value: the audit agrees."""
    sections = parse_ini(text)
    got = ts.tls_settings(sections, region)
    assert got["check_hostname"] is ec.ini_bool(ec.mount_value(sections, "stunnel_check_cert_hostname"), True)
    assert got["ocsp"] is ec.ini_bool(ec.mount_value(sections, "stunnel_check_cert_validity"), False)
    assert got["ca_file"] == (ec.mount_value(sections, "stunnel_cafile", got["region"]) or ts.DEFAULT_CA_FILE)


def test_default_only_file_has_the_helpers_defaults():
    # main's efs_client_info took [DEFAULT]'s false here while the audit said true; the helper says true.
    got = ts.tls_settings(parse_ini(CONFS[1]))
    assert (got["check_hostname"], got["ocsp"], got["ca_file"]) == (True, False, ts.DEFAULT_CA_FILE)
    # ... and the per-region key in [mount.<region>] is not read for hostname checking ([mount] only).
    assert ts.tls_settings(parse_ini(CONFS[3]), "cn-north-1")["check_hostname"] is True

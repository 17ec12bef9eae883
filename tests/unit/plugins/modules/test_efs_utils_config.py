# -*- coding: utf-8 -*-
"""efs_utils_config: the CA goes where the helper reads it for the host's region."""

from __future__ import annotations

import json
import os
import stat

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.aws_efs.transit.plugins.module_utils import _efs_utils_conf as conf
from ansible_collections.aws_efs.transit.plugins.modules import efs_utils_config as mod

# Shaped like upstream's dist/efs-utils.conf: regions with their own section carry their own CA.
PACKAGED = """[DEFAULT]
logging_level = INFO

[mount]
dns_name_suffix = amazonaws.com
stunnel_cafile = /etc/amazon/efs/efs-utils.crt
stunnel_check_cert_hostname = true
stunnel_check_cert_validity = true

[mount.cn-north-1]
dns_name_suffix = amazonaws.com.cn

[mount.us-iso-east-1]
dns_name_suffix = c2s.ic.gov
stunnel_cafile = /etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem

[mount-watchdog]
enabled = true
"""
CA = "/etc/amazon/efs/efs-transit-ca.pem"


@pytest.fixture
def run(tmp_path, capsys):
    path = tmp_path / "efs-utils.conf"
    path.write_text(PACKAGED)

    def _run(**params):
        with patch_module_args(dict(path=str(path), **params)):
            with pytest.raises(SystemExit):
                mod.main()
        return json.loads(capsys.readouterr().out), conf.read(path.read_text())

    return _run


@pytest.mark.parametrize("region", ["us-iso-east-1", "cn-north-1"])
def test_ca_goes_to_the_regions_own_section_and_to_mount(run, region):
    result, after = run(settings={"mount": {"region": region}}, regional_settings={"stunnel_cafile": CA})
    assert result["regional_section"] == "mount." + region
    assert conf.mount_value(after, "stunnel_cafile", region) == CA
    assert after["mount"]["stunnel_cafile"] == CA
    # The other region's section keeps what it had.
    if region == "cn-north-1":
        assert after["mount.us-iso-east-1"]["stunnel_cafile"] == "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem"
    else:
        assert "stunnel_cafile" not in after["mount.cn-north-1"] or after["mount.cn-north-1"]["stunnel_cafile"] != CA


def test_region_without_a_section_writes_mount_only(run):
    result, after = run(settings={"mount": {"region": "eu-west-1"}}, regional_settings={"stunnel_cafile": CA})
    assert result["regional_section"] is None
    assert after["mount"]["stunnel_cafile"] == CA
    assert after["mount.us-iso-east-1"]["stunnel_cafile"] == "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem"


def test_region_from_the_file_when_not_given(run, tmp_path):
    path = tmp_path / "efs-utils.conf"
    path.write_text(PACKAGED.replace("[mount]\n", "[mount]\nregion = us-iso-east-1\n"))
    result, after = run(settings={}, regional_settings={"stunnel_cafile": CA})
    assert result["regional_section"] == "mount.us-iso-east-1"
    assert conf.mount_value(after, "stunnel_cafile", "us-iso-east-1") == CA


def test_null_leaves_ocsp_and_the_ca_alone(run):
    result, after = run(
        settings={"mount": {"stunnel_check_cert_validity": None, "stunnel_check_cert_hostname": True}},
        regional_settings={"stunnel_cafile": None},
        region="us-iso-east-1",
    )
    assert not result["changed"]
    assert after["mount"]["stunnel_check_cert_validity"] == "true"
    assert after["mount.us-iso-east-1"]["stunnel_cafile"] == "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem"


def test_regional_settings_pure_function():
    settings, section = conf.regional_settings(PACKAGED, {"mount": {"region": "cn-north-1"}}, {"stunnel_cafile": CA})
    assert section == "mount.cn-north-1"
    assert settings == {
        "mount": {"region": "cn-north-1", "stunnel_cafile": CA},
        "mount.cn-north-1": {"stunnel_cafile": CA},
    }
    assert conf.regional_settings(PACKAGED, {"mount": {}}, {}) == ({"mount": {}}, None)


def test_symlinked_config_is_edited_through_the_link(tmp_path, capsys):
    """/etc/amazon/efs/efs-utils.conf managed elsewhere (a config-management link): the link stays,
    its target gets the edit with its mode, and AnsibleModule.atomic_move is given the target."""
    real_dir = tmp_path / "managed"
    real_dir.mkdir()
    real = real_dir / "efs-utils.conf"
    real.write_text(PACKAGED)
    os.chmod(real, 0o600)
    link = tmp_path / "efs-utils.conf"
    link.symlink_to("managed/efs-utils.conf")
    with patch_module_args(dict(path=str(link), settings={"mount": {"stunnel_cafile": CA}})):
        with pytest.raises(SystemExit):
            mod.main()
    result = json.loads(capsys.readouterr().out)
    assert result["changed"] is True, result
    assert link.is_symlink() and os.readlink(link) == "managed/efs-utils.conf"
    assert conf.read(real.read_text())["mount"]["stunnel_cafile"] == CA
    assert real.read_text().replace(CA, "/etc/amazon/efs/efs-utils.crt") == PACKAGED
    assert stat.S_IMODE(real.stat().st_mode) == 0o600
    assert sorted(p.name for p in real_dir.iterdir()) == ["efs-utils.conf"]

"""Region order, DNS names, state file names and the relay choice."""

from __future__ import annotations

import pytest

from efs_standin import common, mount


@pytest.mark.parametrize(
    "mountpoint,expected",
    [
        ("/mnt/efs", "mnt.efs"),
        ("/mnt/efs/", "mnt.efs"),
        ("/.efs", "efs"),
        ("/home/user/../data", "home.data"),
    ],
)
def test_file_safe_mountpoint(mountpoint, expected):
    assert common.file_safe_mountpoint(mountpoint) == expected


def test_mount_filename_matches_the_real_layout():
    assert common.mount_filename("fs-12345678", "/mnt/efs", 20529) == "fs-12345678.mnt.efs.20529"


def no_imds(_url):
    return None


def test_region_order(shipped_config):
    opts = {}
    env = {"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "eu-west-2"}
    shipped_config.set("mount", "region", "ap-south-1")
    assert mount.target_region(shipped_config, {"region": "us-west-2"}, env, no_imds) == "us-west-2"
    assert mount.target_region(shipped_config, opts, env, no_imds) == "eu-west-1"
    assert mount.target_region(shipped_config, opts, {"AWS_DEFAULT_REGION": "eu-west-2"}, no_imds) == "eu-west-2"
    assert mount.target_region(shipped_config, opts, {}, no_imds) == "ap-south-1"
    shipped_config.remove_option("mount", "region")
    assert mount.target_region(shipped_config, opts, {}, lambda url: {"region": "sa-east-1"}) == "sa-east-1"


def test_region_missing_everywhere_is_fatal(shipped_config):
    with pytest.raises(mount.Error) as err:
        mount.target_region(shipped_config, {}, {}, no_imds)
    assert err.value.message.startswith('Error retrieving region. Please set the "region" parameter')
    assert err.value.exit_code == 1


def test_malformed_region_option_is_rejected(shipped_config):
    with pytest.raises(mount.Error, match='Invalid "region" mount option'):
        mount.target_region(shipped_config, {"region": "US_EAST"}, {}, no_imds)


def test_dns_name_default_format_with_and_without_az(shipped_config):
    env = {"AWS_REGION": "us-east-1"}
    assert mount.dns_name(shipped_config, "fs-12345678", {}, env, no_imds) == "fs-12345678.efs.us-east-1.amazonaws.com"
    assert mount.dns_name(shipped_config, "fs-12345678", {"az": "us-east-1a"}, env, no_imds) == (
        "us-east-1a.fs-12345678.efs.us-east-1.amazonaws.com"
    )


def test_region_section_overrides_suffix(shipped_config):
    name = mount.dns_name(shipped_config, "fs-1", {"region": "cn-north-1"}, {}, no_imds)
    assert name == "fs-1.efs.cn-north-1.amazonaws.com.cn"


def test_dns_name_format_without_fs_id_is_refused(shipped_config):
    shipped_config.set("mount", "dns_name_format", "{az}.efs.{region}.{dns_name_suffix}")
    with pytest.raises(mount.Error, match="must include"):
        mount.dns_name(shipped_config, "fs-1", {}, {"AWS_REGION": "us-east-1"}, no_imds)


def test_match_device_splits_path(shipped_config):
    assert mount.match_device(shipped_config, "fs-12345678", {}) == ("fs-12345678", "/", None)
    assert mount.match_device(shipped_config, "fs-12345678:/a/b", {}) == ("fs-12345678", "/a/b", None)


def test_unresolvable_target_fails_with_the_fallback_reason(shipped_config, monkeypatch):
    def fail(*_args, **_kwargs):
        raise mount.socket.gaierror("no")

    monkeypatch.setattr(mount.socket, "getaddrinfo", fail)
    with pytest.raises(mount.Error) as err:
        mount.resolve_target(shipped_config, "fs-12345678", {"region": "us-east-1"})
    assert 'Failed to resolve "fs-12345678.efs.us-east-1.amazonaws.com"' in err.value.message
    assert "botocore" in err.value.message


def test_state_document_fields_and_order():
    cert = {
        "mountStateDir": "fs-1.mnt.efs.20529+",
        "commonName": "h",
        "region": "us-east-1",
        "certificateCreationTime": "250101000000Z",
        "certificate": "/var/run/efs/fs-1.mnt.efs.20529+/certificate.pem",
        "privateKey": "/etc/amazon/efs/privateKey.pem",
        "fsId": "fs-1",
    }
    doc = mount.state_document(
        435,
        ["/usr/bin/stunnel", "/var/run/efs/stunnel-config.fs-1.mnt.efs.20529"],
        ["/var/run/efs/stunnel-config.fs-1.mnt.efs.20529"],
        "/mnt/efs",
        cert,
        now=1.5,
    )
    assert list(doc)[:6] == ["pid", "cmd", "files", "mount_time", "mountpoint", "service_type"]
    assert doc["service_type"] == "elasticfilesystem"
    assert doc["mount_time"] == 1.5
    assert doc["fsId"] == "fs-1" and doc["privateKey"] == "/etc/amazon/efs/privateKey.pem"
    assert "certificate" not in mount.state_document(1, ["x"], [], "/m")

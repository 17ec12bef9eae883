"""mount.efs option parsing, the rejection matrix and the NFS options it hands to mount.nfs4."""

from __future__ import annotations

import pytest

from efs_standin import mount


def test_parse_options_keeps_order_values_and_spaces():
    opts = mount.parse_options("tls,region=us-east-1, iam,accesspoint=fsap-0123456789abcdef0")
    assert list(opts) == ["tls", "region", " iam", "accesspoint"]
    assert opts["tls"] is None
    assert opts["region"] == "us-east-1"
    # no trimming: " iam" is not "iam", so the iam rules do not see it
    assert "iam" not in opts


def test_parse_arguments_reads_device_mountpoint_and_options():
    device, mountpoint, opts, fake = mount.parse_arguments(
        ["mount.efs", "fs-12345678:/data", "/mnt/efs", "-o", "tls,stunnel"]
    )
    assert (device, mountpoint, fake) == ("fs-12345678:/data", "/mnt/efs", False)
    assert opts == {"tls": None, "stunnel": None}
    assert mount.parse_arguments(["mount.efs", "fs-1", "/m", "-f", "-o", "tls"])[3] is True


def test_parse_arguments_without_mountpoint_is_usage_error():
    with pytest.raises(mount.Error) as err:
        mount.parse_arguments(["mount.efs", "fs-12345678"])
    assert err.value.message.startswith("Usage: mount.efs")
    assert err.value.exit_code == 1


@pytest.mark.parametrize(
    "opts,message",
    [
        ("tls,port=2049", 'The "port" and "tls" options are mutually exclusive'),
        ("tls,tlsport=abc", "tlsport option [abc] is not an integer"),
        ("tls,ocsp,noocsp", 'The "ocsp" and "noocsp" options are mutually exclusive'),
        ("tls,notls", 'The "tls" and "notls" options are mutually exclusive'),
        ("accesspoint=fsap-0123456789abcdef0", 'The "tls" option is required when mounting via "accesspoint"'),
        ("tls,accesspoint=fsap-123", "Access Point ID fsap-123 is malformed"),
        ("iam", 'The "tls" option is required when mounting via "iam"'),
        ("tls,awsprofile=prod", 'The "iam" option is required when mounting with named profile option, "awsprofile"'),
        ("tls,awscredsuri=/v2/creds", 'The "iam" option is required when mounting with "awscredsuri"'),
        ("tls,iam,awscredsuri=/v2/c,awsprofile=p", 'The "awscredsuri" and "awsprofile" options are mutually exclusive'),
        ("tls,iam,awscredsuri=v2/c", "awscredsuri v2/c is malformed"),
    ],
)
def test_rejections(opts, message):
    with pytest.raises(mount.Error) as err:
        mount.check_options_validity(mount.parse_options(opts))
    assert err.value.message == message
    assert err.value.exit_code == 1


@pytest.mark.parametrize(
    "opts",
    [
        "tls",
        "tls,stunnel",
        "tls,iam",
        "tls,iam,awsprofile=p",
        "tls,accesspoint=fsap-0123456789abcdef0",
        "tls,ocsp",
        "notls",
        "port=2049",
        "ocsp,noocsp",
        "tls,tlsport=20100",
        "stunnel",
    ],
)
def test_accepted_combinations(opts):
    mount.check_options_validity(mount.parse_options(opts))


def test_capath_is_unsupported():
    with pytest.raises(mount.Error) as err:
        mount.check_unsupported_options(mount.parse_options("tls,capath=/etc/ssl"))
    assert err.value.message == 'Unsupported mount options detected: "capath"'


def test_mounttargetip_with_crossaccount_is_rejected():
    with pytest.raises(mount.Error, match="mounttargetip option is incompatible with crossaccount option."):
        mount.check_dns_options(mount.parse_options("tls,crossaccount,mounttargetip=10.0.0.1"))
    mount.check_dns_options(mount.parse_options("tls,mounttargetip=10.0.0.1"))


@pytest.mark.parametrize(
    "opts,cfg,expected",
    [
        ("tls,stunnel", "false", True),
        ("tls", "false", False),
        ("tls,ocsp", "false", True),
        ("tls", "true", True),
        ("tls,noocsp", "true", False),
    ],
)
def test_stunnel_mode_only_with_option_or_ocsp(shipped_config, opts, cfg, expected):
    shipped_config.set("mount", "stunnel_check_cert_validity", cfg)
    assert mount.stunnel_mode(shipped_config, mount.parse_options(opts)) is expected


def test_nfs_defaults_for_a_tls_mount():
    opts = mount.parse_options("tls,stunnel,region=us-east-1")
    opts["tlsport"] = 20529
    assert mount.nfs_mount_options(opts, stunnel=True) == (
        "nfsvers=4.1,rsize=1048576,wsize=1048576,hard,timeo=600,retrans=2,noresvport,port=20529"
    )


def test_user_nfs_options_win_and_helper_options_are_stripped():
    opts = mount.parse_options(
        "tls,stunnel,soft,vers=4.0,rsize=65536,noac,iam,accesspoint=fsap-0123456789abcdef0,_netdev"
    )
    opts["tlsport"] = 20100
    rendered = mount.nfs_mount_options(opts, stunnel=True).split(",")
    assert rendered[:4] == ["soft", "vers=4.0", "rsize=65536", "noac"]
    assert "hard" not in rendered and "nfsvers=4.1" not in rendered
    assert "_netdev" in rendered and "port=20100" in rendered
    assert not {"tls", "stunnel", "iam", "tlsport=20100"} & set(rendered)
    assert not [o for o in rendered if o.startswith("accesspoint")]


def test_non_tls_stunnel_mount_keeps_the_target_port():
    rendered = mount.nfs_mount_options(mount.parse_options("stunnel"), stunnel=True)
    assert "port=" not in rendered

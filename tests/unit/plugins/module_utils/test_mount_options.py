# -*- coding: utf-8 -*-
from __future__ import annotations

import pytest

from ansible_collections.aws_efs.transit.plugins.module_utils import _mount_options as mo

# ---------------------------------------------------------------- field validation


# The EFS API's pattern is fs-[0-9a-f]{8,40}; main's pattern took only 8 or 17 digits (this fails there).
@pytest.mark.parametrize("value", ["fs-12345678", "fs-123456789", "fs-0123456789abcdef0", "fs-" + "a" * 40])
def test_fs_id_accepts_the_api_pattern(value):
    assert mo.validate_fs_id(value) == value


@pytest.mark.parametrize(
    "value, message",
    [
        ("fs-1234567", "8 to 40 lowercase hex digits"),
        ("fs-" + "a" * 41, "8 to 40 lowercase hex digits"),
        ("fs-1234567G", "8 to 40 lowercase hex digits"),
        ("FS-12345678", "8 to 40 lowercase hex digits"),
        ("fs-12345678 ", "a space"),
        ("fs-12345678\n/ / ext4", "a newline"),
        ("fs-12345678,iam", "a comma"),
        ("fs-12345678#", "'#'"),
        ("", "empty"),
    ],
)
def test_fs_id_rejects(value, message):
    with pytest.raises(mo.OptionError, match=message):
        mo.validate_fs_id(value)


@pytest.mark.parametrize(
    "value, ok",
    [
        ("fsap-0123456789abcdef0", True),
        ("fsap-0123456789abcdef", False),  # 16 hex
        ("fsap-0123456789abcdef01", False),  # 18 hex
        ("fsap-0123456789ABCDEF0", False),  # the helper's regex is lowercase only
        ("fsap-0123456789abcdef0,tls", False),
        ("fsap-0123456789abcdef0=x", False),
    ],
)
def test_access_point_syntax(value, ok):
    if ok:
        assert mo.validate_access_point(value) == value
    else:
        with pytest.raises(mo.OptionError):
            mo.validate_access_point(value)


@pytest.mark.parametrize(
    "value, ok",
    [
        ("us-east-1", True),
        ("us-gov-west-1", True),
        ("cn-north-1", True),
        ("ap-southeast-5", True),
        ("eusc-de-east-1", True),
        ("us-east", False),
        ("US-EAST-1", False),
        ("us-east-1\n", False),
        ("us-east-1,iam", False),
        ("us east 1", False),
        ("us-east-1a", False),
    ],
)
def test_region_syntax(value, ok):
    if ok:
        assert mo.validate_region(value) == value
    else:
        with pytest.raises(mo.OptionError):
            mo.validate_region(value)


@pytest.mark.parametrize(
    "value, ok", [("us-east-1a", True), ("us-west-2-lax-1a", True), ("us-east-1", False), ("use1-az1 ", False)]
)
def test_az_syntax(value, ok):
    if ok:
        assert mo.validate_az(value) == value
    else:
        with pytest.raises(mo.OptionError):
            mo.validate_az(value)


@pytest.mark.parametrize(
    "value, ok",
    [
        ("default", True),
        ("team.app-1@prod", True),
        ("a b", False),
        ("a,b", False),
        ("a=b", False),
        ("a#b", False),
        ("a\tb", False),
    ],
)
def test_profile_syntax(value, ok):
    if ok:
        assert mo.validate_profile(value) == value
    else:
        with pytest.raises(mo.OptionError):
            mo.validate_profile(value)


def test_mount_target_ip():
    assert mo.validate_ip("10.0.1.25") == "10.0.1.25"
    assert mo.validate_ip("fd00::1") == "fd00::1"
    for bad in ("10.0.1.256", "10.0.1.25,port=1", "efs.example.com"):
        with pytest.raises(mo.OptionError):
            mo.validate_ip(bad)


@pytest.mark.parametrize(
    "value, expected",
    [
        ("/mnt/efs", "/mnt/efs"),
        ("/mnt/efs/", "/mnt/efs"),
        ("//mnt//efs", "/mnt/efs"),
        ("/mnt/./efs", "/mnt/efs"),
    ],
)
def test_path_is_normalised(value, expected):
    assert mo.validate_path(value) == expected


@pytest.mark.parametrize(
    "value, message",
    [
        ("mnt/efs", "absolute"),
        ("/", "must not be /"),
        ("/mnt/my efs", "a space"),
        ("/mnt/efs\n/ /x", "a newline"),
        ("/mnt/efs\t", "a tab"),
        ("/mnt/#efs", "'#'"),
        ("/mnt/efs,x", "a comma"),
        ("/mnt/a=b", "'='"),
        ("/mnt/a\\040b", "a backslash"),
    ],
)
def test_path_rejects(value, message):
    with pytest.raises(mo.OptionError, match=message):
        mo.validate_path(value)


def test_subpath_defaults_to_root_and_rejects_injection():
    assert mo.validate_subpath(None) == "/"
    assert mo.validate_subpath("/data/") == "/data"
    with pytest.raises(mo.OptionError, match="subpath"):
        mo.validate_subpath("/data /mnt/x efs")


# ---------------------------------------------------------------- parsing and rendering


def test_parse_accepts_string_and_list_forms():
    assert mo.parse_options("noac,actimeo=30") == [("noac", None), ("actimeo", "30")]
    assert mo.parse_options(["noac", "actimeo=30,lookupcache=pos"]) == [
        ("noac", None),
        ("actimeo", "30"),
        ("lookupcache", "pos"),
    ]
    assert mo.parse_options([]) == [] and mo.parse_options(None) == []


@pytest.mark.parametrize(
    "value, message",
    [
        ("noac,,ro", "empty item"),
        ("noac,", "empty item"),
        ("noac, ro", "a space"),
        ("noac\tro", "a tab"),
        ("ro\n/ / ext4", "a newline"),
        ("ro#x", "'#'"),
        ("a=b=c", "one non-empty value"),
        ("a=", "one non-empty value"),
        ("=a", "invalid name"),
        ('context="x"', "a quote"),
    ],
)
def test_parse_rejects(value, message):
    with pytest.raises(mo.OptionError, match=message):
        mo.parse_options(value)


def test_render_and_sets():
    opts = [("_netdev", None), ("tls", None), ("accesspoint", "fsap-0123456789abcdef0")]
    text = mo.render(opts)
    assert text == "_netdev,tls,accesspoint=fsap-0123456789abcdef0"
    assert mo.option_set(text) == mo.option_set(list(reversed(opts)))
    assert mo.option_set("tls,_netdev") == mo.option_set("_netdev,tls")
    assert mo.option_set("tls,_netdev,iam") != mo.option_set("_netdev,tls")


# ---------------------------------------------------------------- user options and the rejection matrix


@pytest.mark.parametrize(
    "value, message",
    [
        ("notls", "turns TLS off"),
        ("verify=0", "only verify=2"),
        ("verify=1", "only verify=2"),
        ("port=2049", "refuses port"),
        ("capath=/etc/ssl/certs", "does not support"),
        ("noocsp", "revocation"),
        ("nfsvers=3", "NFSv4 only"),
        ("iam", "iam parameter"),
        ("tls", "always added"),
        ("accesspoint=fsap-0123456789abcdef0", "access_point parameter"),
        ("stunnel", "relay=stunnel"),
        ("noauto", "boot=false"),
        ("nofail", "nofail parameter"),
        ("tlsport=abc", "tlsport=<port number>"),
        ("tlsport=70000", "tlsport=<port number>"),
        ("cafile=relative.pem", "absolute path"),
    ],
)
def test_user_options_that_weaken_or_duplicate_are_refused(value, message):
    with pytest.raises(mo.OptionError, match=message):
        mo.check_user_options(mo.parse_options(value))


def test_harmless_user_options_pass():
    opts = mo.parse_options("noac,actimeo=30,verify=2,tlsport=20444,cafile=/etc/pki/efs.pem,ocsp")
    assert mo.check_user_options(opts) == opts


@pytest.mark.parametrize(
    "opts, message",
    [
        ([("iam", None)], '"tls" option is required with "iam"'),
        ([("accesspoint", "fsap-0123456789abcdef0")], '"tls" option is required with "accesspoint"'),
        ([("tls", None), ("accesspoint", "fsap-xyz")], "malformed"),
        ([("tls", None), ("awsprofile", "p")], '"iam" option is required with "awsprofile"'),
        ([("tls", None), ("awscredsuri", "/v2/creds")], '"iam" option is required with "awscredsuri"'),
        ([("tls", None), ("iam", None), ("awscredsuri", "/x"), ("awsprofile", "p")], "mutually exclusive"),
        ([("tls", None), ("port", "2049")], '"port" and "tls"'),
        ([("tls", None), ("notls", None)], '"tls" and "notls"'),
        ([("tls", None), ("ocsp", None), ("noocsp", None)], '"ocsp" and "noocsp"'),
        ([("tls", None), ("mounttargetip", "10.0.0.1"), ("crossaccount", None)], '"mounttargetip" and "crossaccount"'),
        ([("tls", None), ("capath", "/x")], "capath"),
        ([("tls", None), ("verify", "0")], "verify=0"),
        ([("tls", None), ("iam", None), ("rolearn", "arn:aws:iam::1:role/r")], "together"),
    ],
)
def test_helper_rejection_matrix(opts, message):
    errors = mo.helper_rejections(opts)
    assert any(message in e for e in errors), errors


def test_helper_accepts_the_full_tls_set():
    opts = [
        ("tls", None),
        ("iam", None),
        ("accesspoint", "fsap-0123456789abcdef0"),
        ("awsprofile", "p"),
        ("verify", "2"),
    ]
    assert mo.helper_rejections(opts) == []


# ---------------------------------------------------------------- versions and relays


@pytest.mark.parametrize(
    "option, version, ok",
    [
        ("stunnel", (1, 36, 0), False),
        ("stunnel", (2, 0, 0), True),
        ("region", (2, 0, 1), False),
        ("region", (2, 1, 0), True),
        ("mounttargetip", (1, 31, 0), False),
        ("mounttargetip", (1, 31, 1), True),
        ("noac", (1, 0), True),
        ("stunnel", None, True),
    ],
)
def test_supports(option, version, ok):
    assert mo.supports(option, version) is ok


def test_build_options_order_and_flags():
    opts = mo.build_options(
        iam=True,
        access_point="fsap-0123456789abcdef0",
        aws_profile="app",
        region="eu-west-1",
        add_stunnel=True,
        boot=False,
        nofail=True,
        extra=[("noac", None)],
        version=(3, 2, 0),
    )
    assert mo.render(opts) == (
        "_netdev,tls,iam,accesspoint=fsap-0123456789abcdef0,awsprofile=app,region=eu-west-1,"
        "stunnel,noauto,nofail,noac"
    )


def test_build_options_minimal_and_no_duplicates():
    assert mo.render(mo.build_options(extra=[("noac", None), ("noac", None)])) == "_netdev,tls,noac"


def test_build_options_refuses_what_the_installed_helper_does_not_know():
    with pytest.raises(mo.OptionError, match="1.36.0 does not know the option.*region"):
        mo.build_options(region="us-east-1", version=(1, 36, 0))
    with pytest.raises(mo.OptionError, match='"iam" option is required with "awsprofile"'):
        mo.build_options(aws_profile="p")


def test_mount_command_drops_fstab_only_options():
    opts = mo.build_options(boot=False, nofail=True, extra=[("noac", None)])
    assert mo.render(mo.mount_command_options(opts)) == "tls,noac"

"""The tunnel config file: keys, order, and what depends on stunnel's -help output."""

from __future__ import annotations

import pytest

from efs_standin import mount

HELP_5 = [
    "foreground             = yes|quiet|no foreground mode (don't fork, log to stderr)",
    "checkHost              = peer certificate host name pattern",
    "libwrap                = yes|no use /etc/hosts.allow and /etc/hosts.deny",
    "OCSPaia                = yes|no check the AIA responders from certificates",
]
HELP_456 = ["foreground             = yes|no foreground mode (don't fork, log to stderr)"]


@pytest.fixture
def ctx(tmp_path):
    cafile = tmp_path / "ca.pem"
    cafile.write_text("ca")
    return {
        "fs_id": "fs-12345678",
        "mountpoint": "/mnt/efs",
        "port": 20529,
        "dns_name": "fs-12345678.efs.us-east-1.amazonaws.com",
        "fallback_ip": None,
        "options": {"tls": None, "stunnel": None, "cafile": str(cafile)},
        "region": "us-east-1",
        "state_dir": "/var/run/efs",
        "cert": {
            "certificate": "/var/run/efs/fs-12345678.mnt.efs.20529+/certificate.pem",
            "privateKey": "/etc/amazon/efs/privateKey.pem",
        },
    }


def render(config, ctx, help_lines=None, stunnel=True):
    lines = HELP_5 if help_lines is None else help_lines
    return mount.render_tunnel_config(*mount.tunnel_config(config, ctx, lines, stunnel, environ={}))


def test_tls_stunnel_config(shipped_config, ctx):
    text = render(shipped_config, ctx)
    assert text.splitlines() == [
        "fips = no",
        "foreground = quiet",
        "socket = l:SO_REUSEADDR=yes",
        "socket = a:SO_BINDTODEVICE=lo",
        "pid = /var/run/efs/fs-12345678.mnt.efs.20529+/stunnel.pid",
        "[efs]",
        "client = yes",
        "accept = 127.0.0.1:20529",
        "connect = fs-12345678.efs.us-east-1.amazonaws.com:2049",
        "sslVersion = TLSv1.2",
        "renegotiation = no",
        "TIMEOUTbusy = 20",
        "TIMEOUTclose = 0",
        "TIMEOUTidle = 70",
        "delay = yes",
        "verify = 2",
        "CAfile = %s" % ctx["options"]["cafile"],
        "cert = /var/run/efs/fs-12345678.mnt.efs.20529+/certificate.pem",
        "key = /etc/amazon/efs/privateKey.pem",
        "checkHost = fs-12345678.efs.us-east-1.amazonaws.com",
        "libwrap = no",
    ]
    assert not text.endswith("\n")


def test_check_host_drops_the_az_prefix(shipped_config, ctx):
    ctx["dns_name"] = "us-east-1a.fs-12345678.efs.us-east-1.amazonaws.com"
    assert "checkHost = fs-12345678.efs.us-east-1.amazonaws.com" in render(shipped_config, ctx).splitlines()


def test_old_stunnel_without_check_host_is_refused(shipped_config, ctx):
    with pytest.raises(mount.Error) as err:
        render(shipped_config, ctx, HELP_456)
    assert "lacks sufficient controls" in err.value.message
    assert "stunnel_check_cert_hostname" in err.value.message


def test_old_stunnel_is_fine_when_hostname_check_is_off(shipped_config, ctx):
    shipped_config.set("mount", "stunnel_check_cert_hostname", "false")
    lines = render(shipped_config, ctx, HELP_456).splitlines()
    assert "foreground = yes" in lines
    assert not [line for line in lines if line.startswith(("checkHost", "libwrap"))]


def test_ocsp_adds_ocspaia_or_is_refused(shipped_config, ctx):
    ctx["options"]["ocsp"] = None
    assert "OCSPaia = yes" in render(shipped_config, ctx).splitlines()
    with pytest.raises(mount.Error, match="stunnel_check_cert_validity"):
        render(shipped_config, ctx, [HELP_5[1]])


def test_verify_zero_drops_the_ca(shipped_config, ctx):
    ctx["options"]["verify"] = "0"
    lines = render(shipped_config, ctx).splitlines()
    assert "verify = 0" in lines
    assert not [line for line in lines if line.startswith("CAfile")]


def test_ca_from_config_and_missing_ca(shipped_config, ctx, tmp_path):
    del ctx["options"]["cafile"]
    shipped_config.set("mount", "stunnel_cafile", str(tmp_path / "missing.pem"))
    with pytest.raises(mount.Error) as err:
        render(shipped_config, ctx)
    assert err.value.message == "Failed to find certificate authority file for verification"
    (tmp_path / "missing.pem").write_text("x")
    assert "CAfile = %s" % (tmp_path / "missing.pem") in render(shipped_config, ctx).splitlines()


def test_fips_and_debug(shipped_config, ctx):
    shipped_config.set("mount", "fips_mode_enabled", "true")
    shipped_config.set("mount", "stunnel_debug_enabled", "true")
    lines = render(shipped_config, ctx).splitlines()
    assert lines[0] == "fips = yes"
    assert "foreground = yes" in lines and "debug = debug" in lines
    assert [
        line
        for line in lines
        if line.startswith("output = ") and line.endswith("fs-12345678.mnt.efs.20529.stunnel.log")
    ]


def test_mounttargetip_goes_into_connect(shipped_config, ctx):
    ctx["fallback_ip"] = "10.0.0.5"
    lines = render(shipped_config, ctx).splitlines()
    assert "connect = 10.0.0.5:2049" in lines
    assert "checkHost = fs-12345678.efs.us-east-1.amazonaws.com" in lines


def test_efs_proxy_mode_keys(shipped_config, ctx):
    lines = render(shipped_config, ctx, [], stunnel=False).splitlines()
    assert "foreground = yes" in lines
    assert "fs_id = fs-12345678" in lines and "efs_utils_version = 3.2.0" in lines
    assert "checkHost = fs-12345678.efs.us-east-1.amazonaws.com" in lines

# -*- coding: utf-8 -*-
from __future__ import annotations

import pytest

from ansible_collections.aws_efs.transit.plugins.module_utils import _efs_utils_conf as conf
from ansible_collections.aws_efs.transit.plugins.module_utils._efs_utils_conf import IniValueError, set_keys

# Shaped like the packaged efs-utils.conf: comments, commented examples, two sections.
CONF = """#
# A header comment, as the packaged file has one.
#

[DEFAULT]
logging_level = INFO

[mount]
dns_name_format = {az}.{fs_id}.efs.{region}.{dns_name_suffix}
stunnel_debug_enabled = false
#Uncomment the line below to set the region
#region = us-east-1

# Validate the certificate hostname on mount.
stunnel_check_cert_hostname = true
stunnel_cafile = /etc/amazon/efs/efs-utils.crt

[mount-watchdog]
enabled = true
poll_interval_sec = 1
"""


def test_no_change_is_byte_identical():
    text, changes = set_keys(CONF, {"mount": {"stunnel_check_cert_hostname": True}})
    assert text == CONF
    assert changes == []


def test_existing_key_changes_only_its_value():
    text, changes = set_keys(CONF, {"mount": {"stunnel_cafile": "/etc/amazon/efs/efs-transit-ca.pem"}})
    assert changes == [
        {
            "section": "mount",
            "key": "stunnel_cafile",
            "before": "/etc/amazon/efs/efs-utils.crt",
            "after": "/etc/amazon/efs/efs-transit-ca.pem",
        }
    ]
    assert text == CONF.replace("/etc/amazon/efs/efs-utils.crt", "/etc/amazon/efs/efs-transit-ca.pem")


def test_missing_key_goes_after_its_commented_example():
    text, changes = set_keys(CONF, {"mount": {"region": "eu-west-1"}})
    assert "#region = us-east-1\nregion = eu-west-1\n\n# Validate" in text
    assert changes[0]["before"] is None
    # Everything else is untouched: removing our line gives the original back.
    assert text.replace("region = eu-west-1\n", "", 1) == CONF


def test_missing_key_without_example_goes_at_section_end():
    text, _changes = set_keys(CONF, {"mount-watchdog": {"unmount_grace_period_sec": 30}})
    assert text == CONF + "unmount_grace_period_sec = 30\n"
    text, _changes = set_keys(CONF, {"mount": {"port_range_lower_bound": 20049}})
    assert "stunnel_cafile = /etc/amazon/efs/efs-utils.crt\nport_range_lower_bound = 20049\n\n[mount-watchdog]" in text


def test_missing_section_is_appended_and_no_trailing_newline_kept_safe():
    text, changes = set_keys("[mount]\nregion = x", {"client-info": {"source": "ansible"}})
    assert text == "[mount]\nregion = x\n\n[client-info]\nsource = ansible\n"
    assert changes == [{"section": "client-info", "key": "source", "before": None, "after": "ansible"}]


def test_key_case_spacing_and_crlf_are_kept():
    text, _changes = set_keys("[mount]\r\n  Region:us-east-1\r\n", {"mount": {"region": "eu-west-1"}})
    assert text == "[mount]\r\n  Region:eu-west-1\r\n"


def test_booleans_and_none():
    text, changes = set_keys(CONF, {"mount": {"stunnel_debug_enabled": True, "region": None}})
    assert "stunnel_debug_enabled = true" in text and "\nregion =" not in text
    assert [c["key"] for c in changes] == ["stunnel_debug_enabled"]


def test_key_in_another_section_is_not_touched():
    text, _changes = set_keys(CONF, {"mount-watchdog": {"stunnel_cafile": "/x"}})
    assert "stunnel_cafile = /etc/amazon/efs/efs-utils.crt" in text
    assert text.endswith("poll_interval_sec = 1\nstunnel_cafile = /x\n")


def test_many_keys_one_pass():
    text, changes = set_keys(
        CONF,
        {
            "mount": {"region": "us-west-2", "fips_mode_enabled": False},
            "mount-watchdog": {"enabled": True, "poll_interval_sec": 2},
        },
    )
    assert {(c["section"], c["key"]) for c in changes} == {
        ("mount", "region"),
        ("mount", "fips_mode_enabled"),
        ("mount-watchdog", "poll_interval_sec"),
    }
    again, changes2 = set_keys(
        text,
        {
            "mount": {"region": "us-west-2", "fips_mode_enabled": False},
            "mount-watchdog": {"enabled": True, "poll_interval_sec": 2},
        },
    )
    assert again == text and changes2 == []


@pytest.mark.parametrize(
    "settings",
    [
        {"mount": {"region": "us-east-1\nstunnel_check_cert_hostname = false"}},
        {"mount": {"region": " us-east-1"}},
        {"mount]\n[x": {"a": "b"}},
        {"mount": {"bad key": "b"}},
        {"mount": {"k=v": "b"}},
        {"mount": "notadict"},
    ],
)
def test_injection_is_refused(settings):
    with pytest.raises(IniValueError):
        set_keys(CONF, settings)


def test_read_like_configparser():
    text = (
        "# comment\n[DEFAULT]\nlogging_level = INFO\n[mount]\nRegion = us-east-1\n#region = eu-west-1\n"
        "stunnel_check_cert_hostname=false\n\n[mount-watchdog]\nenabled : true\n[mount.eu-west-1]\nregion = eu-west-1\n"
    )
    parsed = conf.read(text)
    assert parsed["mount"] == {"region": "us-east-1", "stunnel_check_cert_hostname": "false", "logging_level": "INFO"}
    assert parsed["mount-watchdog"] == {"enabled": "true", "logging_level": "INFO"}
    assert parsed["DEFAULT"] == {"logging_level": "INFO"}
    assert conf.mount_value(parsed, "region") == "us-east-1"
    assert conf.mount_value(parsed, "region", region="eu-west-1") == "eu-west-1"
    assert conf.mount_value(parsed, "region", region="us-west-2") == "us-east-1"


@pytest.mark.parametrize(
    "text",
    [
        "[mount]\nregion = us-east-1\nregion = eu-west-1\n",  # duplicate key
        "[mount]\nregion = a\n[mount]\nregion = b\n",  # duplicate section
        "[mount]\ngarbage line\n",
        "region = us-east-1\n",  # no section header
    ],
)
def test_read_refuses_what_the_helper_cannot_read(text):
    # The helper's configparser raises on these; main's parse_ini quietly took the first value.
    with pytest.raises(IniValueError, match="cannot read"):
        conf.read(text)


@pytest.mark.parametrize(
    "value, expected",
    [("true", True), ("Yes", True), ("1", True), ("off", False), ("0", False), (None, None), ("maybe", None)],
)
def test_ini_bool(value, expected):
    assert conf.ini_bool(value) is expected


def test_mount_value_is_the_helpers_lookup():
    parsed = conf.read(
        "[DEFAULT]\nlogging_level = INFO\n[mount]\nregion = cn-north-1\ndns_name_suffix = amazonaws.com\n"
        "stunnel_cafile = /m.pem\n[mount.cn-north-1]\ndns_name_suffix = amazonaws.com.cn\n"
    )
    assert conf.mount_section(parsed, "cn-north-1") == "mount.cn-north-1"
    assert conf.mount_section(parsed, "us-east-1") == conf.mount_section(parsed) == "mount"
    # stunnel_cafile: the region section only (absent there: the helper's default, not [mount]'s).
    assert conf.mount_value(parsed, "stunnel_cafile", "cn-north-1") is None
    assert conf.mount_value(parsed, "stunnel_cafile", "us-east-1") == "/m.pem"
    # dns_name_suffix: the region section, then [mount].
    assert conf.mount_value(parsed, "dns_name_suffix", "cn-north-1", fallback=True) == "amazonaws.com.cn"
    assert conf.mount_value(parsed, "region", "cn-north-1", fallback=True) == "cn-north-1"
    assert conf.mount_value(parsed, "stunnel_cafile", "cn-north-1", fallback=True) == "/m.pem"
    # [DEFAULT] backs a section, as in configparser, also in a hand-made dict.
    assert conf.mount_value(parsed, "logging_level", "cn-north-1") == "INFO"
    assert conf.mount_value({"DEFAULT": {"x": "1"}, "mount": {}}, "x") == "1"
    # ... but without a [mount] section there is no value (main returned [DEFAULT]'s).
    assert conf.mount_value({"DEFAULT": {"x": "1"}}, "x") is None
    assert conf.mount_value({}, "x") is None

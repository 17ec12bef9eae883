# -*- coding: utf-8 -*-
# Copyright: contributors to aws_efs.transit
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The EFS mount helper's option matrix, as pure functions.

Everything here works on plain data so it can be tested without a host:
parse and validate user input, decide which helper options a given helper
version understands, render the option field of an fstab line and compare
option fields as sets.
"""

from __future__ import annotations

import ipaddress
import re

from ansible_collections.aws_efs.transit.plugins.module_utils._files import normalize_path
from ansible_collections.aws_efs.transit.plugins.module_utils._helper import version_text
from ansible_collections.aws_efs.transit.plugins.module_utils._ids import FS_ID_DESCRIPTION, FS_ID_RE

# First helper release that strips each option before calling mount.nfs4.
# Older helpers hand unknown options to mount.nfs4, which then fails with
# "incorrect mount option" (derived from the tags of aws/efs-utils).
OPTION_MIN_VERSION = {
    "tls": (1, 0),
    "verify": (1, 0),
    "cafile": (1, 0),
    "tlsport": (1, 0),
    "ocsp": (1, 10),
    "noocsp": (1, 10),
    "iam": (1, 18),
    "accesspoint": (1, 18),
    "awsprofile": (1, 18),
    "awscredsuri": (1, 23),
    "netns": (1, 23),
    "az": (1, 30, 1),
    "notls": (1, 30, 2),
    "mounttargetip": (1, 31, 1),
    "rolearn": (1, 35),
    "jwtpath": (1, 35),
    "crossaccount": (1, 36),
    "stunnel": (2, 0),
    "region": (2, 1),
}

# Options that have their own module parameter; accepting them in `options`
# too would give two sources of truth for the same thing.
MANAGED_OPTIONS = {
    "tls": "always added by the module",
    "iam": "use the iam parameter",
    "accesspoint": "use the access_point parameter",
    "awsprofile": "use the efs_utils_aws_profile parameter",
    "region": "use the region parameter",
    "mounttargetip": "use the mount_target_ip parameter",
    "az": "use the az parameter",
    "stunnel": "use relay=stunnel",
    "noauto": "use boot=false",
    "auto": "use boot=true",
    "nofail": "use the nofail parameter",
    "_netdev": "always added by the module",
}

# Options that would turn TLS off, weaken it, or that the helper refuses with tls.
FORBIDDEN_OPTIONS = {
    "notls": "it turns TLS off",
    "port": "the helper refuses port with tls; use tlsport to pick the local relay port",
    "capath": "the helper does not support it",
    "noocsp": "it turns off certificate revocation checks configured on the host",
    "nfsvers=3": "EFS speaks NFSv4 only",
    "vers=3": "EFS speaks NFSv4 only",
}

ACCESS_POINT_RE = re.compile(r"^fsap-[0-9a-f]{17}$")
REGION_RE = re.compile(r"^[a-z]{2,4}(?:-[a-z]+)+-[0-9]{1,2}$")
AZ_RE = re.compile(r"^[a-z]{2,4}(?:-[a-z0-9]+)+[a-z]$")
PROFILE_RE = re.compile(r"^[A-Za-z0-9_.@+-]{1,128}$")
OPTION_KEY_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
# Printable, no whitespace, none of the characters that end or split an fstab
# field or an option list, no quotes or backslashes (fstab escapes).
_UNSAFE_VALUE_RE = re.compile(r'[\s,=#"\'\\]|[\x00-\x1f\x7f]')
_UNSAFE_PATH_RE = re.compile(r'[\s,=#"\'\\]|[\x00-\x1f\x7f]')


class OptionError(ValueError):
    """Input that must never reach fstab or the helper."""


def supports(option_key, version):
    """True when helper `version` strips `option_key` itself (unknown keys are NFS options)."""
    minimum = OPTION_MIN_VERSION.get(option_key)
    if minimum is None or version is None:
        return True
    return tuple(version) >= minimum


def _describe(char):
    names = {
        " ": "a space",
        "\t": "a tab",
        "\n": "a newline",
        "\r": "a carriage return",
        ",": "a comma",
        "=": "'='",
        "#": "'#'",
        "\\": "a backslash",
        '"': "a quote",
        "'": "a quote",
    }
    return names.get(char, "the character %r" % char)


def _first_unsafe(value, pattern):
    m = pattern.search(value)
    return m.group(0) if m else None


def check_field(name, value, pattern=_UNSAFE_VALUE_RE):
    bad = _first_unsafe(value, pattern)
    if bad is not None:
        raise OptionError("%s must not contain %s: %r" % (name, _describe(bad), value))
    if value == "":
        raise OptionError("%s must not be empty" % name)


def validate_fs_id(value):
    check_field("file_system_id", value)
    if not FS_ID_RE.match(value):
        raise OptionError(
            "file_system_id must be %s (fs-0123abcd, fs-0123456789abcdef0), got %r" % (FS_ID_DESCRIPTION, value)
        )
    return value


def validate_access_point(value):
    check_field("access_point", value)
    if not ACCESS_POINT_RE.match(value):
        raise OptionError("access_point must be fsap- followed by 17 lowercase hex digits, got %r" % value)
    return value


def validate_region(value):
    check_field("region", value)
    if not REGION_RE.match(value):
        raise OptionError("region must look like us-east-1, got %r" % value)
    return value


def validate_az(value):
    check_field("az", value)
    if not AZ_RE.match(value):
        raise OptionError("az must be an availability zone name such as us-east-1a, got %r" % value)
    return value


def validate_profile(value):
    check_field("efs_utils_aws_profile", value)
    if not PROFILE_RE.match(value):
        raise OptionError("efs_utils_aws_profile may hold only letters, digits and _ . @ + -, got %r" % value)
    return value


def validate_ip(value):
    check_field("mount_target_ip", value)
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise OptionError("mount_target_ip must be an IP address, got %r" % value) from None


def validate_path(value, name="path"):
    """An absolute, normalised mount point without characters that break fstab."""
    check_field(name, value, _UNSAFE_PATH_RE)
    if not value.startswith("/"):
        raise OptionError("%s must be absolute, got %r" % (name, value))
    norm = normalize_path(value)
    if name == "path" and norm == "/":
        raise OptionError("path must not be /")
    return norm


def validate_subpath(value):
    return validate_path(value or "/", name="subpath")


def parse_options(value):
    """Options as a list of (key, value-or-None); accepts a comma string or a list of them.

    The helper splits on ',' without trimming, so whitespace is an error, not
    something to clean up.
    """
    if value is None:
        return []
    items = [value] if isinstance(value, str) else list(value)
    # An empty string (Ansible turns it into ['']) means no options; empty items elsewhere are typos.
    if items == [""]:
        return []
    result = []
    for item in items:
        if not isinstance(item, str):
            raise OptionError("options must be strings, got %r" % (item,))
        for token in item.split(","):
            result.append(parse_token(token))
    return result


def parse_token(token):
    if token == "":
        raise OptionError("options contain an empty item (two commas in a row or a trailing comma)")
    bad = re.search(r'[\s#"\'\\]|[\x00-\x1f\x7f]', token)
    if bad:
        raise OptionError("option %r must not contain %s" % (token, _describe(bad.group(0))))
    key, sep, val = token.partition("=")
    if not OPTION_KEY_RE.match(key):
        raise OptionError("option %r has an invalid name" % token)
    if sep and ("=" in val or val == ""):
        raise OptionError("option %r must be name or name=value with one non-empty value" % token)
    return (key, val if sep else None)


def token_text(key, val):
    return key if val is None else "%s=%s" % (key, val)


def render(options):
    return ",".join(token_text(k, v) for k, v in options)


def option_set(text_or_list):
    """Canonical set of an option field, for order-insensitive comparison."""
    if isinstance(text_or_list, str):
        # Foreign fstab lines are compared, never rejected, so split leniently.
        tokens = [t for t in text_or_list.split(",") if t != ""]
        return frozenset(tokens)
    return frozenset(token_text(k, v) for k, v in text_or_list)


def check_user_options(options):
    """Reject extra options that weaken TLS or duplicate a parameter. Returns the list unchanged."""
    for key, val in options:
        text = token_text(key, val)
        if key in MANAGED_OPTIONS:
            raise OptionError("option %r is not allowed in options: %s" % (text, MANAGED_OPTIONS[key]))
        if key in FORBIDDEN_OPTIONS:
            raise OptionError("option %r is refused: %s" % (text, FORBIDDEN_OPTIONS[key]))
        if text in FORBIDDEN_OPTIONS:
            raise OptionError("option %r is refused: %s" % (text, FORBIDDEN_OPTIONS[text]))
        if key == "verify" and val != "2":
            raise OptionError("option %r is refused: only verify=2 keeps certificate checking on" % text)
        if key == "tlsport" and (val is None or not val.isdigit() or not 0 < int(val) < 65536):
            raise OptionError("option %r must be tlsport=<port number>" % text)
        if key in ("cafile", "jwtpath", "netns") and (val is None or not val.startswith("/")):
            raise OptionError("option %r needs an absolute path" % text)
        if key == "awscredsuri" and (val is None or not val.startswith("/")):
            raise OptionError("option %r must start with /" % text)
    return options


def helper_rejections(options):
    """The combinations mount.efs refuses, checked before anything is touched."""
    keys = {}
    for key, val in options:
        keys.setdefault(key, val)
    errors = []
    if "tls" in keys:
        if "port" in keys:
            errors.append('the "port" and "tls" options are mutually exclusive')
        if "notls" in keys:
            errors.append('the "tls" and "notls" options are mutually exclusive')
        if "ocsp" in keys and "noocsp" in keys:
            errors.append('the "ocsp" and "noocsp" options are mutually exclusive')
    if "accesspoint" in keys:
        if "tls" not in keys:
            errors.append('the "tls" option is required with "accesspoint"')
        if not ACCESS_POINT_RE.match(keys["accesspoint"] or ""):
            errors.append("access point id %s is malformed" % keys["accesspoint"])
    if "iam" in keys and "tls" not in keys:
        errors.append('the "tls" option is required with "iam"')
    if "awsprofile" in keys and "iam" not in keys:
        errors.append('the "iam" option is required with "awsprofile" (set iam=true)')
    if "awscredsuri" in keys:
        if "iam" not in keys:
            errors.append('the "iam" option is required with "awscredsuri" (set iam=true)')
        if "awsprofile" in keys:
            errors.append('the "awscredsuri" and "awsprofile" options are mutually exclusive')
    for key in ("rolearn", "jwtpath"):
        if key in keys and "iam" not in keys:
            errors.append('the "iam" option is required with "%s" (set iam=true)' % key)
    if ("rolearn" in keys) != ("jwtpath" in keys):
        errors.append('"rolearn" and "jwtpath" must be given together')
    if "mounttargetip" in keys and "crossaccount" in keys:
        errors.append('the "mounttargetip" and "crossaccount" options are mutually exclusive')
    if "capath" in keys:
        errors.append('the helper does not support "capath"')
    if keys.get("verify", "2") != "2" and "verify" in keys:
        errors.append("verify=%s turns certificate checking off" % keys["verify"])
    return errors


def build_options(
    iam=False,
    access_point=None,
    aws_profile=None,
    region=None,
    mount_target_ip=None,
    az=None,
    add_stunnel=False,
    boot=True,
    nofail=False,
    extra=(),
    version=None,
):
    """The option list for fstab, in the documented order. Validates the whole set."""
    opts = [("_netdev", None), ("tls", None)]
    if iam:
        opts.append(("iam", None))
    if access_point:
        opts.append(("accesspoint", access_point))
    if aws_profile:
        opts.append(("awsprofile", aws_profile))
    if region:
        opts.append(("region", region))
    if mount_target_ip:
        opts.append(("mounttargetip", mount_target_ip))
    if az:
        opts.append(("az", az))
    if add_stunnel:
        opts.append(("stunnel", None))
    if not boot:
        opts.append(("noauto", None))
    if nofail:
        opts.append(("nofail", None))
    seen = set(token_text(k, v) for k, v in opts)
    for key, val in extra:
        text = token_text(key, val)
        if text not in seen:
            opts.append((key, val))
            seen.add(text)
    errors = helper_rejections(opts)
    too_new = sorted(k for k, _v in opts if not supports(k, version))
    if too_new:
        errors.append(
            "amazon-efs-utils %s does not know the option(s) %s and would pass them to mount.nfs4, "
            "which fails; upgrade the helper or drop the parameter(s)" % (version_text(version), ", ".join(too_new))
        )
    if errors:
        raise OptionError("; ".join(errors))
    return opts


# mount(8) handles these itself; an explicit `mount -t efs` should fail loudly instead of skipping.
_FSTAB_ONLY = frozenset(["_netdev", "noauto", "auto", "nofail"])


def mount_command_options(options):
    # x-* options are for userspace (systemd's fstab generator); mount(8) never hands them to a helper.
    return [(k, v) for k, v in options if k not in _FSTAB_ONLY and not k.startswith("x-")]

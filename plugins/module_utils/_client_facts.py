# -*- coding: utf-8 -*-
# Copyright: aws_efs.transit contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure helpers behind efs_client_info: parse what a client host says about
efs-utils, stunnel and the watchdog, and decide which relay mounts will use.

Nothing here runs commands or touches files; the module feeds it text.
"""

from __future__ import annotations

import re

_VERSION_RE = re.compile(r"^\s*(?:\d+:)?(\d+(?:\.\d+)*)")
_STUNNEL_VERSION_RE = re.compile(r"^\s*stunnel\s+(\d+(?:\.\d+)+)", re.MULTILINE)
# stunnel -help lists one option per line: "checkHost   = peer certificate host name pattern".
_HELP_OPTION_RE = re.compile(r"^\s*([A-Za-z][A-Za-z0-9_]*)\s+=", re.MULTILINE)

RELAYS = ("stunnel", "efs-proxy")


def version_tuple(version):
    """Leading numeric part of a package or upstream version as a tuple of ints.

    Epochs ("1:") and Debian/RPM revisions or pre-release tails ("-1", "~standin1",
    ".amzn2023") after the numeric part are ignored. Returns () when there is no number.
    """
    if not version:
        return ()
    match = _VERSION_RE.match(str(version).lstrip("vV"))
    if not match:
        return ()
    return tuple(int(part) for part in match.group(1).split("."))


def version_matches(installed, pinned):
    """True when the installed package version is the pinned upstream version.

    "3.2.0" matches "3.2.0", "3.2.0-1", "1:3.2.0-1ubuntu1", "3.2.0~standin1" and
    "3.2.0-1.amzn2023", never "3.2.01" or "3.2.0.1". A pin of None accepts any
    installed version.
    """
    if installed is None:
        return False
    if pinned in (None, ""):
        return True
    pinned = str(pinned).lstrip("vV")
    text = str(installed)
    if ":" in text.split("-", 1)[0]:
        text = text.split(":", 1)[1]
    if not text.startswith(pinned):
        return False
    rest = text[len(pinned) :]
    return rest == "" or rest[0] in "-~+_"


def parse_package_query(output, package_format):
    """Version from one `dpkg-query -W -f='${Status}\\t${Version}'` or `rpm -q --qf '%{VERSION}-%{RELEASE}'`.

    Returns None when the package is not installed (dpkg keeps "deinstall ok
    config-files" records for removed packages: those count as absent).
    """
    text = (output or "").strip()
    if not text:
        return None
    if package_format == "deb":
        status, _sep, version = text.partition("\t")
        if not status.endswith(" installed") or not version.strip():
            return None
        return version.strip()
    if package_format == "rpm":
        if "not installed" in text:
            return None
        return text.splitlines()[0].strip() or None
    raise ValueError("unknown package format %r" % (package_format,))


def parse_stunnel_help(text):
    """Facts from one `stunnel -help` run (stunnel prints to stderr; pass both streams).

    Returns dict(version, check_host, ocsp_aia). efs-utils itself decides
    checkHost/OCSPaia support by looking for those words in the same output.
    """
    text = text or ""
    match = _STUNNEL_VERSION_RE.search(text)
    options = set(_HELP_OPTION_RE.findall(text))
    return {
        "version": match.group(1) if match else None,
        "check_host": "checkHost" in options,
        "ocsp_aia": "OCSPaia" in options,
    }


def parse_systemctl_show(text):
    """Parse `systemctl show -p LoadState -p UnitFileState -p ActiveState UNIT`.

    Returns dict(exists, enabled, active, unit_file_state, active_state).
    """
    values = {}
    for line in (text or "").splitlines():
        key, sep, value = line.partition("=")
        if sep:
            values[key.strip()] = value.strip()
    load_state = values.get("LoadState", "")
    unit_file_state = values.get("UnitFileState") or None
    active_state = values.get("ActiveState") or None
    exists = load_state not in ("", "not-found")
    return {
        "exists": exists,
        "enabled": exists and unit_file_state in ("enabled", "enabled-runtime", "static", "alias", "indirect"),
        "active": exists and active_state in ("active", "reloading"),
        "unit_file_state": unit_file_state,
        "active_state": active_state,
    }


def parse_ini(text):
    """Read an INI text the way Python's ConfigParser does for simple files.

    Section and key names are lower-cased for keys (ConfigParser's optionxform),
    comments (#, ;) and blank lines are skipped, and the first value of a key wins.
    Returns {section: {key: value}}. Never raises: a malformed line is ignored.
    """
    sections = {}
    current = None
    for raw in (text or "").splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1].strip(), {})
            continue
        if current is None:
            continue
        match = re.match(r"([^=:]+?)\s*[=:]\s*(.*)$", line)
        if match:
            current.setdefault(match.group(1).strip().lower(), match.group(2).strip())
    return sections


def ini_bool(value, default=None):
    """ConfigParser.getboolean's reading of a value, or default when unset/unknown."""
    if value is None:
        return default
    lowered = str(value).strip().lower()
    if lowered in ("1", "yes", "true", "on"):
        return True
    if lowered in ("0", "no", "false", "off"):
        return False
    return default


def select_relay(requested, version, efs_proxy_path, ocsp=False):
    """Which TLS relay mounts will use, and why.

    efs-utils 1.x only has stunnel. From 2.0 efs-proxy is the relay unless the
    `stunnel` mount option is given or OCSP checking is on; there is no fallback
    when efs-proxy is missing, so "auto" picks stunnel then (the caller adds the
    `stunnel` option). Returns (relay or None, reason, problem or None).
    """
    if requested not in ("auto",) + RELAYS:
        raise ValueError("relay must be auto, stunnel or efs-proxy, not %r" % (requested,))
    ver = version_tuple(version)
    if not ver:
        if requested == "auto":
            return None, "efs-utils is not installed: the relay is decided after installation", None
        return requested, "requested; efs-utils is not installed yet", None
    if ver < (2,):
        if requested == "efs-proxy":
            return (
                None,
                "efs-utils %s has no efs-proxy" % version,
                (
                    "efs_client_relay is efs-proxy but efs-utils %s only supports stunnel: "
                    "install efs-utils 2.0 or later, or use relay stunnel/auto" % version
                ),
            )
        return "stunnel", "efs-utils %s (1.x) always relays through stunnel" % version, None
    if requested == "stunnel":
        return "stunnel", "requested (the helper's stunnel option)", None
    if ocsp:
        if requested == "efs-proxy":
            return (
                None,
                "OCSP checking needs stunnel",
                (
                    "efs_client_relay is efs-proxy but certificate validity (OCSP) checking is on, "
                    "which efs-utils only does through stunnel"
                ),
            )
        return "stunnel", "OCSP certificate validity checking needs stunnel", None
    if efs_proxy_path:
        return "efs-proxy", "efs-utils %s with efs-proxy at %s" % (version, efs_proxy_path), None
    if requested == "efs-proxy":
        return (
            None,
            "efs-proxy is missing",
            (
                "efs_client_relay is efs-proxy but efs-utils %s was installed without the efs-proxy "
                "binary: install a package built with it, or use relay stunnel/auto" % version
            ),
        )
    return "stunnel", "efs-utils %s without efs-proxy: the stunnel option is required" % version, None


def stunnel_problems(relay, stunnel, check_hostname, ocsp):
    """Reasons the chosen relay cannot work safely with this stunnel (empty when fine)."""
    problems = []
    if relay != "stunnel" and not ocsp:
        return problems
    if not stunnel or not stunnel.get("path"):
        problems.append("stunnel is not installed but mounts need it as their TLS relay")
        return problems
    if check_hostname and not stunnel.get("check_host"):
        problems.append(
            "stunnel %s at %s does not support checkHost (needs stunnel >= 5.15), so efs-utils "
            "refuses TLS mounts while stunnel_check_cert_hostname is on: install a newer stunnel "
            "(stunnel5 on Amazon Linux 2, or a current distribution package); do not turn the "
            "hostname check off" % (stunnel.get("version") or "(unknown version)", stunnel.get("path"))
        )
    if ocsp and not stunnel.get("ocsp_aia"):
        problems.append(
            "stunnel %s at %s does not support OCSPaia, which certificate validity (OCSP) checking "
            "needs: install a newer stunnel" % (stunnel.get("version") or "(unknown version)", stunnel.get("path"))
        )
    return problems

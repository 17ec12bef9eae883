# -*- coding: utf-8 -*-
# Copyright: contributors to aws_efs.transit
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The EFS mount helper (amazon-efs-utils) as installed on a host.

One table says where each distribution layout puts mount.efs, efs-proxy and stunnel and how the
package is named; one parser reads versions; one rule decides the TLS relay. Pure functions,
except the `find_*` and `read_*` helpers at the end, which only look at files.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections import namedtuple

from ansible_collections.aws_efs.transit.plugins.module_utils._os_facts import parse_os_release

# Shared by every layout (the helper's own constants).
STATE_DIR = "/var/run/efs"
LOG_DIR = "/var/log/amazon/efs"
CONFIG_FILE = "/etc/amazon/efs/efs-utils.conf"
WATCHDOG = "/usr/bin/amazon-efs-mount-watchdog"
WATCHDOG_UNIT = "amazon-efs-mount-watchdog"
OS_RELEASE = "/etc/os-release"
DPKG_STATUS = "/var/lib/dpkg/status"
# Where the helper itself looks for efs-proxy and stunnel (find_command_path, before $PATH).
SEARCH_DIRS = ("/sbin", "/usr/sbin", "/usr/local/sbin", "/root/bin", "/usr/local/bin", "/usr/bin", "/bin")
RELAYS = ("stunnel", "efs-proxy")

Layout = namedtuple(
    "Layout",
    "name package_name package_format mount_efs efs_proxy stunnel_names stunnel_package",
)

# Where the packages install the binaries. RPM (upstream's amazon-efs-utils.spec, every tag from
# 1.x to 3.2.0): efs_bindir is %{_sbindir} (/usr/sbin) on Amazon Linux > 2, else /sbin, and
# efs-proxy sits beside mount.efs. deb (upstream's build-deb.sh): /sbin/mount.efs,
# /usr/bin/efs-proxy. SUSE ships its own aws-efs-utils package under /usr/sbin. The helper runs
# stunnel5 on Amazon Linux 2 (its base stunnel 4.56 has no checkHost) and `stunnel` elsewhere;
# Debian's stunnel4 package provides /usr/bin/stunnel.
LAYOUTS = {
    "deb": Layout("deb", "amazon-efs-utils", "deb", "/sbin/mount.efs", "/usr/bin/efs-proxy", ("stunnel",), "stunnel4"),
    "rpm": Layout("rpm", "amazon-efs-utils", "rpm", "/sbin/mount.efs", "/sbin/efs-proxy", ("stunnel",), "stunnel"),
    "amazon2": Layout(
        "amazon2", "amazon-efs-utils", "rpm", "/sbin/mount.efs", "/sbin/efs-proxy", ("stunnel5",), "stunnel5"
    ),
    "amazon2023": Layout(
        "amazon2023", "amazon-efs-utils", "rpm", "/usr/sbin/mount.efs", "/usr/sbin/efs-proxy", ("stunnel",), "stunnel"
    ),
    "suse": Layout(
        "suse", "aws-efs-utils", "rpm", "/usr/sbin/mount.efs", "/usr/sbin/efs-proxy", ("stunnel",), "stunnel"
    ),
}

_FAMILY_LAYOUT = {"debian": "deb", "redhat": "rpm", "suse": "suse"}


def layout_name(distribution, major_version, os_family):
    """The layout of a host from Ansible's facts (distribution, major version, os_family); None when unknown."""
    distribution = (distribution or "").strip().lower()
    major = str(major_version or "").strip()
    family = (os_family or "").strip().lower()
    if distribution == "amazon":
        return "amazon2" if major == "2" else "amazon2023"
    return _FAMILY_LAYOUT.get(family)


def layout_from_os_release(text):
    """The layout named by /etc/os-release (what a module sees on the host); None when unknown."""
    values = parse_os_release(text)
    ids = [values.get("ID", "")] + values.get("ID_LIKE", "").split()
    ids = [i.lower() for i in ids if i]
    if "amzn" in ids:
        return "amazon2" if values.get("VERSION_ID", "").split(".")[0] == "2" else "amazon2023"
    for known, name in (("debian", "deb"), ("ubuntu", "deb"), ("suse", "suse"), ("sles", "suse")):
        if known in ids:
            return name
    for known in ("rhel", "fedora", "centos"):
        if known in ids:
            return "rpm"
    return None


def layout_dict(name):
    layout = LAYOUTS[name]
    out = layout._asdict()
    out["stunnel_names"] = list(layout.stunnel_names)
    out.update(state_dir=STATE_DIR, log_dir=LOG_DIR, config_file=CONFIG_FILE, watchdog=WATCHDOG)
    out["watchdog_unit"] = WATCHDOG_UNIT
    return out


def candidates(binary, layout=None):
    """Paths to try for `binary` (mount.efs or efs-proxy): the layout's own first, then the search dirs."""
    first = []
    if layout is not None:
        own = {"mount.efs": layout.mount_efs, "efs-proxy": layout.efs_proxy}.get(binary)
        if own:
            first.append(own)
    return first + [posixpath.join(d, binary) for d in SEARCH_DIRS if posixpath.join(d, binary) not in first]


def candidate_dirs(binary, layout=None):
    """The directories of candidates(), for AnsibleModule.get_bin_path(opt_dirs=...)."""
    return [posixpath.dirname(path) for path in candidates(binary, layout)]


# ---------------------------------------------------------------- versions

# [epoch:]upstream[-revision]: the epoch and anything after the numeric part are not the version.
_VERSION_RE = re.compile(r"^\s*[vV]?(?:\d+:)?[vV]?(\d+(?:\.\d+)*)")
_HELPER_VERSION_RE = re.compile(r"""^VERSION\s*=\s*['"]([^'"]+)['"]""", re.M)


def parse_version(text):
    """Upstream version of a package or helper version string as a tuple of ints, or None.

    '3.2.0' -> (3, 2, 0); '1:3.2.0-1' -> (3, 2, 0) (Debian/RPM epoch); '2.4.0-1ubuntu1' -> (2, 4, 0);
    '3.2.0~standin1' and '2.0.4-1.amzn2023' keep only the numeric part.
    """
    if text is None:
        return None
    match = _VERSION_RE.match(str(text))
    if not match:
        return None
    return tuple(int(part) for part in match.group(1).split("."))


def version_text(version):
    return ".".join(str(p) for p in version) if version else "unknown"


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


def parse_helper_version_output(text):
    """`mount.efs --version` prints '<path> Version: 3.2.0'."""
    match = re.search(r"Version:\s*(\S+)", text or "")
    if match:
        return match.group(1)
    words = (text or "").strip().split()
    return words[-1] if words and parse_version(words[-1]) else None


def version_from_files(mount_efs):
    """The helper's VERSION constant, read from its files (no process started)."""
    if not mount_efs:
        return None
    base = posixpath.dirname(os.path.realpath(mount_efs))
    for candidate in (mount_efs, posixpath.join(base, "efs_utils_common", "constants.py")):
        try:
            with open(candidate, "rb") as f:
                m = _HELPER_VERSION_RE.search(f.read(262144).decode("utf-8", "replace"))
        except OSError:
            continue
        if m:
            return m.group(1)
    return None


def dpkg_stanza_version(text, package):
    """Installed version of `package` in the text of dpkg's status file, as `dpkg-query -W` says it;
    None when it is absent or not fully installed ("deinstall ok config-files", "half-installed").
    A substring search, not a parse of every stanza: the file lists every package of the host."""
    needle = "Package: %s\n" % package
    start = 0 if text.startswith(needle) else text.find("\n" + needle)
    while start != -1:
        end = text.find("\n\n", start + 1)
        fields = {}
        for line in text[start : len(text) if end == -1 else end].splitlines():
            key, sep, value = line.partition(":")
            if sep and not line[:1].isspace():
                fields[key] = value.strip()
        if fields.get("Status", "").split()[-1:] == ["installed"] and fields.get("Version"):
            return fields["Version"]
        start = -1 if end == -1 else text.find("\n" + needle, end)
    return None


def version_from_dpkg(status_file, package="amazon-efs-utils"):
    """Installed version of `package` from dpkg's status file (a read, no process), as dpkg says it."""
    try:
        with open(status_file, "rb") as f:
            text = f.read().decode("utf-8", "replace")
    except OSError:
        return None
    return dpkg_stanza_version(text, package)


# ---------------------------------------------------------------- capabilities

_STUNNEL_VERSION_RE = re.compile(r"^\s*stunnel\s+(\d+(?:\.\d+)+)", re.MULTILINE)
# stunnel -help lists one option per line: "checkHost   = peer certificate host name pattern".
_HELP_OPTION_RE = re.compile(r"^\s*([A-Za-z][A-Za-z0-9_]*)\s+=", re.MULTILINE)


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
    """Parse `systemctl show -p LoadState -p UnitFileState -p ActiveState UNIT` (the watchdog's unit).

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


# ---------------------------------------------------------------- the relay rule

RelayChoice = namedtuple("RelayChoice", "relay add_stunnel_option reason problem known")


def ocsp_on(options, config_validity):
    """The helper's is_ocsp_enabled: the `ocsp`/`noocsp` option, else stunnel_check_cert_validity."""
    keys = set(options or ())
    if "ocsp" in keys:
        return True
    if "noocsp" in keys:
        return False
    return bool(config_validity)


def choose_relay(requested, version, efs_proxy_path, ocsp=False):
    """Which relay mounts will use: THE rule (mount.efs 3.2.0, main()).

    efs-utils 1.x only has stunnel. From 2.0 efs-proxy is the relay unless the `stunnel` mount
    option is given or OCSP checking is on (the helper then switches to stunnel itself). There is
    no fallback when efs-proxy is missing, so "auto" asks for stunnel then. A found efs-proxy
    means 2.0 or later even when the version is unknown.

    Returns RelayChoice(relay or None, add_stunnel_option, reason, problem or None, known):
    known is False when the answer depends on a version nobody can tell yet.
    """
    if isinstance(version, str):
        version = parse_version(version)
    if requested not in ("auto",) + RELAYS:
        raise ValueError("relay must be auto, stunnel or efs-proxy, not %r" % (requested,))
    ver = tuple(version) if version else None
    if ver is None and efs_proxy_path:
        ver = (2,)
    if ver is None:
        if requested == "auto":
            return RelayChoice(
                None, False, "efs-utils is not installed: the relay is decided after installation", None, False
            )
        return RelayChoice(requested, False, "requested; efs-utils is not installed yet", None, False)
    if ver < (2,):
        if requested == "efs-proxy":
            problem = (
                "relay efs-proxy needs amazon-efs-utils 2.0 or later; %s only supports stunnel: "
                "install efs-utils 2.0 or later, or use relay stunnel/auto" % version_text(ver)
            )
            return RelayChoice(None, False, "efs-utils %s has no efs-proxy" % version_text(ver), problem, True)
        # 1.x always uses stunnel and would pass a `stunnel` option on to mount.nfs4.
        return RelayChoice(
            "stunnel", False, "efs-utils %s (1.x) always relays through stunnel" % version_text(ver), None, True
        )
    if requested == "stunnel":
        return RelayChoice("stunnel", True, "requested (the helper's stunnel option)", None, True)
    if ocsp:
        if requested == "efs-proxy":
            problem = (
                "relay efs-proxy but certificate validity (OCSP) checking is on, "
                "which efs-utils only does through stunnel"
            )
            return RelayChoice(None, False, "OCSP checking needs stunnel", problem, True)
        # The helper switches to stunnel itself; without efs-proxy the option keeps the mount
        # working if OCSP is later turned off.
        return RelayChoice(
            "stunnel", not efs_proxy_path, "OCSP certificate validity checking needs stunnel", None, True
        )
    if efs_proxy_path:
        return RelayChoice(
            "efs-proxy", False, "efs-utils %s with efs-proxy at %s" % (version_text(ver), efs_proxy_path), None, True
        )
    if requested == "efs-proxy":
        problem = (
            "relay efs-proxy but efs-utils %s was installed without the efs-proxy "
            "binary: install a package built with it, or use relay stunnel/auto" % version_text(ver)
        )
        return RelayChoice(None, False, "efs-proxy is missing", problem, True)
    return RelayChoice(
        "stunnel",
        True,
        "efs-utils %s without efs-proxy: the stunnel option is required" % version_text(ver),
        None,
        True,
    )


# ---------------------------------------------------------------- finding things (reads only)


def read_layout(os_release=OS_RELEASE):
    try:
        with open(os_release, encoding="utf-8", errors="replace") as f:
            name = layout_from_os_release(f.read())
    except OSError:
        return None
    return LAYOUTS.get(name) if name else None


def first_existing(paths):
    for path in paths:
        if path and os.path.exists(path):
            return path
    return None


def find_binary(module, binary, layout=None, given=None):
    """mount.efs or efs-proxy, the one rule every reader uses: the first of `given` that exists when the
    caller names paths, else the layout's own place, the helper's search dirs, then $PATH (opt_dirs come
    first in AnsibleModule.get_bin_path)."""
    if given:
        return first_existing(given)
    return module.get_bin_path(binary, opt_dirs=candidate_dirs(binary, layout))


def find_stunnel(module, names):
    """The stunnel binary the helper would run (absolute names are used as they are)."""
    for name in names:
        if os.path.isabs(name):
            if os.access(name, os.X_OK):
                return name
            continue
        found = module.get_bin_path(name, opt_dirs=list(SEARCH_DIRS))
        if found:
            return found
    return None

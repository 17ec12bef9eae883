# -*- coding: utf-8 -*-
# Copyright: aws_efs.transit contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""efs-utils.conf: read it as the helper does, and set keys in place keeping every other byte.

The helper reads the file with Python's configparser (keys lower-cased, `[DEFAULT]` values seen
in every section, duplicate sections or keys make the file unreadable), so the reader here IS
configparser, and every edit is read back with it. efs-utils.conf is a package conffile:
replacing it loses the distribution's comments and makes upgrades prompt, so keys are edited
where they are. Pure functions only: text in, text out.
"""

from __future__ import annotations

import configparser
import re

MOUNT_SECTION = "mount"
# configparser's own section header pattern, matched on the stripped line.
_SECTION_RE = re.compile(r"^\[(?P<header>.+)\]")
_KEY_RE = re.compile(r"^(\s*)([^=:#;\s\[][^=:]*?)(\s*[=:]\s*)(.*?)(\s*)$")
_COMMENTED_KEY_RE = re.compile(r"^\s*[#;]\s*([^=:\s]+)\s*[=:]")
_NAME_RE = re.compile(r"^[A-Za-z0-9_.\-]+$")


class IniValueError(ValueError):
    """A section, key or value that cannot be written safely."""


def _parser(text):
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(text or "")
    return parser


def read(text):
    """{section: {key: value}} as the helper sees it ([DEFAULT] values included in every section,
    and under "DEFAULT" when there are any). Raises IniValueError when the helper could not read it."""
    try:
        parser = _parser(text)
    except configparser.Error as exc:
        raise IniValueError("the helper cannot read this file: %s" % str(exc).replace("\n", " ")) from None
    sections = {name: dict(parser.items(name)) for name in parser.sections()}
    if parser.defaults():
        sections[parser.default_section] = dict(parser.defaults())
    return sections


def mount_section(config, region=None):
    """The section the helper reads a host's regional keys from: [mount.<region>] when the file has it."""
    regional = "%s.%s" % (MOUNT_SECTION, region) if region else None
    return regional if regional and regional in config else MOUNT_SECTION


def mount_value(config, key, region=None, fallback=False):
    """A [mount] key as the helper reads it (the one lookup), None when unset.

    config: read()'s {section: {key: value}}. With region, from [mount.<region>] when the file has that
    section (as the helper reads stunnel_cafile) and, with fallback, then from [mount] when that section
    lacks the key (as it reads dns_name_suffix); else from [mount]. Without region: [mount] only (hostname
    checking, OCSP, FIPS, region). [DEFAULT] backs a section that exists, as in configparser; a file
    without the section has no value ([DEFAULT] is no section for the helper's has_section: it takes
    its own default).
    """
    default = config.get("DEFAULT") or {}
    section = mount_section(config, region)
    names = [section, MOUNT_SECTION] if fallback and section != MOUNT_SECTION else [section]
    for name in names:
        values = config.get(name)
        if values is None:
            continue
        if key in values:
            return values[key]
        if key in default:
            return default[key]
    return None


def regional_settings(text, settings, regional, region=None):
    """settings with the regional keys added where the helper reads them for the host's region.

    The helper reads some [mount] keys (stunnel_cafile, dns_name_suffix, ...) from
    [mount.<region>] when the file has that section (cn-*, us-iso*, eusc-de-east-1, ... ship one),
    and from [mount] otherwise. The keys go to [mount] always and to [mount.<region>] when it
    exists. region: given, else the one settings or the file put in [mount]. Returns
    (settings, the regional section or None).
    """
    regional = {k: v for k, v in (regional or {}).items() if v is not None}
    config = read(text)
    mount = dict(settings.get(MOUNT_SECTION) or {})
    # The keys go to [mount], so after the write [DEFAULT]'s region is [mount]'s too.
    region = region or mount.get("region") or mount_value(config, "region") or config.get("DEFAULT", {}).get("region")
    section = mount_section(config, region)
    if section == MOUNT_SECTION:
        section = None
    out = dict(settings)
    if regional:
        out[MOUNT_SECTION] = dict(mount, **regional)
        if section:
            out[section] = dict(out.get(section) or {}, **regional)
    return out, section


def apply_settings(text, settings, regional=None, region=None):
    """(new text, changes, regional section): what efs_utils_config writes for these settings (the one
    rule efs_utils_config acts on and efs_client_info judges ahead with)."""
    full, section = regional_settings(text, settings, regional, region)
    after, changes = set_keys(text, full)
    return after, changes, section


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


def render_value(value):
    """efs-utils reads booleans with getboolean and numbers with getint."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def validate_settings(settings):
    """Reject names and values that would corrupt the file or smuggle extra keys.

    Returns a list of (section, key, rendered value), in a stable order.
    """
    flat = []
    if not isinstance(settings, dict):
        raise IniValueError("settings must be a dict of sections")
    for section in sorted(settings):
        keys = settings[section]
        if not _NAME_RE.match(str(section)):
            raise IniValueError("invalid section name %r" % (section,))
        if not isinstance(keys, dict):
            raise IniValueError("section %r must map keys to values" % (section,))
        for key in sorted(keys):
            value = keys[key]
            if value is None:
                continue
            if not _NAME_RE.match(str(key)):
                raise IniValueError("invalid key name %r in section %r" % (key, section))
            rendered = render_value(value)
            if any(ch in rendered for ch in "\r\n\x00") or rendered != rendered.strip():
                raise IniValueError("value of %s.%s has a line break or surrounding whitespace" % (section, key))
            flat.append((str(section), str(key).lower(), rendered))
    return flat


def _split_lines(text):
    """Lines with their own endings, so joining them gives the text back exactly."""
    return text.splitlines(True)


def _eol_of(lines):
    for line in lines:
        if line.endswith("\r\n"):
            return "\r\n"
        if line.endswith("\n"):
            return "\n"
    return "\n"


def _section_spans(lines):
    """{section: (header index or None, end index exclusive)}; first occurrence wins."""
    spans = {}
    order = []
    current, start = None, 0
    for index, line in enumerate(lines):
        match = _SECTION_RE.match(line.strip()) if line[:1] not in " \t" else None
        if match:
            order.append((current, start, index))
            current, start = match.group("header"), index
    order.append((current, start, len(lines)))
    for name, begin, end in order:
        if name is not None and name not in spans:
            spans[name] = (begin, end)
    return spans


def set_keys(text, settings):
    """Return (new_text, changes) with every (section, key) in settings set.

    - an existing active key keeps its indentation, spelling and separator; only
      its value changes (every occurrence in the section, since duplicates would
      make ConfigParser refuse the file anyway);
    - a missing key goes right after its commented-out example ("#region = ...")
      when the section has one, else after the section's last non-blank line;
    - a missing section is appended at the end of the file.
    changes is a list of dicts: section, key, before (None when added), after.
    """
    flat = validate_settings(settings)
    lines = _split_lines(text)
    eol = _eol_of(lines)
    changes = []
    for section, key, value in flat:
        spans = _section_spans(lines)
        if section not in spans:
            if lines and not lines[-1].endswith(("\n", "\r")):
                lines[-1] += eol
            if lines and lines[-1].strip():
                lines.append(eol)
            lines.append("[%s]%s" % (section, eol))
            lines.append("%s = %s%s" % (key, value, eol))
            changes.append({"section": section, "key": key, "before": None, "after": value})
            continue
        begin, end = spans[section]
        found = False
        comment_at = None
        for index in range(begin + 1, end):
            body = lines[index]
            ending = body[len(body.rstrip("\r\n")) :]
            stripped = body.rstrip("\r\n")
            match = _KEY_RE.match(stripped)
            if match and match.group(2).strip().lower() == key:
                found = True
                if match.group(4) != value:
                    changes.append({"section": section, "key": key, "before": match.group(4), "after": value})
                    lines[index] = "%s%s%s%s%s%s" % (
                        match.group(1),
                        match.group(2),
                        match.group(3),
                        value,
                        match.group(5),
                        ending,
                    )
                continue
            commented = _COMMENTED_KEY_RE.match(stripped)
            if commented and commented.group(1).lower() == key and comment_at is None:
                comment_at = index
        if found:
            continue
        if comment_at is not None:
            insert_at = comment_at + 1
        else:
            insert_at = begin + 1
            for index in range(begin + 1, end):
                if lines[index].strip():
                    insert_at = index + 1
        if insert_at > 0 and not lines[insert_at - 1].endswith(("\n", "\r")):
            lines[insert_at - 1] += eol
        lines.insert(insert_at, "%s = %s%s" % (key, value, eol))
        changes.append({"section": section, "key": key, "before": None, "after": value})
    after = "".join(lines)
    if changes:
        _check_read_back(text, after, flat)
    return after, changes


def _check_read_back(before, after, flat):
    """The helper must read what we meant (a continuation line, say, would make it read more)."""
    try:
        _parser(before)
    except configparser.Error:
        return  # unreadable already: the edit cannot make it worse, and the key is set where it was
    try:
        parser = _parser(after)
    except configparser.Error as exc:
        raise IniValueError("the edit would make the file unreadable: %s" % str(exc).replace("\n", " ")) from None
    for section, key, value in flat:
        got = (
            parser.defaults().get(key) if section == parser.default_section else parser.get(section, key, fallback=None)
        )
        if got != value:
            raise IniValueError("after the edit the helper would read %s.%s as %r, not %r" % (section, key, got, value))

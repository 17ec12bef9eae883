# -*- coding: utf-8 -*-
# Copyright: aws_efs.transit contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Set keys of an INI file in place, keeping every other byte.

efs-utils.conf is a package conffile: replacing it loses the distribution's
comments and makes upgrades prompt, so keys are edited where they are.
Pure functions only: text in, text out.
"""

from __future__ import annotations

import re

_SECTION_RE = re.compile(r"^\s*\[([^\]]+)\]\s*$")
_KEY_RE = re.compile(r"^(\s*)([^=:#;\s\[][^=:]*?)(\s*[=:]\s*)(.*?)(\s*)$")
_COMMENTED_KEY_RE = re.compile(r"^\s*[#;]\s*([^=:\s]+)\s*[=:]")
_NAME_RE = re.compile(r"^[A-Za-z0-9_.\-]+$")


class IniValueError(ValueError):
    """A section, key or value that cannot be written safely."""


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
        match = _SECTION_RE.match(line.rstrip("\r\n"))
        if match:
            order.append((current, start, index))
            current, start = match.group(1).strip(), index
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
    return "".join(lines), changes

# -*- coding: utf-8 -*-
# Copyright: aws_efs.transit contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""OpenPGP public keys as package managers use them (RFC 4880 / RFC 9580), without gpg.

Only what a repository key check needs: armor <-> binary, the primary keys in a key file with
their fingerprints, and the names rpm gives imported keys. Pure functions on bytes.
"""

from __future__ import annotations

import base64
import hashlib
import re
import struct

_ARMOR_RE = re.compile(
    rb"-----BEGIN PGP PUBLIC KEY BLOCK-----\r?\n(.*?)\r?\n-----END PGP PUBLIC KEY BLOCK-----",
    re.DOTALL,
)
TAG_PUBLIC_KEY = 6
TAG_PUBLIC_SUBKEY = 14


class KeyDataError(ValueError):
    """The bytes are not an OpenPGP public key we can read."""


def normalize_fingerprint(text):
    """'ABCD 1234 ...' or 'abcd1234...' -> 'ABCD1234...' (hex only, upper case)."""
    return re.sub(r"[^0-9A-Fa-f]", "", str(text or "")).upper()


def is_armored(data):
    return b"-----BEGIN PGP PUBLIC KEY BLOCK-----" in data


def dearmor(data):
    """Binary key packets from armored (or already binary) key data; armor CRC checked."""
    if not is_armored(data):
        return bytes(data)
    out = b""
    for block in _ARMOR_RE.findall(data):
        lines = block.splitlines()
        # Armor headers ("Version: ...", "Comment: ...") end at the first empty line.
        blank = [i for i, line in enumerate(lines) if not line.strip()]
        if blank and all(b":" in line for line in lines[: blank[0]]):
            lines = lines[blank[0] + 1 :]
        crc = None
        body = []
        for line in lines:
            line = line.strip()
            if line.startswith(b"=") and len(line) == 5:
                crc = line[1:]
            elif line:
                body.append(line)
        try:
            raw = base64.b64decode(b"".join(body), validate=True)
        except ValueError as exc:
            raise KeyDataError("bad base64 in the armored key: %s" % exc)
        if crc is not None and crc != _crc24(raw):
            raise KeyDataError("armor checksum mismatch: the key is damaged")
        out += raw
    if not out:
        raise KeyDataError("no PGP PUBLIC KEY BLOCK in the armored data")
    return out


def armor(data):
    """ASCII armor (with CRC) for binary key packets, as rpm --import and gpgkey= want."""
    raw = dearmor(data)
    b64 = base64.b64encode(raw).decode("ascii")
    lines = [b64[i : i + 64] for i in range(0, len(b64), 64)]
    return (
        "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n"
        + "\n".join(lines)
        + "\n="
        + _crc24(raw).decode("ascii")
        + "\n-----END PGP PUBLIC KEY BLOCK-----\n"
    ).encode("ascii")


def _crc24(data):
    crc = 0xB704CE
    for byte in bytearray(data):
        crc ^= byte << 16
        for _bit in range(8):
            crc <<= 1
            if crc & 0x1000000:
                crc ^= 0x1864CFB
    return base64.b64encode(struct.pack(">I", crc & 0xFFFFFF)[1:])


def packets(raw):
    """(tag, body) for each packet, old and new header formats."""
    pos = 0
    raw = bytes(raw)
    while pos < len(raw):
        head = raw[pos]
        if not head & 0x80:
            raise KeyDataError("not an OpenPGP packet at byte %d" % pos)
        if head & 0x40:  # new format
            tag = head & 0x3F
            pos += 1
            first = raw[pos]
            if first < 192:
                length, pos = first, pos + 1
            elif first < 224:
                length, pos = ((first - 192) << 8) + raw[pos + 1] + 192, pos + 2
            elif first == 255:
                length, pos = struct.unpack(">I", raw[pos + 1 : pos + 5])[0], pos + 5
            else:
                raise KeyDataError("partial-length packets do not occur in keys")
        else:  # old format
            tag = (head >> 2) & 0x0F
            kind = head & 0x03
            pos += 1
            if kind == 3:
                raise KeyDataError("indeterminate-length packets do not occur in keys")
            size = (1, 2, 4)[kind]
            length = int.from_bytes(raw[pos : pos + size], "big")
            pos += size
        if pos + length > len(raw):
            raise KeyDataError("truncated packet (tag %d)" % tag)
        yield tag, raw[pos : pos + length]
        pos += length


def key_fingerprint(body):
    """Fingerprint (upper-case hex) of a public key or subkey packet body, v4 or v6."""
    version = body[0] if body else 0
    if version == 4:
        return hashlib.sha1(b"\x99" + struct.pack(">H", len(body)) + body).hexdigest().upper()
    if version == 6:
        return hashlib.sha256(b"\x9b" + struct.pack(">I", len(body)) + body).hexdigest().upper()
    raise KeyDataError("OpenPGP key version %d is not supported (only 4 and 6)" % version)


def primary_keys(data):
    """The primary keys in key data (armored or binary): [{fingerprint, created, subkeys}]."""
    keys = []
    for tag, body in packets(dearmor(data)):
        if tag == TAG_PUBLIC_KEY:
            keys.append(
                {"fingerprint": key_fingerprint(body), "created": struct.unpack(">I", body[1:5])[0], "subkeys": []}
            )
        elif tag == TAG_PUBLIC_SUBKEY and keys:
            keys[-1]["subkeys"].append(key_fingerprint(body))
    if not keys:
        raise KeyDataError("no public key packet in the key data")
    return keys


def check_fingerprints(data, expected):
    """Problem text, or None when the primary keys in data are exactly the expected ones.

    A key file with an extra primary key is refused too: apt and rpm would trust it as well.
    """
    want = sorted({normalize_fingerprint(f) for f in expected if normalize_fingerprint(f)})
    if not want:
        return "no expected fingerprint given"
    try:
        have = sorted(k["fingerprint"] for k in primary_keys(data))
    except KeyDataError as exc:
        return "the key is not a readable OpenPGP public key: %s" % exc
    if have != want:
        return "the key's fingerprint is %s, expected %s" % (", ".join(have), ", ".join(want))
    return None


def rpm_pubkey_name(key):
    """Name rpm gives an imported v4 key: gpg-pubkey-<last 8 of key id>-<creation time hex>."""
    return "gpg-pubkey-%s-%08x" % (key["fingerprint"][-8:].lower(), key["created"])

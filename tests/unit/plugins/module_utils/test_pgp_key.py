# -*- coding: utf-8 -*-
from __future__ import annotations

import pathlib

import pytest

from ansible_collections.aws_efs.transit.plugins.module_utils import _pgp_key as pgp

FIX = pathlib.Path(__file__).resolve().parents[2] / "fixtures" / "pgp"
# Throwaway ed25519 keys made with gpg for these tests (public parts only); gpg's fingerprints.
ONE = (FIX / "one.asc").read_bytes()
OTHER = (FIX / "other.asc").read_bytes()
ONE_FPR = (FIX / "one.fpr").read_text().strip()
OTHER_FPR = (FIX / "other.fpr").read_text().strip()


def test_fingerprint_matches_gpg_for_armored_and_binary():
    assert [k["fingerprint"] for k in pgp.primary_keys(ONE)] == [ONE_FPR]
    binary = pgp.dearmor(ONE)
    assert not pgp.is_armored(binary)
    assert [k["fingerprint"] for k in pgp.primary_keys(binary)] == [ONE_FPR]


def test_armor_round_trip_keeps_the_packets():
    binary = pgp.dearmor(ONE)
    again = pgp.armor(binary)
    assert pgp.is_armored(again)
    assert pgp.dearmor(again) == binary
    assert pgp.armor(ONE) == again


@pytest.mark.parametrize(
    "expected",
    [ONE_FPR, ONE_FPR.lower(), " ".join(ONE_FPR[i : i + 4] for i in range(0, 40, 4))],
)
def test_check_accepts_the_fingerprint_in_any_spelling(expected):
    assert pgp.check_fingerprints(ONE, [expected]) is None


def test_check_refuses_another_key_naming_both():
    problem = pgp.check_fingerprints(ONE, [OTHER_FPR])
    assert ONE_FPR in problem and OTHER_FPR in problem


def test_check_refuses_an_extra_key_in_the_file():
    both = pgp.dearmor(ONE) + pgp.dearmor(OTHER)
    assert pgp.check_fingerprints(both, [ONE_FPR]) is not None
    assert pgp.check_fingerprints(both, [ONE_FPR, OTHER_FPR]) is None


def test_check_refuses_no_expectation_and_garbage():
    assert pgp.check_fingerprints(ONE, []) == "no expected fingerprint given"
    assert pgp.check_fingerprints(ONE, ["  "]) == "no expected fingerprint given"
    assert "not a readable" in pgp.check_fingerprints(b"<html>404</html>", [ONE_FPR])


def test_damaged_armor_is_refused():
    text = ONE.decode()
    lines = text.splitlines()
    # Flip one base64 character of the body: the armor CRC no longer matches.
    body = next(i for i, line in enumerate(lines) if len(line) == 64)
    lines[body] = ("A" if lines[body][10] != "A" else "B").join([lines[body][:10], lines[body][11:]])
    with pytest.raises(pgp.KeyDataError):
        pgp.primary_keys("\n".join(lines).encode())


def test_old_format_packet_header():
    body = pgp.dearmor(ONE)
    tag, first = next(pgp.packets(body))
    assert tag == pgp.TAG_PUBLIC_KEY
    old = bytes([0x80 | (6 << 2) | 1]) + len(first).to_bytes(2, "big") + first
    assert pgp.primary_keys(old)[0]["fingerprint"] == ONE_FPR


def test_unsupported_key_version():
    packet = bytes([0xC6, 6, 3, 0, 0, 0, 0, 1])
    assert "version 3" in pgp.check_fingerprints(packet, [ONE_FPR])


def test_rpm_pubkey_name():
    key = pgp.primary_keys(ONE)[0]
    assert pgp.rpm_pubkey_name(key) == "gpg-pubkey-%s-%08x" % (ONE_FPR[-8:].lower(), key["created"])


def test_normalize_fingerprint():
    assert pgp.normalize_fingerprint("ab cd:01") == "ABCD01"
    assert pgp.normalize_fingerprint(None) == ""

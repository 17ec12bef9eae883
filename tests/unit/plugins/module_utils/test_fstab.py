# -*- coding: utf-8 -*-
from __future__ import annotations

from pathlib import Path

import pytest

from ansible_collections.aws_efs.transit.plugins.module_utils import _files
from ansible_collections.aws_efs.transit.plugins.module_utils import _fstab as fs

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "mount" / "fstab"
FS_ID = "fs-12345678"
OURS = "_netdev,tls"


def fixture(name):
    return _files.decode((FIXTURES / (name + ".fstab")).read_bytes())


def line_set(text):
    return fs.split_lines(text)


# ---------------------------------------------------------------- parsing


@pytest.mark.parametrize("name", sorted(p.stem for p in FIXTURES.glob("*.fstab")))
def test_parse_round_trips_every_byte(name):
    raw = (FIXTURES / (name + ".fstab")).read_bytes()
    text = _files.decode(raw)
    assert _files.encode("".join(e.raw for e in fs.parse(text))) == raw


def test_parse_sees_entries_not_comments_or_blanks():
    entries = fs.parse(fixture("hostile_no_trailing_newline"))
    mount_points = [e.mount_point for e in entries if e.fields]
    assert mount_points == ["/", "none", "/mnt/nas"]


def test_find_decodes_escapes_and_trailing_slash():
    entries = fs.parse(fixture("escaped_mount_points"))
    assert [e.spec for e in fs.find(entries, "/mnt/efs")] == ["fs-12345678:/"]
    assert [e.spec for e in fs.find(entries, "/mnt/efs backup")] == ["/dev/sdc1"]
    assert fs.find(entries, "/mnt/efs\\040backup") == []


def test_escape_unescape():
    assert fs.unescape("/mnt/a\\040b\\011c\\134d") == "/mnt/a b\tc\\d"
    assert fs.escape("/mnt/a b\tc\\d") == "/mnt/a\\040b\\011c\\134d"


@pytest.mark.parametrize(
    "spec, expected",
    [
        ("fs-12345678", "fs-12345678"),
        ("fs-12345678:/data", "fs-12345678"),
        ("fs-12345678.efs.us-east-1.amazonaws.com:/", "fs-12345678"),
        ("us-east-1a.fs-12345678.efs.us-east-1.amazonaws.com:/", "fs-12345678"),
        ("nas:/export", None),
        ("fs-12345678x:/", None),
    ],
)
def test_spec_fs_id(spec, expected):
    assert fs.spec_fs_id(spec) == expected


# ---------------------------------------------------------------- editing


def test_append_to_file_without_trailing_newline_keeps_foreign_bytes():
    before = fixture("hostile_no_trailing_newline")
    after = fs.set_line(before, "/mnt/efs", FS_ID, "/", OURS)
    assert after == before + "\nfs-12345678:/ /mnt/efs efs _netdev,tls 0 0\n"


def test_commented_line_for_the_path_is_not_ours():
    before = fixture("hostile_no_trailing_newline")
    assert fs.find(fs.parse(before), "/mnt/efs") == []


def test_equivalent_hand_written_line_is_left_alone():
    before = fixture("equivalent_other_order")
    assert fs.set_line(before, "/mnt/efs", FS_ID, "/", OURS) is before


def test_changed_options_replace_the_line_in_place():
    before = fixture("equivalent_other_order")
    after = fs.set_line(before, "/mnt/efs", FS_ID, "/", "_netdev,tls,iam")
    assert line_set(after) == [
        "proc /proc proc defaults 0 0\n",
        "fs-12345678:/ /mnt/efs efs _netdev,tls,iam 0 0\n",
        "# trailing comment\n",
    ]


def test_duplicates_collapse_to_one_line_at_the_first_position():
    before = fixture("duplicates")
    after = fs.set_line(before, "/mnt/efs", FS_ID, "/", OURS)
    assert line_set(after) == [
        "LABEL=root / ext4 defaults 0 1\n",
        "fs-12345678:/ /mnt/efs efs _netdev,tls 0 0\n",
        "#keep me\n",
        "/dev/sdb1 /data xfs defaults 0 2\n",
    ]
    # idempotent afterwards
    assert fs.set_line(after, "/mnt/efs", FS_ID, "/", OURS) == after


def test_trailing_slash_mount_point_line_is_ours_and_others_untouched():
    before = fixture("escaped_mount_points")
    after = fs.set_line(before, "/mnt/efs", FS_ID, "/", OURS)
    lines = line_set(after)
    assert lines[0] == "/dev/sdc1 /mnt/efs\\040backup ext4 defaults 0 2\n"
    assert lines[1] == "fs-87654321:/ /mnt/efs/deeper efs _netdev,tls 0 0\n"
    assert lines[2] == "fs-12345678:/ /mnt/efs efs _netdev,tls 0 0\n"


def test_seed_slip_with_spaces_is_rewritten_and_crlf_neighbours_kept():
    before = fixture("seed_slip_crlf_latin1")
    after = fs.set_line(before, "/mnt/efs", FS_ID, "/", "_netdev,tls,iam")
    lines = line_set(after)
    assert lines[0] == "fs-12345678:/ /mnt/efs efs _netdev,tls,iam 0 0\n"
    assert lines[1:] == line_set(before)[1:]
    assert _files.encode(lines[1]) == b"# caf\xe9 comment\r\n"


def test_subpath_and_dns_name_sources():
    text = "fs-12345678:/data/ /mnt/efs efs _netdev,tls 0 0\n"
    assert fs.set_line(text, "/mnt/efs", FS_ID, "/data", OURS) is text
    dns = "fs-12345678.efs.us-east-1.amazonaws.com:/ /mnt/efs efs _netdev,tls 0 0\n"
    assert fs.set_line(dns, "/mnt/efs", FS_ID, "/", OURS) == "fs-12345678:/ /mnt/efs efs _netdev,tls 0 0\n"
    bare = "fs-12345678 /mnt/efs efs tls,_netdev 0 0\n"
    assert fs.set_line(bare, "/mnt/efs", FS_ID, "/", OURS) is bare


def test_dump_pass_and_type_matter():
    for text in (
        "fs-12345678:/ /mnt/efs efs _netdev,tls 1 0\n",
        "fs-12345678:/ /mnt/efs nfs4 _netdev,tls 0 0\n",
        "fs-12345678:/ /mnt/efs efs _netdev,tls 0 0 extra\n",
    ):
        assert fs.set_line(text, "/mnt/efs", FS_ID, "/", OURS) == "fs-12345678:/ /mnt/efs efs _netdev,tls 0 0\n"


def test_empty_file():
    assert fs.set_line("", "/mnt/efs", FS_ID, "/", OURS) == "fs-12345678:/ /mnt/efs efs _netdev,tls 0 0\n"


def test_remove_only_our_file_system_lines():
    before = fixture("duplicates") + "fs-87654321:/ /mnt/efs efs _netdev,tls 0 0\n"
    after = fs.remove_lines(before, "/mnt/efs", FS_ID)
    assert line_set(after) == [
        "LABEL=root / ext4 defaults 0 1\n",
        "#keep me\n",
        "/dev/sdb1 /data xfs defaults 0 2\n",
        "fs-87654321:/ /mnt/efs efs _netdev,tls 0 0\n",
    ]
    assert fs.remove_lines(after, "/mnt/nothing", FS_ID) is after


def test_remove_last_line_without_newline_keeps_the_missing_newline():
    before = "a /a ext4 defaults 0 0\nfs-12345678:/ /mnt/efs efs _netdev,tls 0 0"
    assert fs.remove_lines(before, "/mnt/efs", FS_ID) == "a /a ext4 defaults 0 0"


def test_restore_gives_back_original_bytes_when_untouched():
    original = fixture("duplicates")
    written = fs.set_line(original, "/mnt/efs", FS_ID, "/", OURS)
    lines = fs.lines_for(original, "/mnt/efs")
    assert fs.restore(written, written, original, "/mnt/efs", lines) == original


def test_restore_keeps_a_concurrent_writers_change():
    original = "a /a ext4 defaults 0 0\nold:/x /mnt/efs nfs4 defaults 0 0\n"
    written = fs.set_line(original, "/mnt/efs", FS_ID, "/", OURS)
    concurrent = written + "b /b ext4 defaults 0 0\n"
    restored = fs.restore(concurrent, written, original, "/mnt/efs", fs.lines_for(original, "/mnt/efs"))
    assert restored == original + "b /b ext4 defaults 0 0\n"


def test_restore_removes_a_line_we_added():
    original = "a /a ext4 defaults 0 0\n"
    written = fs.set_line(original, "/mnt/efs", FS_ID, "/", OURS)
    concurrent = "# new header\n" + written
    assert fs.restore(concurrent, written, original, "/mnt/efs", []) == "# new header\n" + original


# ---------------------------------------------------------------- fields as libmount splits them (issue 11)


@pytest.mark.parametrize("sep", ["\xa0", "\f", "\x1f", "\v", "\u2028"])
def test_only_space_and_tab_separate_fields(sep):
    """A foreign line for `/mnt/efs<sep>archive` is not a line for /mnt/efs: never replaced, never removed."""
    foreign = "fs-12345678:/ /mnt/efs%sarchive efs _netdev,tls 0 0\n" % sep
    assert fs.find(fs.parse(foreign), "/mnt/efs") == []
    assert [e.mount_point for e in fs.parse(foreign) if e.fields] == ["/mnt/efs%sarchive" % sep]
    after = fs.set_line(foreign, "/mnt/efs", FS_ID, "/", OURS)
    assert after == foreign + "fs-12345678:/ /mnt/efs efs _netdev,tls 0 0\n"
    assert fs.remove_lines(foreign, "/mnt/efs", FS_ID) is foreign


def test_tab_and_space_runs_still_separate():
    entry = fs.parse(" \tfs-12345678:/\t \t/mnt/efs  efs\t_netdev,tls 0\t0 \t\n")[0]
    assert entry.fields == ["fs-12345678:/", "/mnt/efs", "efs", "_netdev,tls", "0", "0"]


def test_equivalent_line_with_a_trailing_comment_keeps_it():
    text = "# mine\nfs-12345678:/ /mnt/efs efs tls,_netdev 0 0 # keep: EFS home dirs\n/dev/sdb /srv ext4 defaults 0 2\n"
    assert fs.set_line(text, "/mnt/efs", FS_ID, "/", OURS) is text
    assert fs.parse(text)[1].comment == "# keep: EFS home dirs"


def test_junk_after_passno_is_not_a_comment():
    text = "fs-12345678:/ /mnt/efs efs _netdev,tls 0 0 junk # x\n"
    assert fs.set_line(text, "/mnt/efs", FS_ID, "/", OURS) == "fs-12345678:/ /mnt/efs efs _netdev,tls 0 0\n"


def test_crlf_line_is_equivalent_as_libmount_reads_it():
    text = "fs-12345678:/ /mnt/efs efs _netdev,tls 0 0\r\n"
    assert fs.set_line(text, "/mnt/efs", FS_ID, "/", OURS) is text

# -*- coding: utf-8 -*-
from __future__ import annotations

from ansible_collections.aws_efs.transit.plugins.module_utils import _mount_options as mo
from ansible_collections.aws_efs.transit.plugins.module_utils import _mount_plan as mp

FS = "fs-0123abcd"


def spec(path="/mnt/b", boot=True, options=None, fs_id=FS):
    return mp.spec_from_params(
        dict(
            file_system_id=fs_id,
            path=path,
            subpath="/",
            iam=False,
            access_point=None,
            efs_utils_aws_profile=None,
            region=None,
            mount_target_ip=None,
            az=None,
            options=options,
            relay="auto",
            boot=boot,
            nofail=False,
        )
    )


BASE = [("tls", None), ("_netdev", None)]
FIRST = FS + ":/ /mnt/a efs tls,_netdev 0 0\n"


def test_second_mount_of_a_file_system_waits_for_the_first_at_boot():
    opts = mp.with_boot_order(spec(), BASE, "/dev/vda / ext4 defaults 0 1\n" + FIRST)
    assert opts == BASE + [(mp.BOOT_ORDER, "/mnt/a")]
    assert mo.render(opts) == "tls,_netdev,x-systemd.requires-mounts-for=/mnt/a"


def test_first_mount_and_other_file_systems_get_no_order():
    # Its own line comes first: the other mount orders after it, not the other way round.
    assert mp.with_boot_order(spec(path="/mnt/a"), BASE, FIRST + FS + ":/ /mnt/b efs tls 0 0\n") == BASE
    assert mp.with_boot_order(spec(fs_id="fs-0123abce"), BASE, FIRST) == BASE
    assert mp.with_boot_order(spec(), BASE, "") == BASE
    assert mp.with_boot_order(spec(), BASE, "# " + FIRST) == BASE


def test_no_order_without_boot_after_a_noauto_line_or_when_the_user_set_one():
    assert mp.with_boot_order(spec(boot=False), BASE, FIRST) == BASE
    assert mp.with_boot_order(spec(), BASE, FS + ":/ /mnt/a efs tls,noauto 0 0\n") == BASE
    own = BASE + [(mp.BOOT_ORDER, "/srv/x")]
    assert mp.with_boot_order(spec(), own, FIRST) == own


def test_an_existing_line_keeps_its_order_and_odd_paths_get_none():
    text = FIRST + FS + ":/ /mnt/b efs tls,_netdev,x-systemd.requires-mounts-for=/mnt/a 0 0\n"
    assert mp.with_boot_order(spec(), BASE, text) == BASE + [(mp.BOOT_ORDER, "/mnt/a")]
    assert mp.with_boot_order(spec(), BASE, FS + ":/ /mnt/a\\040b efs tls 0 0\n") == BASE


def test_the_mount_command_never_gets_x_options():
    assert mo.mount_command_options(BASE + [(mp.BOOT_ORDER, "/mnt/a")]) == [("tls", None)]

# -*- coding: utf-8 -*-
"""_mount_plan's rules for unmounting (states unmounted/absent), on fixture hosts."""

from __future__ import annotations

import pytest

from ansible_collections.aws_efs.transit.plugins.module_utils import _mount_options as mo
from ansible_collections.aws_efs.transit.plugins.module_utils import _mount_plan as mp
from ansible_collections.aws_efs.transit.plugins.module_utils import _proof
from ansible_collections.aws_efs.transit.tests.unit.host_trees import fixture_facts

PARAMS = {
    "file_system_id": "fs-12345678",
    "path": "/mnt/efs",
    "subpath": "/",
    "iam": False,
    "access_point": None,
    "efs_utils_aws_profile": None,
    "region": None,
    "mount_target_ip": None,
    "az": None,
    "options": [],
    "relay": "auto",
    "boot": True,
    "nofail": True,
}


def host(name, path, extra_mounts=""):
    base, facts = fixture_facts(name)
    mounts = _proof.read_mountinfo(facts["proc_root"])
    if extra_mounts:
        mounts = mounts + _proof.parse_mountinfo(extra_mounts)
    states = _proof.read_state_files(facts["state_dir"])
    proof = _proof.prove(
        "fs-12345678",
        path,
        mounts,
        states,
        proc_root=facts["proc_root"],
        state_dir=facts["state_dir"],
        log_dir=None,
        fs_root=facts["fs_root"],
        probe=facts["probe"],
    )
    return proof, mounts


def spec(**kw):
    return mp.spec_from_params(dict(PARAMS, **kw))


def test_mounted_fs_id_from_state_file_or_source():
    proof, _m = host("v2_stunnel", "/mnt/efs")
    assert mp.mounted_fs_id(proof) == "fs-12345678"
    dns = "61 60 0:80 / /mnt/efs rw - nfs4 fs-87654321.efs.us-east-1.amazonaws.com:/ rw,port=2049,addr=10.0.0.9\n"
    stacked, _m = host("v2_stunnel", "/mnt/efs", dns)
    assert mp.mounted_fs_id(stacked) == "fs-87654321"  # plain NFS to an EFS DNS name, on top
    for name in ("plain_nfs", "loopback_no_state"):  # an address; a loopback port without a state file
        unnamed, _m = host(name, "/mnt/efs")
        assert mp.mounted_fs_id(unnamed) is None


def test_riders_of_a_shared_client():
    carrier, mounts = host("shared_client", "/mnt/a")
    assert mp.riders(carrier, mounts) == ["/mnt/b"]
    rider, mounts = host("shared_client", "/mnt/b")
    assert rider["shared_nfs_client"] is True and mp.riders(rider, mounts) == []
    alone, mounts = host("v2_stunnel", "/mnt/efs")
    assert mp.riders(alone, mounts) == []


def test_mounts_below():
    proof, mounts = host("v2_stunnel", "/mnt/efs", "71 60 8:5 / /mnt/efs/x rw - ext4 /dev/vdd rw\n")
    assert mp.mounts_below(proof, mounts) == ["/mnt/efs/x"]


@pytest.mark.parametrize(
    "name, path, fs_id, expected",
    [
        ("v2_stunnel", "/mnt/efs", "fs-12345678", None),
        ("v2_stunnel", "/mnt/efs", "fs-87654321", "holds a mount of fs-12345678, not fs-87654321"),
        ("loopback_no_state", "/mnt/efs", "fs-12345678", "names no file system"),
        ("shared_client", "/mnt/a", "fs-12345678", "carries the NFS traffic of /mnt/b"),
        ("shared_client", "/mnt/b", "fs-12345678", None),
    ],
)
def test_plan_for_absent(name, path, fs_id, expected):
    proof, mounts = host(name, path)
    the_plan = mp.plan("absent", spec(path=path, file_system_id=fs_id), "", "", proof, False, None, mounts)
    if expected is None:
        assert the_plan.fail is None and the_plan.unmount is True
    else:
        assert expected in the_plan.fail and the_plan.unmount is False and the_plan.actions == []


# ---------------------------------------------------------------- boot order

FS = "fs-0123abcd"


def boot_spec(path="/mnt/b", boot=True, fs_id=FS):
    return spec(file_system_id=fs_id, path=path, boot=boot, nofail=False)


BASE = [("tls", None), ("_netdev", None)]
FIRST = FS + ":/ /mnt/a efs tls,_netdev 0 0\n"


def test_second_mount_of_a_file_system_waits_for_the_first_at_boot():
    opts = mp.with_boot_order(boot_spec(), BASE, "/dev/vda / ext4 defaults 0 1\n" + FIRST)
    assert opts == BASE + [(mp.BOOT_ORDER, "/mnt/a")]
    assert mo.render(opts) == "tls,_netdev,x-systemd.requires-mounts-for=/mnt/a"


def test_first_mount_and_other_file_systems_get_no_order():
    # Its own line comes first: the other mount orders after it, not the other way round.
    assert mp.with_boot_order(boot_spec(path="/mnt/a"), BASE, FIRST + FS + ":/ /mnt/b efs tls 0 0\n") == BASE
    assert mp.with_boot_order(boot_spec(fs_id="fs-0123abce"), BASE, FIRST) == BASE
    assert mp.with_boot_order(boot_spec(), BASE, "") == BASE
    assert mp.with_boot_order(boot_spec(), BASE, "# " + FIRST) == BASE


def test_no_order_without_boot_after_a_noauto_line_or_when_the_user_set_one():
    assert mp.with_boot_order(boot_spec(boot=False), BASE, FIRST) == BASE
    assert mp.with_boot_order(boot_spec(), BASE, FS + ":/ /mnt/a efs tls,noauto 0 0\n") == BASE
    own = BASE + [(mp.BOOT_ORDER, "/srv/x")]
    assert mp.with_boot_order(boot_spec(), own, FIRST) == own


def test_an_existing_line_keeps_its_order_and_odd_paths_get_none():
    text = FIRST + FS + ":/ /mnt/b efs tls,_netdev,x-systemd.requires-mounts-for=/mnt/a 0 0\n"
    assert mp.with_boot_order(boot_spec(), BASE, text) == BASE + [(mp.BOOT_ORDER, "/mnt/a")]
    assert mp.with_boot_order(boot_spec(), BASE, FS + ":/ /mnt/a\\040b efs tls 0 0\n") == BASE


def test_the_mount_command_never_gets_x_options():
    assert mo.mount_command_options(BASE + [(mp.BOOT_ORDER, "/mnt/a")]) == [("tls", None)]

"""Port choice: the range, reservations by state files, ports already bound."""

from __future__ import annotations

import socket

import pytest

from efs_standin import mount


def free_port_block(size):
    """A run of `size` consecutive ports that are free now."""
    for base in range(40000, 60000, size):
        socks = []
        try:
            for port in range(base, base + size):
                sock = socket.socket()
                sock.bind(("localhost", port))
                socks.append(sock)
            return base
        except OSError:
            continue
        finally:
            for sock in socks:
                sock.close()
    pytest.skip("no free port block")
    return None


def test_reserved_and_bound_ports_are_skipped(shipped_config, tmp_path):
    base = free_port_block(3)
    shipped_config.set("mount", "port_range_lower_bound", str(base))
    shipped_config.set("mount", "port_range_upper_bound", str(base + 3))
    (tmp_path / ("fs-1.mnt.a.%d" % base)).write_text("{}")
    busy = socket.socket()
    busy.bind(("localhost", base + 1))
    try:
        sock = mount.choose_port(shipped_config, {}, str(tmp_path), shuffle=lambda ports: None)
        assert sock.getsockname()[1] == base + 2
        sock.close()
    finally:
        busy.close()


def test_temporary_state_files_reserve_too(tmp_path):
    (tmp_path / "~fs-1.mnt.a.20100").write_text("{}")
    assert mount.port_reserved(str(tmp_path), 20100) == "~fs-1.mnt.a.20100"
    assert mount.port_reserved(str(tmp_path), 20101) is None
    assert mount.port_reserved(str(tmp_path / "absent"), 20100) is None


def test_exhausted_range_is_fatal(shipped_config, tmp_path):
    base = free_port_block(2)
    shipped_config.set("mount", "port_range_lower_bound", str(base))
    shipped_config.set("mount", "port_range_upper_bound", str(base + 2))
    for port in (base, base + 1):
        (tmp_path / ("fs-1.mnt.x%d.%d" % (port, port))).write_text("{}")
    with pytest.raises(mount.Error) as err:
        mount.choose_port(shipped_config, {}, str(tmp_path))
    assert err.value.message.startswith("Failed to locate an available port in the range [%d, %d]" % (base, base + 2))


def test_tlsport_taken_is_fatal(shipped_config, tmp_path):
    (tmp_path / "fs-1.mnt.a.20333").write_text("{}")
    with pytest.raises(mount.Error, match=r"Specified port \[20333\] is unavailable"):
        mount.choose_port(shipped_config, {"tlsport": "20333"}, str(tmp_path))


def test_inverted_range_is_fatal(shipped_config, tmp_path):
    shipped_config.set("mount", "port_range_lower_bound", "21049")
    with pytest.raises(mount.Error, match="must be strictly greater"):
        mount.choose_port(shipped_config, {}, str(tmp_path))


def test_random_choice_stays_in_range(shipped_config, tmp_path):
    sock = mount.choose_port(shipped_config, {}, str(tmp_path))
    try:
        assert 20049 <= sock.getsockname()[1] < 21049
    finally:
        sock.close()

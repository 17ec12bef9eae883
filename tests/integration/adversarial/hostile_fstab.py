"""Case 6: a hostile fstab, and the check that efs_tls_mount kept every byte that is not its own.

hostile_fstab.py make BASE FS_ID MOUNTPOINT > HOSTILE
    BASE (the guest's fstab before the tier) without its lines for MOUNTPOINT, plus comments, tabs, blank lines,
    escapes, a non-UTF-8 byte, unrelated entries, two lines for another mount point of the
    same file system, two stale lines for MOUNTPOINT, and no trailing newline.
hostile_fstab.py check HOSTILE RESULT WRITER_LOG FS_ID MOUNTPOINT
    RESULT minus the lines for MOUNTPOINT and the second writer's lines must be HOSTILE minus
    its lines for MOUNTPOINT (byte for byte; the one newline our append adds after a last line
    that had none is allowed); exactly one line for MOUNTPOINT, a TLS line for FS_ID; every
    line the writer logged is there once, in order; and the writer wrote both before and
    after efs_tls_mount wrote its line (its log says so), so the two really overlapped.
"""

from __future__ import annotations

import re
import sys

WRITER = re.compile(rb"^# adv-writer (\d+)\n?$")


def fields(line: bytes) -> list[bytes]:
    body = line.strip()
    return [] if not body or body.startswith(b"#") else body.split()


def is_ours(line: bytes, mnt: bytes) -> bool:
    f = fields(line)
    return len(f) > 1 and f[1] == mnt


def make(base: bytes, fs_id: str, mnt: str) -> bytes:
    fs, m = fs_id.encode(), mnt.encode()
    base = b"".join(line for line in base.splitlines(True) if not is_ours(line, m))
    if base and not base.endswith(b"\n"):
        base += b"\n"
    return base + b"".join(
        [
            b"\n",
            b"# --- hostile fstab (tests/integration/adversarial) ---\n",
            b"   # an indented comment naming " + fs + b":/ " + m + b" efs tls 0 0\n",
            b"#" + fs + b":/ " + m + b" efs _netdev,tls 0 0\n",
            b"\t\n",
            b"   \n",
            b"# caf\xe9 (latin-1, not UTF-8)\n",
            b"# adv-writer-zone (a second writer inserts its lines below, while efs_tls_mount runs)\n",
            b"# adv-writer-zone-end\n",
            b"tmpfs\t/mnt/adv-tmp\ttmpfs\tnoauto,size=1m\t0\t0\n",
            b"tmpfs   /mnt/adv\\040space   tmpfs   noauto,size=1m   0   0   \n",
            b"proc /mnt/adv-proc proc noauto 0 0\n",
            # The same file system at another path, twice: not ours to touch.
            fs + b":/ /mnt/adv-other efs _netdev,tls,noauto 0 0\n",
            fs + b":/ /mnt/adv-other efs _netdev,tls,noauto 0 0\n",
            # Two stale lines for our path (different options): one must become ours, one go.
            fs + b":/\t" + m + b"\tefs\t_netdev,tls,noac,noauto\t0\t0\n",
            b"# between the two stale lines\n",
            fs + b" " + m + b" efs tls,noauto 0 0\n",
            b"\n\n",
            b"tmpfs /mnt/adv-last tmpfs noauto 0 0",  # no trailing newline
        ]
    )


def check(hostile: bytes, result: bytes, writer_log: str, fs_id: str, mnt: str) -> list[str]:
    m = mnt.encode()
    errors = []
    h_lines = hostile.splitlines(True)
    r_lines = result.splitlines(True)
    ours = [line for line in r_lines if is_ours(line, m)]
    if len(ours) != 1:
        errors.append("%d lines for %s, want 1: %r" % (len(ours), mnt, ours))
    elif not (
        fields(ours[0])[0].decode().split(":")[0] == fs_id
        and fields(ours[0])[2] == b"efs"
        and b"tls" in fields(ours[0])[3].split(b",")
    ):
        errors.append("the line for %s is not a TLS line for %s: %r" % (mnt, fs_id, ours[0]))

    entries = [line.split() for line in writer_log.splitlines() if line.strip()]
    logged = [int(n) for n, _seen in entries]
    got = [int(WRITER.match(line).group(1)) for line in r_lines if WRITER.match(line)]
    if got != logged:
        lost = sorted(set(logged) - set(got))
        errors.append(
            "second writer: %d lines logged, %d in fstab; lost %s; duplicated or reordered: %s"
            % (len(logged), len(got), lost[:10], got != sorted(set(got)))
        )
    seen = [s for _n, s in entries]
    if "no" not in seen or "yes" not in seen:
        errors.append(
            "the writer did not run both before and after efs_tls_mount wrote its line (%s): "
            "no overlap, so this run proves nothing about concurrency" % " ".join(sorted(set(seen)))
        )

    want = [line for line in h_lines if not is_ours(line, m)]
    have = [line for line in r_lines if not is_ours(line, m) and not WRITER.match(line)]
    # The hostile file's last line had no newline; anything appended after it adds exactly one.
    if want and not want[-1].endswith(b"\n") and len(have) == len(want) and have[-1] == want[-1] + b"\n":
        have[-1] = want[-1]
    if have != want:
        for i, (a, b) in enumerate(zip(want, have)):
            if a != b:
                errors.append("foreign line %d changed: %r -> %r" % (i + 1, a, b))
                break
        else:
            errors.append("foreign lines: %d before, %d after" % (len(want), len(have)))
    return errors


def main(argv: list[str]) -> int:
    if argv[:1] == ["make"]:
        base, fs_id, mnt = argv[1:]
        with open(base, "rb") as f:
            sys.stdout.buffer.write(make(f.read(), fs_id, mnt))
        return 0
    if argv[:1] == ["check"]:
        hostile, result, log, fs_id, mnt = argv[1:]
        with open(hostile, "rb") as f1, open(result, "rb") as f2, open(log, encoding="ascii") as f3:
            errors = check(f1.read(), f2.read(), f3.read(), fs_id, mnt)
        for e in errors:
            print("FAIL: " + e, file=sys.stderr)
        if not errors:
            print(
                "    fstab: foreign bytes identical, our line once, second writer's %s lines all kept"
                % sum(1 for _line in open(log)),
                file=sys.stderr,
            )
        return 1 if errors else 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

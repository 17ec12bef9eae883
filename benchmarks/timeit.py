"""Runs one command and records what it cost: wall time, the controller's CPU (the command and
its children) and the CPU the sandbox's qemu guests burned meanwhile.

    timeit.py --out FILE.json --log FILE.log -- CMD...

Prints the wall seconds on stdout; exits with the command's status.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import resource
import subprocess
import sys
import time

TICK = os.sysconf("SC_CLK_TCK")


def guest_cpu(build):
    """CPU seconds (user + system) used so far by every running sandbox qemu process."""
    total = {}
    for pidfile in glob.glob(os.path.join(build, "sandbox", "guest*", "pid")):
        try:
            with open(pidfile, encoding="utf-8") as f:
                pid = f.read().strip()
            with open(f"/proc/{pid}/stat", encoding="utf-8") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # utime and stime are fields 14 and 15 of stat; index 11 and 12 after the comm field.
        total[os.path.basename(os.path.dirname(pidfile))] = (int(fields[11]) + int(fields[12])) / TICK
    return total


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("cmd", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    build = os.environ["BUILD"]
    g0 = guest_cpu(build)
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    with open(args.log, "w", encoding="utf-8") as log:
        rc = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, check=False).returncode
    wall = time.monotonic() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    g1 = guest_cpu(build)
    rec = {
        "wall": round(wall, 3),
        "controller_cpu": round((r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime), 3),
        "guest_cpu": {g: round(g1[g] - g0.get(g, 0.0), 2) for g in sorted(g1)},
        "loadavg": open("/proc/loadavg", encoding="utf-8").read().split()[:3],
        "rc": rc,
    }
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(rec, f, indent=2)
    print(f"{wall:.2f}")
    return rc


if __name__ == "__main__":
    sys.exit(main())

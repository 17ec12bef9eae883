"""Checks the PLAY RECAP of an ansible-playbook log: `recap.py LOG changed=0 failed=0 [--host H]`.

Every host in the recap (or only H) must match every KEY=VALUE; prints the recap either way.
"""

from __future__ import annotations

import re
import sys

LINE = re.compile(r"^(?P<host>\S+)\s+:\s+(?P<counts>(?:\w+=\d+\s*)+)$")


def parse_recap(text: str) -> dict[str, dict[str, int]]:
    recap = text.rsplit("PLAY RECAP", 1)
    if len(recap) != 2:
        raise SystemExit("no PLAY RECAP in the log: the playbook did not finish")
    hosts = {}
    for line in recap[1].splitlines():
        m = LINE.match(line.strip())
        if m:
            hosts[m["host"]] = {k: int(v) for k, v in (kv.split("=") for kv in m["counts"].split())}
    return hosts


def main(argv: list[str]) -> int:
    log, *rest = argv
    only = None
    if "--host" in rest:
        i = rest.index("--host")
        only = rest[i + 1]
        del rest[i : i + 2]
    wanted = {k: int(v) for k, v in (a.split("=") for a in rest)}
    with open(log, encoding="utf-8", errors="replace") as f:
        hosts = parse_recap(f.read())
    bad = []
    for host, counts in sorted(hosts.items()):
        if only and host != only:
            continue
        print(f"  {host}: " + " ".join(f"{k}={v}" for k, v in counts.items()))
        bad += [f"{host}: {k}={counts.get(k)} (want {v})" for k, v in wanted.items() if counts.get(k) != v]
    if only and only not in hosts:
        bad.append(f"{only}: not in the recap")
    for b in bad:
        print("RECAP MISMATCH " + b, file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Count EFS API calls per efs_policy run through the emulator's counters.

For 1, 10 and 100 file systems: a first run (no policy yet), an unchanged re-run, and a changed
run (one more preset). Prints a Markdown table and writes it, with the raw numbers, to
benchmarks/results/. Run through benchmarks/policy_api_calls.sh (sets up the environment).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import urllib.request

REPO = os.environ["REPO"]
BUILD = os.environ["BUILD"]
EMULATOR = os.path.join(REPO, "tests", "emulator", "emulator.sh")
PLAYBOOK = os.path.join(REPO, "benchmarks", "policy_api_calls.yml")
RESULTS = os.path.join(REPO, "benchmarks", "results")

SCENARIOS = [
    # name, presets, what the design expects per file system
    ("first run (no policy)", {"enforce_in_transit_encryption": True}, "Describe + Put + wait poll"),
    ("unchanged", {"enforce_in_transit_encryption": True}, "1 Describe"),
    ("changed", {"enforce_in_transit_encryption": True, "prevent_root_access": True}, "Describe + Put + wait poll"),
]


def control(url, path, method="POST"):
    req = urllib.request.Request(f"{url}/_emulator/{path}", method=method)
    with urllib.request.urlopen(req) as resp:
        return json.loads(resp.read())


def run_playbook(url, fs_ids, presets, workdir):
    extra = os.path.join(workdir, "extra.json")
    with open(extra, "w", encoding="utf-8") as f:
        json.dump({"emulator_url": url, "fs_ids": fs_ids, "presets": presets}, f)
    start = time.monotonic()
    proc = subprocess.run(
        ["ansible-playbook", PLAYBOOK, "-e", f"@{extra}"], capture_output=True, text=True, check=False
    )
    took = time.monotonic() - start
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-2000:])
        raise SystemExit(f"playbook failed (exit {proc.returncode})")
    return took


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", default="1,10,100", help="comma-separated numbers of file systems")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    env_dir = os.path.join(BUILD, "emulator", "bench-policy")
    os.environ["EFS_EMULATOR_DIR"] = env_dir
    subprocess.run([EMULATOR, "start"], check=True)
    rows = []
    try:
        url = subprocess.run([EMULATOR, "url"], check=True, capture_output=True, text=True).stdout.strip()
        for size in sizes:
            control(url, "reset")
            fs_ids = control(url, f"file-systems?count={size}&token=bench{size}")["FileSystemIds"]
            for name, presets, expected in SCENARIOS:
                control(url, "calls/reset")
                took = run_playbook(url, fs_ids, presets, env_dir)
                calls = control(url, "calls", method="GET")["calls"]
                rows.append(
                    {
                        "file_systems": size,
                        "scenario": name,
                        "expected_per_fs": expected,
                        "describe": calls.get("DescribeFileSystemPolicy", 0),
                        "put": calls.get("PutFileSystemPolicy", 0),
                        "delete": calls.get("DeleteFileSystemPolicy", 0),
                        "total": sum(calls.values()),
                        "seconds": round(took, 1),
                    }
                )
                print(f"{size} file systems, {name}: {calls} in {took:.1f}s", file=sys.stderr)
    finally:
        subprocess.run([EMULATOR, "stop"], check=False)

    lines = [
        "| file systems | run | DescribeFileSystemPolicy | PutFileSystemPolicy | all EFS calls | calls per fs | expected per fs | wall time (s) |",
        "|---:|---|---:|---:|---:|---:|---|---:|",
    ]
    for r in rows:
        per_fs = r["total"] / r["file_systems"]
        lines.append(
            f"| {r['file_systems']} | {r['scenario']} | {r['describe']} | {r['put']} | {r['total']} | {per_fs:g} | "
            f"{r['expected_per_fs']} | {r['seconds']} |"
        )
    table = "\n".join(lines)
    note = (
        "EFS API calls counted by the emulator (tests/emulator) for one `aws_efs.transit.efs_policy` task looping over "
        "the file systems; `wait: true` (default) polls DescribeFileSystemPolicy until the service returns the new policy. "
        "Wall time includes ansible-playbook start-up and is machine-dependent."
    )
    os.makedirs(RESULTS, exist_ok=True)
    with open(os.path.join(RESULTS, "policy_api_calls.md"), "w", encoding="utf-8") as f:
        f.write(f"## efs_policy: API calls per run\n\n{note}\n\n{table}\n")
    with open(os.path.join(RESULTS, "policy_api_calls.json"), "w", encoding="utf-8") as f:
        json.dump(rows, f, indent=2)
    print(table)
    print(f"\n(written to {os.path.relpath(RESULTS, REPO)}/policy_api_calls.md and .json)")

    # The benchmark also checks the budget it measures.
    bad = [
        r
        for r in rows
        if r["scenario"] == "unchanged" and (r["describe"] != r["file_systems"] or r["total"] != r["file_systems"])
    ]
    bad += [r for r in rows if r["scenario"] != "unchanged" and r["put"] != r["file_systems"]]
    if bad:
        raise SystemExit(f"call budget exceeded: {bad}")


if __name__ == "__main__":
    main()

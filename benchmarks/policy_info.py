"""The server side at 1, 10, 100 and 1,000 file systems against the emulator, in one run.

For each size: efs_policy_info without ids (every file system of the region), and playbooks/site.yml's
policy part on an unchanged fleet (efs_policy_info + efs_policy only where drifted), with wall time,
EFS API calls (emulator counters) and module executions (tests/lib exec_counter callback); for sizes
up to --loop-max also the old way, one efs_policy task looping over the file systems. Ratios are to
the size-1 run of the same kind. Measurements only: nothing here asserts a time. Run through
benchmarks/policy_info.sh.
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
RESULTS = os.path.join(REPO, "benchmarks", "results")
INFO_PLAY = os.path.join(REPO, "benchmarks", "playbooks", "policy_info.yml")
LOOP_PLAY = os.path.join(REPO, "benchmarks", "policy_api_calls.yml")
SITE = os.path.join(REPO, "playbooks", "site.yml")

CONSOLE = (
    '{"Version": "2012-10-17", "Id": "efs-policy-wizard-1", "Statement": ['
    '{"Sid": "efs-statement-a", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": '
    '["elasticfilesystem:ClientRootAccess", "elasticfilesystem:ClientWrite", "elasticfilesystem:ClientMount"], '
    '"Condition": {"Bool": {"elasticfilesystem:AccessedViaMountTarget": "true"}}}, '
    '{"Sid": "efs-statement-b", "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "*", '
    '"Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}'
)


def control(url, path, method="POST", body=None):
    req = urllib.request.Request(f"{url}/_emulator/{path}", method=method, data=body)
    with urllib.request.urlopen(req) as resp:
        return json.loads(resp.read())


def play(playbook, extra, workdir, name):
    path = os.path.join(workdir, f"{name}.json")
    counts = os.path.join(workdir, f"{name}.counts.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(extra, f)
    env = dict(os.environ, EXEC_COUNTER_FILE=counts)
    start = time.monotonic()
    proc = subprocess.run(
        ["ansible-playbook", playbook, "-e", f"@{path}"], capture_output=True, text=True, check=False, env=env
    )
    took = time.monotonic() - start
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-2000:])
        raise SystemExit(f"{name}: playbook failed (exit {proc.returncode})")
    with open(counts, encoding="utf-8") as f:
        executions = json.load(f).get("localhost", {}).get("executions")
    return took, executions, proc.stdout


def measure(url, kind, playbook, extra, workdir, size):
    control(url, "calls/reset")
    took, executions, dummy = play(playbook, extra, workdir, f"{kind}-{size}")
    calls = control(url, "calls", method="GET")["calls"]
    row = {
        "kind": kind,
        "file_systems": size,
        "seconds": round(took, 2),
        "executions": executions,
        "describe_file_systems": calls.get("DescribeFileSystems", 0),
        "describe_policy": calls.get("DescribeFileSystemPolicy", 0),
        "put": calls.get("PutFileSystemPolicy", 0),
    }
    print(f"{kind} x{size}: {took:.1f}s, {executions} executions, calls {calls}", file=sys.stderr)
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", default="1,10,100,1000")
    parser.add_argument("--loop-max", type=int, default=100, help="largest size for the efs_policy loop")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    workdir = os.path.join(BUILD, "emulator", "bench-policy-info")
    os.environ["EFS_EMULATOR_DIR"] = workdir
    subprocess.run([EMULATOR, "start"], check=True)
    rows = []
    try:
        url = subprocess.run([EMULATOR, "url"], check=True, capture_output=True, text=True).stdout.strip()
        for size in sizes:
            control(url, "reset")
            ids = control(url, f"file-systems?count={size}&token=info{size}")["FileSystemIds"]
            # A fleet as the console left it: every file system has the console's TLS policy.
            for fs_id in ids:
                control(url, f"policy?fs={fs_id}", method="PUT", body=CONSOLE.encode())
            base = {"emulator_url": url}
            rows.append(measure(url, "efs_policy_info, no ids", INFO_PLAY, base, workdir, size))
            site = {
                "efs_aws_endpoint_url": url,
                "efs_aws_region": "us-east-1",
                "efs_policy_file_systems": [{"file_system_id": i} for i in ids],
            }
            rows.append(measure(url, "site.yml policies, unchanged", SITE, site, workdir, size))
            if size <= args.loop_max:
                loop = dict(base, fs_ids=ids, presets={"enforce_in_transit_encryption": True})
                rows.append(measure(url, "efs_policy loop, unchanged", LOOP_PLAY, loop, workdir, size))
    finally:
        subprocess.run([EMULATOR, "stop"], check=False)

    first = {r["kind"]: r["seconds"] for r in rows if r["file_systems"] == sizes[0]}
    lines = [
        f"| run | file systems | wall time (s) | vs {sizes[0]} | module executions | DescribeFileSystems "
        "| DescribeFileSystemPolicy | PutFileSystemPolicy |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        ratio = r["seconds"] / first[r["kind"]] if first.get(r["kind"]) else float("nan")
        lines.append(
            f"| {r['kind']} | {r['file_systems']} | {r['seconds']:.1f} | {ratio:.2f}x | {r['executions']} | "
            f"{r['describe_file_systems']} | {r['describe_policy']} | {r['put']} |"
        )
    note = (
        "Every file system carries the console's TLS policy. `efs_policy_info` without ids pages through "
        "DescribeFileSystems (100 per page) and reads each policy once on 10 threads; site.yml's policy part is one "
        "efs_policy_info execution plus efs_policy only for drifted file systems (none here); the loop is one "
        f"efs_policy task per file system (up to {args.loop_max}). Wall time includes ansible-playbook start-up, "
        "against the emulator on this machine (moto, one process)."
    )
    os.makedirs(RESULTS, exist_ok=True)
    table = "\n".join(lines)
    with open(os.path.join(RESULTS, "policy_info.md"), "w", encoding="utf-8") as f:
        f.write(f"## Server side at scale\n\n{note}\n\n{table}\n")
    with open(os.path.join(RESULTS, "policy_info.json"), "w", encoding="utf-8") as f:
        json.dump(rows, f, indent=2)
    print(table)


if __name__ == "__main__":
    main()

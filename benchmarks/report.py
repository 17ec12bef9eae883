"""Turns the raw results in benchmarks/results/*.json into Markdown tables (results/<name>.md,
printed) and regenerates BENCHMARKS.md at the repository root, with the chart.
Usage: report.py RESULTS_DIR BENCHMARKS_MD CHART_REL_PATH
"""

from __future__ import annotations

import datetime
import glob
import json
import os
import re
import statistics
import sys

med = statistics.median


def load(results, name):
    path = os.path.join(results, name)
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as f:
        return json.load(f) if name.endswith(".json") else f.read()


NUMERIC = re.compile(r"^[*]*[0-9][0-9.,/ ()–×%-]*[*]*$")


def table(head, rows):
    # Right-align the columns whose cells are all numbers.
    num = [i > 0 and all(NUMERIC.match(str(r[i])) for r in rows if str(r[i])) for i in range(len(head))]
    out = ["| " + " | ".join(head) + " |", "|" + "|".join("---:" if n else "---" for n in num) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def spread(vals, fmt="{:.2f}"):
    return f"{fmt.format(med(vals))} ({fmt.format(min(vals))}–{fmt.format(max(vals))})"


def gcpu(runs):
    return med(sum(r["guest_cpu"].values()) for r in runs)


def host_of(run, host):
    return run["hosts"].get(host, {})


def role_md(r):
    host, floor, role = r["host"], r["floor"], r["role"]
    fw, rw = [x["wall"] for x in floor], [x["wall"] for x in role]
    f0, r0 = host_of(floor[0], host), host_of(role[0], host)
    rows = [
        [
            "floor: no facts, one `ansible.builtin.ping`",
            spread(fw),
            f0.get("executions"),
            max(host_of(x, host).get("changed", 0) for x in floor),
            f"{med(x['controller_cpu'] for x in floor):.1f}",
            f"{gcpu(floor):.1f}",
        ],
        [
            "`efs_client` role, no-change run",
            spread(rw),
            r0.get("executions"),
            max(host_of(x, host).get("changed", 0) for x in role),
            f"{med(x['controller_cpu'] for x in role):.1f}",
            f"{gcpu(role):.1f}",
        ],
    ]
    slow = [[t.split(" : ", 1)[-1], f"{sec:.2f}"] for t, sec in list(r0.get("task_seconds", {}).items())[:8]]
    md = [
        f"Host `{host}`, compliant; {len(fw)} runs of each, alternating. Wall time: median (min–max). "
        "CPU seconds: the controller (ansible-playbook and its SSH children) and all guests' qemu processes.\n",
        table(
            ["playbook", "wall s", "module executions on the host", "changed", "controller CPU s", "guest CPU s"], rows
        ),
        f"\n**Ratio role / floor: {med(rw) / med(fw):.1f}×** (median wall times). The floor's one ping task alone "
        f"took {spread([sum(host_of(x, host).get('task_seconds', {}).values()) for x in floor])} s of its run "
        "(task start to result, SSH connection included): one module execution on a TCG guest costs seconds.\n",
        "Module executions on the host in the role's no-change run: "
        + ", ".join(f"`{t.split(' : ', 1)[-1]}`" for t in r0.get("module_tasks", []))
        + ". Delegated to the controller (the fleet report: efs_report, an action plugin that starts no module): "
        + (", ".join(f"`{t.split(' : ', 1)[-1]}`" for t in r0.get("delegated_tasks", [])) or "none")
        + ". "
        + (
            f"(`tests/lib/callback_plugins/exec_counter.py` agrees: {r0.get('exec_counter')}.)"
            if r0.get("exec_counter") == r0.get("executions")
            else f"(`tests/lib/callback_plugins/exec_counter.py` reports {r0.get('exec_counter')}.)"
        )
        + "\n",
        "Where the role's time goes (first run; seconds from task start to result, slowest first):\n",
        table(["task", "s"], slow),
    ]
    if any("CA bundle" in t for t in r0.get("module_tasks", [])):
        md.append(
            "\nThe CA bundle task (`ansible.builtin.copy`) counts as one execution but runs two modules on the "
            "host when nothing changes: its action plugin runs `stat` for the checksum, then `file` for owner "
            "and mode."
        )
    else:
        md.append(
            "\nThe role reads everything in one `efs_client_info` execution (OS facts, CA checksum, the "
            "efs-utils.conf it would write, every mount judged as `efs_tls_mount` would) and runs only the steps "
            "`efs_client_changes` names: on a compliant host, none."
        )
    return "\n".join(md)


def mount_md(m):
    st, mt = m["stat"], m["efs_tls_mount"]
    rows = [
        ["`ansible.builtin.stat` of the mount point", spread(st)],
        ["`efs_tls_mount` no-change (state: mounted)", spread(mt)],
    ]
    return "\n".join(
        [
            f"Host `{m['host']}`, one playbook run, {len(st)} alternating pairs; task wall time from task start "
            "to result on the controller (exec_counter callback), median (min–max).\n",
            table(["task", "s"], rows),
            f"\n**Ratio efs_tls_mount / stat: {med(mt) / med(st):.2f}×.** Checked on every pair: changed = "
            f"{m['efs_tls_mount_changed']} in all, actions reported = {m['efs_tls_mount_actions']}, proof compliant "
            f"with TLS, and the helper's mount.log stayed at {m['mount_log_lines'][0]} lines (no helper call).\n",
            "`stat` runs with its defaults (`get_checksum`, `get_mime`, `get_attributes`: the last runs `lsattr` "
            "on the guest, and `get_mime` runs `file` where it is installed), so it is not a minimal module; `efs_tls_mount` reads /proc/self/mountinfo, the "
            "helper's state file, the relay's /proc/<pid>/cmdline and the tunnel config (and the helper version from "
            "the package files, as no `helper_version` was given here, unlike in the role). Under TCG every "
            "module execution costs seconds (see the floor's single ping in section 1).",
        ]
    )


def fleet_md(f):
    n, rest = f["guests"], f["rest"]
    c1, cn, n1, nn = f["converge_first"], f["converge_rest"], f["nochange_first"], f["nochange_all"]

    def execs(run):
        return "/".join(str(v["executions"]) for h, v in run["hosts"].items() if h != "localhost")

    rows = [
        [
            "converge (site.yml, fresh guest)",
            1,
            f"{c1['wall']:.1f}",
            "1.00",
            f"{sum(c1['guest_cpu'].values()):.1f}",
            f"{c1['controller_cpu']:.1f}",
            execs(c1),
        ],
        [
            "converge (site.yml, fresh guests)",
            rest,
            f"{cn['wall']:.1f}",
            f"{cn['wall'] / c1['wall']:.2f}",
            f"{sum(cn['guest_cpu'].values()):.1f}",
            f"{cn['controller_cpu']:.1f}",
            execs(cn),
        ],
        [
            "no-change (site.yml)",
            1,
            spread([x["wall"] for x in n1], "{:.1f}"),
            "1.00",
            f"{gcpu(n1):.1f}",
            f"{med(x['controller_cpu'] for x in n1):.1f}",
            execs(n1[0]),
        ],
        [
            "no-change (site.yml)",
            n,
            spread([x["wall"] for x in nn], "{:.1f}"),
            f"{med(x['wall'] for x in nn) / med(x['wall'] for x in n1):.2f}",
            f"{gcpu(nn):.1f}",
            f"{med(x['controller_cpu'] for x in nn):.1f}",
            execs(nn[0]),
        ],
    ]
    return "\n".join(
        [
            f"forks = {f['forks']}; play 1 (policies) covers the file systems of the guests in the run. The "
            f"1-guest and {rest}-guest converges are different fresh guests of the same sandbox (all {n} running "
            f"throughout); no-change runs: median (min–max) of {len(n1)}. Guest CPU: all {n} qemu processes.\n",
            table(
                [
                    "run",
                    "guests",
                    "wall s",
                    "× 1 guest",
                    "guest CPU s",
                    "controller CPU s",
                    "module executions per guest",
                ],
                rows,
            ),
        ]
    )


def throughput_md(t):
    s = t["samples"]
    rows = []
    for op in ("write", "read"):
        tls, plain = s.get(f"tls {op}", []), s.get(f"plain {op}", [])
        if tls and plain:
            rows.append(
                [
                    op,
                    spread(tls, "{:.1f}"),
                    spread(plain, "{:.1f}"),
                    f"{med(tls) / med(plain):.2f}",
                    f"{(1 - med(tls) / med(plain)) * 100:.0f} %",
                ]
            )
    return "\n".join(
        [
            f"Host `{t['host']}`, {t['mib']} MiB per transfer, {t['rounds']} rounds alternating TLS and plain "
            "(every mount of the export unmounted in between). MB/s = 10^6 bytes/s, median (min–max).\n",
            table(["op", "TLS relay MB/s", "plain NFS MB/s", "TLS / plain", "cost of TLS"], rows),
            "\nBoth stunnels (the client relay and the fake mount target) and nfsd run inside the same "
            "guest, on its one emulated CPU: the TLS path pays for encryption and decryption twice, plus two "
            "extra TCP hops, all in emulated instructions. This measures the sandbox, not EFS: on EC2 the "
            "relay runs on real cores with hardware AES and the mount target is AWS's.",
        ]
    )


def sandbox_md(results):
    log = load(results, "sandbox-up.log") or ""
    rows = []
    for line in log.splitlines():
        m = re.search(r"\] (.+?) took (\d+)s", line) or re.search(r"\] (guest\d+): SSH up after (\d+)s", line)
        if m:
            rows.append([m.group(1) if "took" in line else f"{m.group(1)}: boot to SSH", m.group(2)])
        m = re.search(r"\] sandbox up in (\d+)s", line)
        if m:
            rows.append(["**sandbox up, total**", m.group(1)])
    parts = []
    if rows:
        parts += ["`tests/sandbox/sandbox.sh up` of this run:\n", table(["phase", "s"], rows)]
    img = load(results, "image_build.json")
    if img:
        when = datetime.datetime.fromtimestamp(os.path.getmtime(os.path.join(results, "image_build.json")))
        ph = img["phases"]
        dl = ph.get("debootstrap download", 0)
        parts += [
            f"\nGuest image built from nothing by `benchmarks/image_build.sh` ({when:%Y-%m-%d %H:%M}, "
            "in a scratch cache, on its own: no guest of this run was up):\n",
            table(
                ["phase", "s"],
                [[k, v] for k, v in ph.items()]
                + [
                    ["**total (uncached)**", img["total"]],
                    ["total without the download (cached debootstrap tarball)", img["total"] - dl],
                ],
            ),
        ]
    else:
        parts.append(
            "\nImage: reused from the cache in this run (the row above); a build from nothing was "
            "not measured (`benchmarks/run.sh --only none --image-rebuild` does)."
        )
    # The test tiers leave their phase times under .build/phases/ (tests never write here).
    phases_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".build", "phases")
    for p in sorted(glob.glob(os.path.join(phases_dir, "*.txt"))):
        when = datetime.datetime.fromtimestamp(os.path.getmtime(p)).strftime("%Y-%m-%d %H:%M")
        parts += [
            f"\nPhases recorded by `tests/tiers/{os.path.basename(p)[:-4]}.sh` ({when}, another run):\n",
            "```",
            open(p, encoding="utf-8").read().rstrip(),
            "```",
        ]
    return "\n".join(parts)


def mount_line(m):
    proof = f"TLS via {m.get('relay')} port {m.get('port')}" if m.get("tls") else "not proven"
    return f"{m['file_system_id']} {m['path']} {proof}"


def compliance_md(c):
    rows = [
        [
            h["host"],
            "yes" if h["compliant"] else "**no**",
            (h.get("efs_utils") or {}).get("version", ""),
            h.get("relay", ""),
            "; ".join(mount_line(m) for m in h.get("mounts", [])),
        ]
        for h in c.get("hosts", [])
    ]
    # One schema (efs_report) for the role's report and audit.yml's.
    s = c["summary"]
    pol = [f["policy"] for f in c.get("file_systems") or [] if f["policy"].get("checked")]
    return "\n".join(
        [
            f"From the role's report (`efs-transit-compliance.json`, {c.get('generated_at')}): "
            f"**{'COMPLIANT' if c['compliant'] else 'NOT COMPLIANT'}**, hosts {s['hosts_compliant']}/{s['hosts_total']}, "
            f"mounts {s['mounts_compliant']}/{s['mounts_total']}"
            + (f", policies {sum(1 for p in pol if p.get('compliant'))}/{len(pol)}" if pol else "")
            + ".\n",
            table(["host", "compliant", "efs-utils", "relay", "mounts"], rows),
        ]
    )


SECTIONS = [
    ("role_nochange", "1. The role's no-change run versus a floor playbook", "role_nochange.json", role_md),
    ("mount_nochange", "2. efs_tls_mount no-change versus stat", "mount_nochange.json", mount_md),
    ("fleet_forks", "3. Several guests at once (forks) versus one", "fleet_forks.json", fleet_md),
    (
        "throughput",
        "4. What encryption costs: throughput through the TLS relay versus plain NFS",
        "throughput.json",
        throughput_md,
    ),
]


def loads(results):
    """Every 1-minute load average recorded at the end of a playbook run of this benchmark run."""
    found = []

    def walk(o):
        if isinstance(o, dict):
            if "loadavg" in o and isinstance(o["loadavg"], list):
                found.append(float(o["loadavg"][0]))
            for v in o.values():
                walk(v)
        elif isinstance(o, list):
            for v in o:
                walk(v)

    for name in ("role_nochange.json", "mount_nochange.json", "fleet_forks.json"):
        walk(load(results, name))
    return found


def summary(results):
    out = []
    r = load(results, "role_nochange.json")
    if r:
        h = host_of(r["role"][0], r["host"])
        out.append(
            f"The role's no-change run on a compliant guest: {h.get('executions')} module executions, "
            f"changed={max(host_of(x, r['host']).get('changed', 0) for x in r['role'])}, "
            f"{med(x['wall'] for x in r['role']) / med(x['wall'] for x in r['floor']):.1f}× the wall time of a "
            "one-ping playbook."
        )
    m = load(results, "mount_nochange.json")
    if m:
        out.append(
            f"`efs_tls_mount` on a compliant mount (no change, no helper call): "
            f"{med(m['efs_tls_mount']) / med(m['stat']):.2f}× the time of a `stat` of the same path."
        )
    f = load(results, "fleet_forks.json")
    if f:
        out.append(
            f"{f['rest']} fresh guests converged at once took {f['converge_rest']['wall'] / f['converge_first']['wall']:.2f}× "
            f"the time of one; the no-change run on {f['guests']} guests "
            f"{med(x['wall'] for x in f['nochange_all']) / med(x['wall'] for x in f['nochange_first']):.2f}× "
            "that on one (CPU-bound: 2 host cores for all guests and the controller)."
        )
    t = load(results, "throughput.json")
    if t:
        sm = t["samples"]
        out.append(
            "Through the TLS relay versus plain NFS on the same guest: write "
            f"{med(sm['tls write']):.1f} vs {med(sm['plain write']):.1f} MB/s, read "
            f"{med(sm['tls read']):.1f} vs {med(sm['plain read']):.1f} MB/s (emulated CPU; see section 4)."
        )
    c = load(results, "compliance.json")
    if c:
        s = c.get("summary") or c
        out.append(
            f"Compliance after all of it: {'COMPLIANT' if c['compliant'] else 'NOT COMPLIANT'}, "
            f"hosts {s['hosts_compliant']}/{s['hosts_total']}, mounts {s['mounts_compliant']}/{s['mounts_total']}."
        )
    p = load(results, "policy_info.json")
    if p:
        out.append(policy_info_line(p))
    return "\n".join(f"- {x}" for x in out)


def policy_info_line(rows):
    """The server side in one sentence: time ratios to one file system, executions and calls."""

    def row(kind, n):
        return next((r for r in rows if r["kind"] == kind and r["file_systems"] == n), None)

    info, site, loop = "efs_policy_info, no ids", "site.yml policies, unchanged", "efs_policy loop, unchanged"
    sizes = sorted({r["file_systems"] for r in rows})
    one, big = sizes[0], sizes[-1]
    parts = [
        "The server side (section 8): `efs_policy_info` over every file system of the region, one module execution: "
        + ", ".join(
            f"{n:,} file systems {row(info, n)['seconds'] / row(info, one)['seconds']:.2f}× the time of {one}"
            for n in sizes[1:]
            if row(info, n)
        )
    ]
    if row(site, big):
        parts.append(
            f"site.yml's policy part on an unchanged fleet of {big:,}: {row(site, big)['executions']} execution(s), "
            f"{row(site, big)['seconds'] / row(site, one)['seconds']:.2f}× the time of {one}"
        )
    loops = [r for r in rows if r["kind"] == loop and r["file_systems"] != one]
    if loops and row(loop, one):
        last = loops[-1]
        parts.append(
            f"the per-item `efs_policy` loop: {last['file_systems']} file systems "
            f"{last['seconds'] / row(loop, one)['seconds']:.0f}× the time of {one} ({last['executions']} executions)"
        )
    return "; ".join(parts) + "."


def main(argv):
    results, out_md, chart = argv
    run = load(results, "run.json") or {}
    la = loads(results)
    m_img = re.search(r"\] image \(\w+\) took (\d+)s", load(results, "sandbox-up.log") or "")
    img_s = int(m_img.group(1)) if m_img else 0
    machine = load(results, "machine.json") or {}
    body = []
    for name, title, src, fn in SECTIONS:
        data = load(results, src)
        md = fn(data) if data else "_not measured in this run_"
        with open(os.path.join(results, f"{name}.md"), "w", encoding="utf-8") as f:
            f.write(f"## {title}\n\n{md}\n")
        print(f"\n## {title}\n\n{md}")
        body.append(f"## {title}\n\n{md}\n")
    sb = sandbox_md(results)
    fl = load(results, "fleet_forks.json")
    conv = (
        f"Converge (`site.yml` on fresh guests): one guest {fl['converge_first']['wall']:.0f} s, {fl['rest']} at once "
        f"{fl['converge_rest']['wall']:.0f} s (section 3)."
        if fl
        else ""
    )
    body.append(f"## 5. Sandbox: image, boot, converge\n\n{sb}\n\n{conv}\n")
    print(f"\n## 5. Sandbox\n\n{sb}")
    comp = load(results, "compliance.json")
    body.append(
        "## 6. The picture\n\n"
        + (compliance_md(comp) if comp else "_no compliance report_")
        + f"\n\n![compliance summary, throughput and no-change costs]({chart})\n"
    )
    pol = load(results, "policy_api_calls.md")
    if pol:
        when = datetime.datetime.fromtimestamp(os.path.getmtime(os.path.join(results, "policy_api_calls.md")))
        pol = re.sub(r"^## .*\n+", "", pol.strip())
        body.append(
            "## 7. efs_policy API calls for 1, 10, 100 file systems\n\n"
            f"From `benchmarks/policy_api_calls.sh` (run {when:%Y-%m-%d %H:%M}, host only, no guests):\n\n"
            f"{pol}\n"
        )
    info = load(results, "policy_info.md")
    if info:
        when = datetime.datetime.fromtimestamp(os.path.getmtime(os.path.join(results, "policy_info.md")))
        info = re.sub(r"^## .*\n+", "", info.strip())
        body.append(
            "## 8. The server side at 1, 10, 100 and 1,000 file systems\n\n"
            f"From `benchmarks/policy_info.sh` (run {when:%Y-%m-%d %H:%M}, host only, emulator):\n\n{info}\n"
        )
    head = [
        "# Benchmarks",
        "",
        "Measured by `benchmarks/run.sh` (see benchmarks/README.md); regenerated from benchmarks/results/ by "
        "`benchmarks/report.py`. These are measurements, not pass/fail tests: a run fails only when something "
        "functionally breaks (a playbook fails, a no-change run changes something, a mount is not what it "
        "should be).",
        "",
        f"- Run: {run.get('date', '?')}, {run.get('seconds', '?')} s in all"
        + (
            f" (of which {img_s} s building the guest image in `sandbox.sh up`: its inputs had changed)"
            if img_s
            else ""
        )
        + f", {run.get('guests', '?')} guests.",
        f"- Machine: {machine.get('cpus', '?')} CPU cores ({machine.get('cpu_model', '?')}), "
        f"{machine.get('mem_gib', '?')} GiB RAM, Linux {machine.get('kernel', '?')}; "
        f"load average at start {' '.join(machine.get('loadavg_at_start', []))}"
        + (f", {min(la):.1f}–{max(la):.1f} at the end of the playbook runs" if la else "")
        + " (the machine is shared with other engineers' guests and tests; numbers move with it).",
        f"- Guests: Debian {run.get('release', 'bookworm')} under {machine.get('qemu', 'qemu')}, "
        f"accelerator **{run.get('accel', '?')}** (software emulation: every guest instruction is translated, so "
        "guest CPU work is far slower than on hardware), 1 vCPU and "
        f"{run.get('mem', '512')} MiB each.",
        f"- Mount helper: {run.get('helper', '?')}; relay per guest (relay/file layout): "
        f"{', '.join(run.get('modes') or ['stunnel/deb'])} (TLS 1.2+, verify = 2, checkHost).",
        f"- Controller: {machine.get('ansible', '?')}, Python {machine.get('python', '?')}; "
        "pipelining on, SSH to the guests through qemu's user-mode network.",
        "",
        "**Caveat (2 cores, TCG).** With 3 guests on 2 host cores, each guest is one emulated CPU competing for "
        "the same two cores as the controller (ansible-playbook, SSH, the EFS emulator). Parallel runs "
        "therefore scale with the CPU left over, not with forks: on real hosts each guest has its own CPUs "
        "and the controller is the only shared part. Absolute times here are far above what EC2 instances "
        "see; the ratios (role vs floor, module vs stat, TLS vs plain) are the useful numbers, and even "
        "they are inflated where guest CPU dominates (TLS encryption in the relay runs emulated).",
        "",
    ]
    summ = summary(results)
    if summ:
        head += ["## Summary", "", summ, ""]
    with open(out_md, "w", encoding="utf-8") as f:
        f.write("\n".join(head) + "\n" + "\n".join(body))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Draws the benchmark picture as a hand-written SVG (no plotting library): the compliance summary
from the role's JSON report, the throughput through the TLS relay versus plain NFS, and the
no-change costs. Usage: chart.py RESULTS_DIR OUT.svg [OUT2.svg ...]
"""

from __future__ import annotations

import json
import os
import statistics
import sys
from html import escape

GREEN, RED, TLS, PLAIN, GREY, INK = "#2e7d32", "#c62828", "#1565c0", "#9e9e9e", "#e0e0e0", "#212121"


def load(results, name):
    path = os.path.join(results, name)
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def text(x, y, s, size=12, anchor="start", weight="normal", fill=INK):
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
        f'font-weight="{weight}" fill="{fill}">{escape(str(s))}</text>'
    )


def rect(x, y, w, h, fill, title=None):
    t = f"<title>{escape(title)}</title>" if title else ""
    return f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" height="{h:.1f}" fill="{fill}">{t}</rect>'


def compliance_panel(report, x0, y0, w):
    out = [text(x0, y0, "Compliance (role report)", 15, weight="bold")]
    if not report:
        return out + [text(x0, y0 + 30, "no compliance report found")]
    verdict = "COMPLIANT" if report.get("compliant") else "NOT COMPLIANT"
    out.append(
        text(
            x0,
            y0 + 22,
            f"{verdict}, {report.get('generated_at', '')}",
            12,
            fill=GREEN if report.get("compliant") else RED,
        )
    )
    counts = report["summary"]
    policies = [f["policy"] for f in report.get("file_systems") or [] if f["policy"].get("checked")]
    bars = [
        ("hosts", counts["hosts_compliant"], counts["hosts_total"]),
        ("mounts", counts["mounts_compliant"], counts["mounts_total"]),
    ]
    if policies:
        bars.append(("policies", sum(1 for p in policies if p.get("compliant")), len(policies)))
    bw = w - 150
    y = y0 + 45
    for label, good, total in bars:
        out.append(text(x0, y + 14, label, 12))
        frac = good / total if total else 0
        out.append(rect(x0 + 70, y, bw * frac, 20, GREEN, f"{good} compliant"))
        out.append(rect(x0 + 70 + bw * frac, y, bw * (1 - frac), 20, RED if total else GREY, f"{total - good} not"))
        out.append(text(x0 + 78 + bw, y + 14, f"{good}/{total}", 12))
        y += 30
    y += 10
    for h in report.get("hosts", []):
        ok = h.get("compliant")
        out.append(f'<circle cx="{x0 + 6}" cy="{y - 4}" r="5" fill="{GREEN if ok else RED}"/>')
        version = (h.get("efs_utils") or {}).get("version", "?")
        wd = "watchdog on" if (h.get("watchdog") or {}).get("active") else "watchdog off"
        out.append(text(x0 + 16, y, f"{h['host']}: efs-utils {version}, {wd}", 11))
        y += 16
        for m in h.get("mounts", []):
            proof = f"TLS via {m.get('relay')} :{m.get('port')}" if m.get("tls") else "no TLS proof"
            out.append(
                text(
                    x0 + 28,
                    y,
                    f"{m['file_system_id']} {m['path']}: {proof}",
                    10,
                    fill=GREEN if m.get("compliant") else RED,
                )
            )
            y += 14
    return out


def throughput_panel(tp, x0, y0, w, h):
    out = [text(x0, y0, "Sequential throughput (MB/s)", 15, weight="bold")]
    if not tp:
        return out + [text(x0, y0 + 30, "no throughput results")]
    out.append(text(x0, y0 + 18, f"{tp['mib']} MiB dd, median of {tp['rounds']} rounds, bars min-max", 11))
    groups = [("write", "write"), ("read", "read")]
    series = [("tls", "TLS relay", TLS), ("plain", "plain NFS", PLAIN)]
    vmax = max(max(v) for v in tp["samples"].values()) * 1.15 or 1
    base = y0 + h
    gw = (w - 40) / len(groups)
    bwid = gw / (len(series) + 1)
    out.append(f'<line x1="{x0 + 30}" y1="{base}" x2="{x0 + w}" y2="{base}" stroke="{INK}"/>')
    for gi, (op, label) in enumerate(groups):
        gx = x0 + 30 + gi * gw + bwid / 2
        for si, (key, _name, color) in enumerate(series):
            vals = tp["samples"].get(f"{key} {op}")
            if not vals:
                continue
            med = statistics.median(vals)
            bh = (h - 40) * med / vmax
            bx = gx + si * bwid
            out.append(rect(bx, base - bh, bwid * 0.9, bh, color, f"{key} {op}: {vals}"))
            lo, hi = (h - 40) * min(vals) / vmax, (h - 40) * max(vals) / vmax
            cx = bx + bwid * 0.45
            out.append(f'<line x1="{cx}" y1="{base - lo:.1f}" x2="{cx}" y2="{base - hi:.1f}" stroke="{INK}"/>')
            out.append(text(cx, base - max(bh, hi) - 4, f"{med:.1f}", 11, "middle"))
        out.append(text(gx + bwid * len(series) / 2, base + 16, label, 12, "middle"))
    ly = base + 34
    for si, (_key, name, color) in enumerate(series):
        out.append(rect(x0 + 30 + si * 110, ly - 10, 12, 12, color))
        out.append(text(x0 + 46 + si * 110, ly, name, 11))
    return out


def nochange_panel(role, mount, fleet, x0, y0, w):
    out = [text(x0, y0, "Run times (s, median)", 15, weight="bold")]
    groups = []
    if role:
        groups.append(
            (
                "whole playbook run",
                [
                    ("floor (ping)", statistics.median(r["wall"] for r in role["floor"]), PLAIN),
                    ("efs_client role", statistics.median(r["wall"] for r in role["role"]), TLS),
                ],
            )
        )
    if mount:
        groups.append(
            (
                "one task",
                [
                    ("stat", statistics.median(mount["stat"]), PLAIN),
                    ("efs_tls_mount", statistics.median(mount["efs_tls_mount"]), TLS),
                ],
            )
        )
    if fleet:
        groups.append(
            (
                "site.yml no-change",
                [
                    ("1 guest", statistics.median(r["wall"] for r in fleet["nochange_first"]), PLAIN),
                    (f"{fleet['guests']} guests", statistics.median(r["wall"] for r in fleet["nochange_all"]), TLS),
                ],
            )
        )
    if not groups:
        return out + [text(x0, y0 + 30, "no results")]
    y = y0 + 22
    for title, bars in groups:
        # Each group has its own scale: playbook runs and single tasks differ tenfold.
        scale = max(v for _l, v, _c in bars) or 1
        out.append(text(x0, y + 4, f"{title}: ratio {bars[1][1] / bars[0][1]:.1f}x", 12, weight="bold"))
        y += 12
        for label, val, color in bars:
            bw = (w - 150) * val / scale
            out.append(text(x0, y + 13, label, 11))
            out.append(rect(x0 + 100, y, bw, 16, color))
            out.append(text(x0 + 106 + bw, y + 13, f"{val:.2f}", 11))
            y += 22
        y += 20
    return out


def main(argv):
    results, outs = argv[0], argv[1:]
    report = load(results, "compliance.json")
    tp = load(results, "throughput.json")
    role, mount = load(results, "role_nochange.json"), load(results, "mount_nochange.json")
    W, H = 960, 440
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" '
        f'font-family="DejaVu Sans, Arial, sans-serif">',
        rect(0, 0, W, H, "#ffffff"),
    ]
    parts += compliance_panel(report, 20, 30, 320)
    parts += throughput_panel(tp, 370, 30, 270, 330)
    parts += nochange_panel(role, mount, load(results, "fleet_forks.json"), 680, 30, 270)
    parts.append(
        text(
            20,
            H - 10,
            "aws_efs.transit sandbox benchmarks (qemu TCG guests, stand-in efs-utils); see BENCHMARKS.md",
            10,
            fill="#616161",
        )
    )
    parts.append("</svg>\n")
    svg = "\n".join(parts)
    for out in outs:
        os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
        with open(out, "w", encoding="utf-8") as f:
            f.write(svg)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

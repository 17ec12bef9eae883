# -*- coding: utf-8 -*-
# Copyright: contributors to aws_efs.transit
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Renderings of the report document: Markdown for people, JUnit XML for CI, an SVG chart of the fleet."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ansible_collections.aws_efs.transit.plugins.plugin_utils._report import headline

KIND_TEXT = {"efs_tls": "EFS over TLS", "efs_plain": "EFS without TLS", "not_efs": "not EFS", "absent": "not mounted"}


def policy_text(policy):
    if not policy["checked"]:
        return "not checked"
    if policy["enforces_tls"] is True:
        text = "enforces TLS"
    elif policy["enforces_tls"] is False:
        text = "does NOT enforce TLS"
    else:
        text = "unknown"
    return text + (", drifted" if policy.get("drift") else "")


# ---------------------------------------------------------------- Markdown


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "**no**"
    if isinstance(value, (list, tuple)):
        value = "; ".join(str(v) for v in value)
    return str(value).replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def _onoff(value):
    return "" if value is None else ("on" if value else "off")


def _code(value):
    return "`%s`" % str(value).replace("`", "'") if value else ""


def _table(header, rows):
    lines = ["| %s |" % " | ".join(header), "|" + "---|" * len(header)]
    lines.extend("| %s |" % " | ".join(row) for row in rows)
    return lines


def markdown(doc):
    s = doc["summary"]
    gen = doc["generator"]
    out = [
        "# %s" % headline(doc),
        "",
        "Generated %s by %s %s (ansible-core %s), %s%s. Schema %s (`%s`)."
        % (
            doc["generated_at"],
            gen["collection"],
            gen["collection_version"] or "",
            gen["ansible_core_version"] or "",
            doc["mode"],
            # A converge run in check mode predicts; an audit reads, so its verdict stands.
            (
                (", check mode: predicted, nothing was changed" if doc["mode"] == "converge" else ", check mode")
                if doc["check_mode"]
                else ""
            ),
            doc["schema_version"],
            doc["schema"],
        ),
        "",
    ]
    out += _table(
        ["", "compliant", "total"],
        [
            ["hosts", str(s["hosts_compliant"]), str(s["hosts_total"])],
            ["mounts", str(s["mounts_compliant"]), str(s["mounts_total"])],
            ["file systems", str(s["file_systems_compliant"]), str(s["file_systems_total"])],
            ["policies", str(s["policies_compliant"]), str(s["policies_checked"])],
        ],
    )
    out += [
        "",
        "Mounts: %d over TLS, %d EFS without TLS, %d not EFS, %d undeclared (undeclared EFS mounts without TLS: %s)."
        % (
            s["mounts_tls"],
            s["mounts_without_tls"],
            s["mounts_not_efs"],
            s["mounts_undeclared"],
            doc["undeclared_mounts"],
        ),
    ]
    for title, items in (("Failures", doc["failures"]), ("Warnings", doc["warnings"])):
        if items:
            out += ["", "## %s" % title, ""] + ["- %s" % _cell(i) for i in items]
    out += ["", "## File systems", ""]
    out += _table(
        ["file system", "compliant", "policy", "hosts over TLS", "hosts without TLS", "notes"],
        [
            [
                _code(fs["file_system_id"]),
                _cell(fs["compliant"]),
                _cell(policy_text(fs["policy"])),
                _cell(", ".join(fs["hosts_tls"])),
                _cell(", ".join(fs["hosts_without_tls"])),
                _cell(fs["reasons"] or ([] if fs["policy"]["checked"] else fs["policy"]["reasons"])),
            ]
            for fs in doc["file_systems"]
        ],
    )
    out += ["", "## Hosts", ""]
    rows = []
    for h in doc["hosts"]:
        eu = h.get("efs_utils") or {}
        conf = h.get("efs_utils_conf") or {}
        rows.append(
            [
                _cell(h["host"]),
                _cell(h["compliant"]),
                _cell(h.get("instance_id")),
                _cell(h.get("region")),
                _cell(eu.get("version") if eu.get("installed") else ("not installed" if eu else None)),
                _cell(h.get("relay")),
                _onoff(conf.get("check_hostname")),
                _onoff(conf.get("ocsp")),
                _onoff(conf.get("fips")),
                _code(conf.get("ca_file")),
                _cell(h["problems"]),
            ]
        )
    out += _table(
        [
            "host",
            "compliant",
            "instance",
            "region",
            "efs-utils",
            "relay",
            "hostname check",
            "OCSP",
            "FIPS",
            "CA file",
            "problems",
        ],
        rows,
    )
    out += ["", "## Mounts", ""]
    out += _table(
        ["host", "path", "file system", "kind", "declared", "relay", "port", "compliant", "reasons"],
        [
            [
                _cell(h["host"]),
                _code(m.get("path")),
                _code(m.get("file_system_id")),
                _cell(KIND_TEXT.get(m["kind"], m["kind"])),
                _cell(m.get("wanted") if m.get("declared") else "undeclared"),
                _cell(m.get("relay")),
                _cell(m.get("port")),
                _cell(m["compliant"]) + (" (warning)" if m.get("severity") == "warn" else ""),
                _cell(m["reasons"] or m.get("findings")),
            ]
            for h in doc["hosts"]
            for m in h["mounts"]
        ],
    )
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------- JUnit XML


def _case(suite, classname, name, failure=None, skipped=None, out=None):
    case = ET.SubElement(suite, "testcase", classname=classname, name=name, time="0")
    if failure:
        node = ET.SubElement(case, "failure", message=failure[0][:500], type="noncompliant")
        node.text = "\n".join(failure)
    elif skipped:
        ET.SubElement(case, "skipped", message=skipped)
    if out:
        ET.SubElement(case, "system-out").text = out
    return case


def _count(suite):
    cases = suite.findall("testcase")
    suite.set("tests", str(len(cases)))
    suite.set("failures", str(sum(1 for c in cases if c.find("failure") is not None)))
    suite.set("skipped", str(sum(1 for c in cases if c.find("skipped") is not None)))
    suite.set("errors", "0")
    return suite


def junit(doc):
    """A testsuite each for hosts, mounts and file systems; a testcase per host, mount and file system."""
    root = ET.Element("testsuites", name="aws_efs.transit compliance")
    stamp = doc["generated_at"] or ""
    hosts = ET.SubElement(root, "testsuite", name="efs_transit.hosts", timestamp=stamp)
    for h in doc["hosts"]:
        _case(hosts, "efs_transit.hosts", h["host"], failure=h["problems"] or None)
    mounts = ET.SubElement(root, "testsuite", name="efs_transit.mounts", timestamp=stamp)
    for h in doc["hosts"]:
        for m in h["mounts"]:
            name = "%s (%s)" % (m.get("path"), m.get("file_system_id") or KIND_TEXT.get(m["kind"], m["kind"]))
            detail = "; ".join(m.get("findings") or []) or None
            if not m["compliant"]:
                _case(mounts, "efs_transit.mounts.%s" % h["host"], name, failure=m["reasons"] or ["not compliant"])
            elif m["kind"] == "not_efs" or m.get("severity") == "info":
                _case(mounts, "efs_transit.mounts.%s" % h["host"], name, skipped=KIND_TEXT.get(m["kind"]), out=detail)
            else:
                _case(
                    mounts,
                    "efs_transit.mounts.%s" % h["host"],
                    name,
                    out="; ".join(m["reasons"]) if m.get("severity") == "warn" else detail,
                )
    fss = ET.SubElement(root, "testsuite", name="efs_transit.file_systems", timestamp=stamp)
    for fs in doc["file_systems"]:
        out = "policy %s; hosts over TLS: %s; hosts without TLS: %s" % (
            policy_text(fs["policy"]),
            ", ".join(fs["hosts_tls"]) or "none",
            ", ".join(fs["hosts_without_tls"]) or "none",
        )
        _case(
            fss,
            "efs_transit.file_systems",
            fs["file_system_id"],
            failure=None if fs["compliant"] else fs["reasons"],
            out=out,
        )
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    for suite in (hosts, mounts, fss):
        _count(suite)
        for key in totals:
            totals[key] += int(suite.get(key))
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("errors", "0")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


# ---------------------------------------------------------------- SVG chart

GREEN, RED, AMBER, GREY, INK, MUTED = "#1a7f37", "#cf222e", "#bf8700", "#8c959f", "#1f2328", "#59636e"


def _policy_badge(policy):
    if not policy["checked"]:
        return "policy not checked", GREY
    if policy["enforces_tls"] is True and not policy.get("drift"):
        return "policy enforces TLS", GREEN
    if policy["enforces_tls"] is True:
        return "policy enforces TLS, drifted", AMBER
    if policy["enforces_tls"] is False:
        return "policy allows plain NFS", RED
    return "policy verdict unknown", AMBER


def svg(doc):
    """Per file system: a bar of hosts over TLS (green) and without TLS (red), and the policy verdict."""
    fss = doc["file_systems"]
    width, left, bar_w, row_h, top = 900, 250, 330, 40, 96
    height = top + max(1, len(fss)) * row_h + 64
    scale = max([len(fs["hosts_tls"]) + len(fs["hosts_without_tls"]) for fs in fss] + [1])
    ok = doc["compliant"]
    e = []

    def text(x, y, value, size=13, fill=INK, weight="normal", anchor="start", family="sans-serif"):
        node = ET.Element(
            "text",
            x=str(x),
            y=str(y),
            fill=fill,
            attrib={"font-size": str(size), "font-weight": weight, "text-anchor": anchor, "font-family": family},
        )
        node.text = str(value)
        e.append(node)

    def rect(x, y, w, h, fill, rx=0, stroke=None):
        attrs = {"x": str(x), "y": str(y), "width": str(w), "height": str(h), "fill": fill, "rx": str(rx)}
        if stroke:
            attrs["stroke"] = stroke
        e.append(ET.Element("rect", attrs))

    rect(0, 0, width, height, "#ffffff")
    rect(0, 0, width, 8, GREEN if ok else RED)
    text(
        20,
        40,
        "EFS encryption in transit: %s" % ("COMPLIANT" if ok else "NOT COMPLIANT"),
        22,
        GREEN if ok else RED,
        "bold",
    )
    s = doc["summary"]
    text(
        20,
        66,
        "hosts %d/%d compliant - mounts %d over TLS, %d without TLS - policies %d/%d enforce TLS%s - %s"
        % (
            s["hosts_compliant"],
            s["hosts_total"],
            s["mounts_tls"],
            s["mounts_without_tls"],
            s["policies_compliant"],
            s["policies_checked"],
            " (check mode)" if doc["check_mode"] else "",
            doc["generated_at"] or "",
        ),
        12,
        MUTED,
    )
    text(20, top - 10, "file system", 11, MUTED, "bold")
    text(left, top - 10, "hosts over TLS / without TLS", 11, MUTED, "bold")
    text(left + bar_w + 30, top - 10, "file system policy", 11, MUTED, "bold")
    if not fss:
        text(20, top + 24, "no EFS file systems found: no EFS mounts and no policies checked", 14, MUTED)
    for i, fs in enumerate(fss):
        y = top + i * row_h
        if i % 2 == 0:
            rect(10, y, width - 20, row_h, "#f6f8fa")
        mark, colour = ("OK", GREEN) if fs["compliant"] else ("FAIL", RED)
        text(20, y + 25, mark, 12, colour, "bold")
        text(62, y + 25, fs["file_system_id"], 13, INK, "normal", family="monospace")
        n_tls, n_plain = len(fs["hosts_tls"]), len(fs["hosts_without_tls"])
        w_tls = round(bar_w * n_tls / scale)
        w_plain = round(bar_w * n_plain / scale)
        rect(left, y + 10, bar_w, 20, "#eaeef2", 3)
        if w_tls:
            rect(left, y + 10, w_tls, 20, GREEN, 3)
        if w_plain:
            rect(left + w_tls, y + 10, w_plain, 20, RED, 3)
        label = "%d over TLS" % n_tls + (", %d without TLS" % n_plain if n_plain else "")
        if not n_tls and not n_plain:
            label = "no audited host mounts it"
        inside = (w_tls + w_plain) >= 150
        text(
            left + (8 if inside else w_tls + w_plain + 8),
            y + 25,
            label,
            12,
            "#ffffff" if inside else INK,
            "bold",
        )
        badge, badge_colour = _policy_badge(fs["policy"])
        rect(left + bar_w + 30, y + 8, 250, 24, badge_colour, 12)
        text(left + bar_w + 155, y + 25, badge, 12, "#ffffff", "bold", "middle")
    y = top + max(1, len(fss)) * row_h + 30
    for x, colour, label in ((20, GREEN, "host mounts it over proven TLS"), (270, RED, "host mounts it without TLS")):
        rect(x, y - 11, 14, 14, colour, 2)
        text(x + 20, y, label, 12, MUTED)
    text(560, y, "bar length: number of hosts (max %d)" % scale, 12, MUTED)
    root = ET.Element(
        "svg",
        xmlns="http://www.w3.org/2000/svg",
        width=str(width),
        height=str(height),
        viewBox="0 0 %d %d" % (width, height),
        role="img",
    )
    ET.SubElement(root, "title").text = headline(doc)
    root.extend(e)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode") + "\n"

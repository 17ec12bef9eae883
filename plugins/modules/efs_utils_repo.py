#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: aws_efs.transit contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: efs_utils_repo
short_description: Configure AWS's signed amazon-efs-utils package repository, key checked first
version_added: 0.2.0
description:
  - Fetches the repository's signing key, refuses it unless its primary key fingerprints are
    exactly O(key_fingerprints), lists the versions of O(package) the repository offers
    (through a throwaway package manager configuration, with the repository's signatures
    checked on apt and dnf), picks the one matching O(version), and only then writes the
    repository definition and the key.
  - "apt: a deb822 C(.sources) file whose C(Signed-By) names a dearmored keyring that holds only
    this key; dnf/yum and zypper: a C(.repo) file with C(gpgcheck=1), C(repo_gpgcheck=1) and a
    local C(gpgkey), the key also imported into the rpm database (as AWS's installer does, so no
    interactive key prompt can hang a run)."
  - A wrong key or a version the repository lacks fails before anything on the host changes.
  - The module installs nothing; install RV(install_name) with the package manager.
author:
  - aws_efs.transit contributors (@aws-efs)
options:
  name:
    description: Repository id, also the base name of its files.
    type: str
    default: efs-utils
  manager:
    description: The host's package manager (C(ansible_facts['pkg_mgr'])).
    type: str
    required: true
    choices: [apt, dnf, dnf5, yum, zypper]
  url:
    description: Repository URL (apt C(URIs), rpm C(baseurl)).
    type: str
    required: true
  suite:
    description: apt suite (for example the Ubuntu release C(24.04)); required for apt.
    type: str
  components:
    description: apt components.
    type: list
    elements: str
    default: [main]
  key_url:
    description: Where to fetch the repository's public key (armored or binary).
    type: str
  key_data:
    description: The armored public key itself, instead of O(key_url).
    type: str
  key_fingerprints:
    description:
      - Fingerprints of the primary keys the key file must hold, no more, no fewer (spaces and
        case do not matter).
    type: list
    elements: str
    required: true
  package:
    description: Package to look for.
    type: str
    default: amazon-efs-utils
  version:
    description: Upstream version to install (C(3.2.0) matches C(3.2.0-1), C(3.2.0-1.el9) ...), or C(latest).
    type: str
    default: latest
  repo_file:
    description: Path of the repository definition; by default the package manager's directory and O(name).
    type: path
  key_file:
    description: Path of the key file; by default C(/etc/apt/keyrings/<name>.gpg) or C(/etc/pki/rpm-gpg/RPM-GPG-KEY-<name>).
    type: path
  validate_certs:
    description: Check the TLS certificate of O(key_url).
    type: bool
    default: true
attributes:
  check_mode:
    support: full
    description: >-
      Checks the key and lists the versions (both read-only) and reports what would change. When
      the package manager is not on the host (a simulation), the listing is skipped with a warning.
  diff_mode:
    support: full
    description: Shows the repository definition before and after.
notes:
  - On zypper the version listing cannot check the metadata signature (zypper has no throwaway
    trusted key store); installation from the written repository does.
seealso:
  - module: aws_efs.transit.efs_client_info
"""

EXAMPLES = r"""
- name: AWS's repository on Ubuntu, key pinned by fingerprint
  aws_efs.transit.efs_utils_repo:
    manager: apt
    url: https://amazon-efs-utils.aws.com/repo/deb/ubuntu/24.04
    suite: "24.04"
    key_url: https://amazon-efs-utils.aws.com/efs-utils.gpg
    key_fingerprints: ["<the key's 40-hex-digit fingerprint>"]
    version: 3.2.0
  register: repo

- name: Install what it chose
  ansible.builtin.package:
    name: "{{ repo.install_name }}"
"""

RETURN = r"""
version:
  description: Full version chosen from the repository (for example C(3.2.0-1)); the pin itself when the listing was skipped.
  returned: always
  type: str
install_name:
  description: Package name with that version, as the package manager takes it (C(amazon-efs-utils=3.2.0-1), C(amazon-efs-utils-3.2.0-1.el9)).
  returned: always
  type: str
versions:
  description: Versions of the package the repository offers, oldest first; null when the listing was skipped.
  returned: always
  type: list
  elements: str
fingerprints:
  description: Primary key fingerprints found in the key.
  returned: always
  type: list
  elements: str
repo_file:
  description: Path of the repository definition.
  returned: always
  type: str
key_file:
  description: Path of the key file.
  returned: always
  type: str
"""

import os
import re
import shutil
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.urls import fetch_url

from ansible_collections.aws_efs.transit.plugins.module_utils import _pgp_key as pgp
from ansible_collections.aws_efs.transit.plugins.module_utils import _pkg_repo as repo


def _fetch_key(module):
    if module.params["key_data"]:
        return module.params["key_data"].encode("utf-8")
    if not module.params["key_url"]:
        module.fail_json(msg="key_url or key_data is required")
    resp, info = fetch_url(module, module.params["key_url"], method="GET")
    if info.get("status") not in (200, None) or resp is None:
        module.fail_json(msg="cannot fetch the repository key %s: %s" % (module.params["key_url"], info.get("msg")))
    return resp.read()


def _run(module, argv, what):
    rc, out, err = module.run_command(argv)
    if rc != 0 or re.search(r"^(E:|W: GPG error|Err:)", err or "", re.M):
        module.fail_json(msg="%s failed (rc %d): %s" % (what, rc, (err or out).strip()[-2000:]), cmd=argv)
    return out


def _apt_opts(sources, lists, cache):
    return [
        "-o", "Dir::Etc::sourcelist=" + sources,
        "-o", "Dir::Etc::sourceparts=-",
        "-o", "APT::Get::List-Cleanup=0",
    ] + (["-o", "Dir::State::Lists=" + lists, "-o", "Dir::Cache=" + cache, "-o", "APT::Sandbox::User=root"] if lists else [])  # fmt: skip


def _list_apt(module, tmp, key_bin, p):
    key = os.path.join(tmp, "key.gpg")
    with open(key, "wb") as f:
        f.write(key_bin)
    sources = os.path.join(tmp, "probe.sources")
    with open(sources, "w") as f:
        f.write(repo.render_deb822(p["name"], p["url"], p["suite"], p["components"], key))
    lists, cache = os.path.join(tmp, "lists"), os.path.join(tmp, "cache")
    for d in (lists + "/partial", cache + "/archives/partial"):
        os.makedirs(d)
    opts = _apt_opts(sources, lists, cache) + ["-o", "Dir::State::status=/dev/null"]
    _run(module, [module.get_bin_path("apt-get", True), "-q", "update"] + opts, "apt-get update (probe)")
    out = _run(
        module, [module.get_bin_path("apt-cache", True), "madison", p["package"]] + opts, "apt-cache madison (probe)"
    )
    return repo.parse_madison(out, p["package"])


def _list_rpm(module, tmp, key_arm, p):
    key = os.path.join(tmp, "key.asc")
    with open(key, "wb") as f:
        f.write(key_arm)
    empty = os.path.join(tmp, "repos.d")
    os.makedirs(empty)
    rid = p["name"] + "-probe"
    if p["manager"] == "zypper":
        out = _run(
            module,
            [module.get_bin_path("zypper", True), "--non-interactive", "--no-gpg-checks", "--xmlout",
             "--reposd-dir", empty, "--cache-dir", os.path.join(tmp, "cache"),
             "--plus-repo", p["url"], "search", "--details", "--match-exact", p["package"]],
            "zypper search (probe)",
        )  # fmt: skip
        versions = []
        for attrs in re.findall(r"<solvable ([^>]*)/>", out):
            fields = dict(re.findall(r'(\w+)="([^"]*)"', attrs))
            if fields.get("name") == p["package"] and "System Packages" not in fields.get("repository", ""):
                versions.append(fields.get("edition"))
        return [v for v in versions if v]
    tool = None if p["manager"] == "yum" else (module.get_bin_path("dnf5") or module.get_bin_path("dnf"))
    argv = [tool, "-q", "-y"] if tool else [module.get_bin_path("repoquery", True), "-q"]
    argv += [
        "--setopt=reposdir=" + empty,
        "--setopt=cachedir=" + os.path.join(tmp, "cache"),
        "--repofrompath=%s,%s" % (rid, p["url"]),
        "--setopt=%s.gpgcheck=1" % rid,
        "--setopt=%s.repo_gpgcheck=1" % rid,
        "--setopt=%s.gpgkey=file://%s" % (rid, key),
    ]
    argv += (["repoquery"] if tool else []) + ["--qf", "%{version}-%{release}\\n", p["package"]]
    out = _run(module, argv, "repoquery (probe)")
    return [line.strip() for line in out.splitlines() if line.strip()]


def _write(module, path, data, mode):
    """Atomic write when the content differs; returns whether it changed."""
    try:
        with open(path, "rb") as f:
            if f.read() == data:
                return False
    except FileNotFoundError:
        pass
    if module.check_mode:
        return True
    directory = os.path.dirname(path)
    if not os.path.isdir(directory):
        os.makedirs(directory, 0o755)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".efs-transit-")
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.chmod(tmp, mode)
    module.atomic_move(tmp, path, unsafe_writes=False)
    return True


def _read(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str", default="efs-utils"),
            manager=dict(type="str", required=True, choices=list(repo.MANAGERS)),
            url=dict(type="str", required=True),
            suite=dict(type="str"),
            components=dict(type="list", elements="str", default=["main"]),
            key_url=dict(type="str", no_log=False),
            key_data=dict(type="str", no_log=False),
            key_fingerprints=dict(type="list", elements="str", required=True, no_log=False),
            package=dict(type="str", default="amazon-efs-utils"),
            version=dict(type="str", default="latest"),
            repo_file=dict(type="path"),
            key_file=dict(type="path"),
            validate_certs=dict(type="bool", default=True),
        ),
        mutually_exclusive=[("key_url", "key_data")],
        required_one_of=[("key_url", "key_data")],
        supports_check_mode=True,
    )
    p = module.params
    problem = repo.check_inputs(p["name"], p["url"], p["suite"], p["components"], p["manager"])
    if problem:
        module.fail_json(msg=problem)
    fam = repo.family(p["manager"])
    repo_file, key_file = repo.paths(p["manager"], p["name"], p["repo_file"], p["key_file"])

    # 1. The key, before anything else.
    key = _fetch_key(module)
    problem = pgp.check_fingerprints(key, p["key_fingerprints"])
    if problem:
        module.fail_json(msg="refusing the repository key from %s: %s" % (p["key_url"] or "key_data", problem))
    keys = pgp.primary_keys(key)
    key_out = pgp.dearmor(key) if fam == "apt" else pgp.armor(key)
    if fam == "apt":
        text = repo.render_deb822(p["name"], p["url"], p["suite"], p["components"], key_file)
    else:
        text = repo.render_rpm_repo(p["name"], p["url"], key_file, p["manager"])

    # 2. What the repository offers, through a throwaway configuration.
    tool = {"apt": "apt-get", "zypper": "zypper"}.get(fam) or ("repoquery" if p["manager"] == "yum" else "dnf")
    versions = None
    if module.check_mode and not (module.get_bin_path(tool) or module.get_bin_path("dnf5")):
        module.warn("check mode: %s is not on this host, so the repository's versions were not listed" % tool)
    else:
        tmp = tempfile.mkdtemp(prefix="efs-utils-repo-")
        try:
            versions = (_list_apt if fam == "apt" else _list_rpm)(module, tmp, key_out, p)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    if versions is None:
        version = p["version"]
    else:
        version, problem = repo.select_version(versions, p["version"])
        if problem:
            module.fail_json(msg="%s (%s)" % (problem, p["url"]), versions=repo.sort_versions(versions))

    # 3. Only now: the key and the repository definition.
    before = _read(repo_file)
    changed = _write(module, key_file, key_out, 0o644)
    changed = _write(module, repo_file, text.encode("utf-8"), 0o644) or changed
    if fam != "apt" and not module.check_mode:
        rpm = module.get_bin_path("rpm", True)
        for k in keys:
            if module.run_command([rpm, "-q", pgp.rpm_pubkey_name(k)])[0] != 0:
                _run(module, [rpm, "--import", key_file], "rpm --import")
                changed = True
    if fam == "apt" and not module.check_mode and versions is not None:
        # Refresh this repository's index only, when apt does not know the chosen version yet.
        policy = module.run_command(["apt-cache", "madison", p["package"]])[1]
        if changed or not re.search(r"\|\s*%s\s*\|" % re.escape(version), policy):
            _run(
                module,
                [module.get_bin_path("apt-get", True), "-q", "update"] + _apt_opts(repo_file, None, None),
                "apt-get update",
            )

    sep = {"apt": "=", "zypper": "="}.get(fam, "-")
    module.exit_json(
        changed=changed,
        version=version,
        install_name=p["package"] + ("" if version in (None, "latest") else sep + version),
        versions=repo.sort_versions(versions) if versions is not None else None,
        fingerprints=[k["fingerprint"] for k in keys],
        repo_file=repo_file,
        key_file=key_file,
        diff={"before": before, "after": text, "before_header": repo_file, "after_header": repo_file},
    )


if __name__ == "__main__":
    main()

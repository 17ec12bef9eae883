#!/usr/bin/env bash
# ansible-pull from the example systemd units (playbooks/examples/systemd/) on a sandbox guest:
# stage the inputs, install the units, start the service once (systemctl start, not the timer),
# and check the run, the mount, the local and fleet reports, the lock and the timer.
#
# The guest tier sources this file and calls, after its last verify:
#   timed "ansible-pull from the systemd unit" pull_on_guest "${GUESTS[1]}"
# (a guest_facts line: GUEST FS_ID PATH RELAY LAYOUT; guest2, as the adversarial and repo tiers
# reuse guest1). Alone, against a running sandbox: bash tests/integration/pull/pull.sh [GUEST]
# The guest keeps the units, with the timer disabled again: no run starts behind later tiers.
#
# The guest has no network: the checkout goes in as a git bundle of the working tree's commit
# (`git stash create`: tracked changes included, untracked files not), cloned into a bare
# repository that ansible-pull clones from over file://; ansible-core as a copy of the venv's
# pure-Python packages (ansible_tree.py; the image has python3, git and util-linux's flock);
# the stand-in package and the CA as files. The checkout lands in
# .../pull/ansible_collections/aws_efs/transit, which ANSIBLE_COLLECTIONS_PATH names, so the
# playbook runs the collection it came with.
# shellcheck shell=bash

PULL_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PULL_PREFIX=/opt/aws-efs-transit-test/ansible   # the copied ansible-core, in the guest
PULL_UNIT=aws-efs-transit-pull

# pull_inputs OUT: OUT/ansible.tgz (ansible-core for PULL_PREFIX) and OUT/repo.bundle (branch pull-test).
pull_inputs() {
  local out=$1 commit
  rm -rf "$out" && mkdir -p "$out"
  python "$PULL_DIR/ansible_tree.py" "$out/ansible.tgz" "$PULL_PREFIX"
  commit=$(git -C "$REPO" stash create 2>/dev/null || true)
  commit=${commit:-$(git -C "$REPO" rev-parse HEAD)}
  git init -q --bare "$out/stage.git"
  git -C "$REPO" push -q "$out/stage.git" "$commit:refs/heads/pull-test"
  git -C "$out/stage.git" bundle create -q "$out/repo.bundle" pull-test
  rm -rf "$out/stage.git"
}

# pull_guest_files OUT GUEST: the guest's vars (its mounts, relay, the package and CA at their guest
# paths), pull.env, and the files they name, as a tree to unpack at / in the guest.
pull_guest_files() {
  local out=$1 g=$2
  python - "$INV" "$VARS" "$g" "$out/root" <<'PY'
import os, shutil, sys, yaml
inv, extra = (yaml.safe_load(open(p)) for p in sys.argv[1:3])
guest, root = sys.argv[3], sys.argv[4]
hv = inv["all"]["children"]["efs_clients"]["hosts"][guest]
pkg = hv.get("efs_client_package_file") or extra.get("efs_client_package_file")
if not pkg:
    sys.exit("%s has no efs_client_package_file: the pull test installs the sandbox's package" % guest)
files = {
    "/var/lib/aws-efs-transit-test/pkg/" + os.path.basename(pkg): pkg,
    "/etc/aws-efs-transit/ca.pem": extra["efs_client_ca_file"],
}
for dest, src in files.items():
    os.makedirs(os.path.dirname(root + dest), exist_ok=True)
    shutil.copyfile(src, root + dest)
guest_vars = {
    "efs_client_mounts": extra.get("efs_client_mounts") or hv["efs_client_mounts"],
    "efs_client_relay": hv.get("efs_client_relay", "auto"),
    "efs_client_install_method": extra.get("efs_client_install_method", "file"),
    "efs_client_package_file": "/var/lib/aws-efs-transit-test/pkg/" + os.path.basename(pkg),
    "efs_client_ca_file": "/etc/aws-efs-transit/ca.pem",
    "efs_client_region": extra["efs_client_region"],
    # A local directory standing for one the fleet shares: the host merges its record there too.
    "efs_pull_fleet_dir": "/var/lib/aws-efs-transit-test/fleet",
}
with open(root + "/etc/aws-efs-transit/vars.yml", "w") as f:
    f.write("# Written by tests/integration/pull/pull.sh\n" + yaml.safe_dump(guest_vars, sort_keys=True))
PY
  cat > "$out/root/etc/aws-efs-transit/pull.env" <<EOF
# Written by tests/integration/pull/pull.sh (the example is playbooks/examples/systemd/aws-efs-transit-pull.env)
EFS_PULL_URL=file:///srv/git/aws-efs-transit.git
EFS_PULL_BRANCH=pull-test
EFS_PULL_PLAYBOOK=playbooks/examples/ansible_pull.yml
EFS_PULL_DIR=/var/lib/aws-efs-transit/pull/ansible_collections/aws_efs/transit
EFS_PULL_REPORT_DIR=/var/lib/aws-efs-transit/report
EFS_PULL_ARGS=-e @/etc/aws-efs-transit/vars.yml
PATH=$PULL_PREFIX/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
ANSIBLE_COLLECTIONS_PATH=/var/lib/aws-efs-transit/pull
EOF
  mkdir -p "$out/root/etc/systemd/system" "$out/root/tmp/aws-efs-transit-pull"
  cp "$REPO/playbooks/examples/systemd/$PULL_UNIT.service" "$REPO/playbooks/examples/systemd/$PULL_UNIT.timer" \
    "$out/root/etc/systemd/system/"
  cp "$out/repo.bundle" "$out/ansible.tgz" "$out/root/tmp/aws-efs-transit-pull/"
}

# pull_run GUEST NAME: systemctl start (waits: the unit is a oneshot), its journal into
# $PLOGS/pull-NAME.log; fails unless the run succeeded with exit status 0.
pull_run() {
  local g=$1 name=$2 rc=0 result
  log "$g: systemctl start $PULL_UNIT.service (log: .build/test-logs/pull-$name.log)"
  gssh "$g" "timeout 1800 systemctl start $PULL_UNIT.service" || rc=$?
  gssh "$g" "journalctl --no-pager -o cat _SYSTEMD_INVOCATION_ID=\$(systemctl show -p InvocationID --value $PULL_UNIT.service)" \
    > "$PLOGS/pull-$name.log" 2>&1 || true
  result=$(gssh "$g" "systemctl show -p Result -p ExecMainStatus $PULL_UNIT.service" | sort | tr '\n' ' ')
  tail -n 12 "$PLOGS/pull-$name.log" | sed 's/^/    /' >&2
  if [ "$rc" != 0 ] || [ "$result" != "ExecMainStatus=0 Result=success " ]; then
    die "$g: $PULL_UNIT.service ($name) did not succeed (systemctl start: $rc; $result)"
  fi
}

# pull_check_mount GUEST FS PATH RELAY: mounted over TLS through a live relay of that kind, and the
# data written through the mount lands in the export. Prints the relay's pid.
pull_check_mount() {
  local g=$1 fs=$2 mnt=$3 relay=$4 port pid
  gssh "$g" "findmnt -n -o SOURCE,FSTYPE $mnt" | grep -Eq '^127\.0\.0\.1:/ +nfs4$' || die "$g: $mnt is not an nfs4 mount of 127.0.0.1"
  port=$(gssh "$g" "findmnt -n -o OPTIONS $mnt" | tr ',' '\n' | sed -n 's/^port=//p')
  pid=$(gssh "$g" "cat /var/run/efs/$fs.*.$port" | python -c 'import json,sys; print(json.load(sys.stdin)["pid"])')
  gssh "$g" "kill -0 $pid && tr '\\0' ' ' < /proc/$pid/cmdline" | grep -q "$relay" || die "$g: the relay $pid of $mnt is not a live $relay"
  gssh "$g" "echo pull-$pid > $mnt/probe-pull && sync && cat /srv/efs/probe-pull" | grep -qx "pull-$pid" \
    || die "$g: data written through $mnt is not in the export"
  echo "$pid"
}

# pull_check_reports GUEST FS PATH RELAY RUN: the local and the fleet report (JSON Schema, the host
# under its own name, the mount proven over TLS); RUN is the run_id the previous run recorded, if any.
pull_check_reports() {
  local g=$1 fs=$2 mnt=$3 relay=$4 before=${5:-} out="$PLOGS/pull"
  mkdir -p "$out"
  gssh "$g" "cat /var/lib/aws-efs-transit/report/efs-transit-compliance.json" > "$out/$g.local.json" \
    || die "$g: no local report in /var/lib/aws-efs-transit/report"
  gssh "$g" "cat /var/lib/aws-efs-transit-test/fleet/efs-transit-compliance.json" > "$out/$g.fleet.json" \
    || die "$g: no fleet report in /var/lib/aws-efs-transit-test/fleet"
  gssh "$g" "test -s /var/lib/aws-efs-transit/report/efs-transit-compliance.md" || die "$g: no Markdown report"
  python - "$REPO" "$out" "$g" "$fs" "$mnt" "$relay" "$before" <<'PY' || die "$g: the reports of the pull run are not as expected"
import json, sys
import jsonschema
repo, out, guest, fs, mnt, relay, before = sys.argv[1:]
schema = json.load(open(repo + "/roles/efs_client/files/efs-transit-report.schema.json"))
for kind in ("local", "fleet"):
    rep = json.load(open("%s/%s.%s.json" % (out, guest, kind)))
    jsonschema.Draft202012Validator(schema).validate(rep)
    assert rep["compliant"] and rep["mode"] == "audit" and not rep["check_mode"], (kind, rep["failures"])
    assert [h["host"] for h in rep["hosts"]] == [guest], (kind, [h["host"] for h in rep["hosts"]])
    host = rep["hosts"][0]
    m = [m for m in host["mounts"] if m["path"] == mnt]
    assert m and m[0]["kind"] == "efs_tls" and m[0]["compliant"] and m[0]["relay"] == relay, (kind, m)
    assert m[0]["file_system_id"] == fs and host["relay"] == relay, (kind, m[0]["file_system_id"], host["relay"])
    f = [f for f in rep["file_systems"] if f["file_system_id"] == fs]
    assert f and f[0]["hosts_tls"] == [guest], (kind, f)
    # Each run replaces the host's record (merge_runs: the newer checked_at wins), never adds one.
    assert host["run_id"] and host["run_id"] != before, (kind, host["run_id"], before)
print(rep["hosts"][0]["run_id"])
PY
}

# pull_on_guest "GUEST FS PATH RELAY LAYOUT"
pull_on_guest() {
  local g fs mnt relay work="$BUILD/pull" pid run1 rc
  read -r g fs mnt relay _ <<< "$1"
  gssh "$g" "python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))'" \
    || die "$g: ansible-core 2.19 needs Python 3.11 or later in the guest"
  log "$g: staging the checkout (git bundle), ansible-core (copied from the venv), the package and the CA"
  pull_inputs "$work"
  pull_guest_files "$work" "$g"
  tar -C "$work/root" -cf - etc var tmp | gssh "$g" "tar -C / --no-same-owner -xf - &&
    mkdir -p $PULL_PREFIX && tar -C $PULL_PREFIX -xzf /tmp/aws-efs-transit-pull/ansible.tgz &&
    rm -rf /srv/git/aws-efs-transit.git && git clone -q --bare /tmp/aws-efs-transit-pull/repo.bundle /srv/git/aws-efs-transit.git &&
    rm -rf /tmp/aws-efs-transit-pull && systemd-analyze verify --man=no /etc/systemd/system/$PULL_UNIT.timer &&
    systemctl daemon-reload && $PULL_PREFIX/bin/ansible-pull --version" > "$PLOGS/pull-stage.log" 2>&1 \
    || { tail -20 "$PLOGS/pull-stage.log" >&2; die "$g: staging ansible-pull failed"; }
  log "$g: $(sed -n 's/^ansible-pull \[core \(.*\)\]$/ansible-pull (core \1)/p' "$PLOGS/pull-stage.log") staged"

  # Drift for the run to repair: the mount is gone (fstab still names it).
  gssh "$g" "umount $mnt && ! mountpoint -q $mnt" || die "$g: cannot unmount $mnt before the pull run"
  pull_run "$g" first
  python "$REPO/tests/lib/recap.py" "$PLOGS/pull-first.log" failed=0 unreachable=0
  grep -q "EFS encryption in transit: COMPLIANT - hosts 1/1" "$PLOGS/pull-first.log" || die "$g: the run did not report the host compliant"
  # The relay mount.efs started during the run outlives it (KillMode=process), and carries the data.
  pid=$(pull_check_mount "$g" "$fs" "$mnt" "$relay")
  gssh "$g" "grep -q '$PULL_UNIT.service' /proc/$pid/cgroup" || die "$g: the relay $pid was not started by the pull run"
  run1=$(pull_check_reports "$g" "$fs" "$mnt" "$relay")
  log "$g: the pull run remounted $mnt over TLS ($relay, pid $pid, alive after the run) and wrote its reports"

  # A second run (nothing to change, the host's record replaced) costs ~3 min of emulated CPU:
  # only with PULL_SECOND_RUN=1. The role's no-change run is the guest tier's idempotence phase,
  # the replacing of a host's record across runs is unit-tested (test_report.py merge_runs).
  if [ "${PULL_SECOND_RUN:-0}" = 1 ]; then
    pull_run "$g" second
    python "$REPO/tests/lib/recap.py" "$PLOGS/pull-second.log" changed=0 failed=0
    [ "$(pull_check_mount "$g" "$fs" "$mnt" "$relay")" = "$pid" ] || die "$g: the second run changed the relay"
    pull_check_reports "$g" "$fs" "$mnt" "$relay" "$run1" > /dev/null
  fi

  # Never two runs at once: with the lock taken, a run exits 75 at once and counts as success.
  # The holder lets go by itself (no kill); the wait for the lock makes sure it has.
  rc=0
  gssh "$g" "flock /run/lock/aws-efs-transit-pull.lock sleep 30 < /dev/null > /dev/null 2>&1 &
    sleep 2; timeout 25 systemctl start $PULL_UNIT.service && systemctl show -p ExecMainStatus --value $PULL_UNIT.service;
    flock -w 60 /run/lock/aws-efs-transit-pull.lock true" > "$work/locked" 2>&1 || rc=$?
  if [ "$rc" != 0 ] || [ "$(cat "$work/locked")" != 75 ]; then
    die "$g: a run with the lock taken did not skip (rc $rc: $(cat "$work/locked"))"
  fi

  # The timer: enabled, with its randomised delay (not started: it would run the pull again now).
  gssh "$g" "systemctl enable $PULL_UNIT.timer 2>&1 && systemctl is-enabled $PULL_UNIT.timer" | grep -qx enabled \
    || die "$g: $PULL_UNIT.timer is not enabled"
  gssh "$g" "systemctl show -p RandomizedDelayUSec --value $PULL_UNIT.timer" | grep -qx 25min \
    || die "$g: $PULL_UNIT.timer has no randomised delay"
  gssh "$g" "systemctl disable $PULL_UNIT.timer 2>&1" > /dev/null || die "$g: cannot disable $PULL_UNIT.timer again"
  log "$g: a locked run skipped (75), the timer was enabled (and is disabled again)$([ "${PULL_SECOND_RUN:-0}" = 1 ] && echo '; a second run changed nothing')"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  # shellcheck disable=SC1091
  . "$(dirname "$0")/../../lib/env.sh"
  . "$REPO/tests/lib/sandbox_session.sh"
  cd "$REPO"
  [ -f "$INV" ] || die "no sandbox: tests/sandbox/sandbox.sh up first"
  # shellcheck disable=SC1091
  . "$BUILD/sandbox/env"
  want=${1:-guest2}
  row=$(guest_facts | awk -v g="$want" '$1 == g')
  [ -n "$row" ] || die "no guest $want in the sandbox inventory"
  pull_on_guest "$row"
fi

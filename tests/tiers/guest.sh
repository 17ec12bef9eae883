#!/usr/bin/env bash
# The guest tier: playbooks/site.yml and audit.yml against real Debian guests (real kernel NFS
# client, real TLS relays, real nfsd, real TLS): check mode on fresh guests -> converge ->
# idempotence -> an undeclared plain mount fails audit.yml -> verify -> reboot -> verify. Two
# guests in one sandbox, converged by the same ansible runs: one per relay mode (efs-proxy, the
# 2.x/3.x default, and stunnel), each with a stand-in file layout (SANDBOX_MODES, see
# tests/sandbox/sandbox.sh). Ansible logs in as the non-root user admin and becomes root, as on
# EC2 images. Timings go to .build/phases/, not assertions.
set -euo pipefail
. "$(dirname "$0")/../lib/env.sh"
. "$REPO/tests/lib/sandbox_session.sh"
cd "$REPO"
export SANDBOX_MODES=${SANDBOX_MODES:-"efs-proxy/deb stunnel/rpm"}

timed "sandbox up (image build/reuse, boot)" ensure_sandbox 2 fresh
mapfile -t GUESTS < <(guest_facts)
for row in "${GUESTS[@]}"; do log "guest: $row (helper: $(cat "$BUILD/sandbox/helper" 2>/dev/null || echo unknown))"; done
grep -q '^        ansible_user: admin$' "$INV" || die "the sandbox inventory does not log in as admin"

check_mode() {
  local g fs mnt
  play check playbooks/site.yml --check --diff
  python tests/lib/recap.py "$PLOGS/check.log" failed=0 unreachable=0
  # Check mode must leave the guests and the policies as they were.
  for row in "${GUESTS[@]}"; do
    read -r g fs mnt _ _ <<< "$row"
    gssh "$g" "! dpkg -s amazon-efs-utils >/dev/null 2>&1" || die "$g: check mode installed amazon-efs-utils"
    gssh "$g" "! mountpoint -q $mnt && ! grep -q '$fs' /etc/fstab" || die "$g: check mode mounted or wrote fstab"
    [ "$(python tests/lib/emulator_query.py policy "$fs")" = none ] || die "check mode wrote a policy for $fs"
  done
}

# Converge is `make demo`'s own script on this sandbox, so CI runs the demo as a newcomer would.
converge() {
  log "tests/sandbox/demo.sh --reuse (log: .build/test-logs/converge.log)"
  bash tests/sandbox/demo.sh --reuse > "$PLOGS/converge.log" 2>&1 || { tail -n 40 "$PLOGS/converge.log" >&2; die "demo.sh failed"; }
  sed -n '/=== compliance summary ===/,$p' "$PLOGS/converge.log" >&2
  python tests/lib/recap.py "$PLOGS/converge.log" failed=0 unreachable=0
  # Every task on the guests ran through sudo: the login user is admin.
  local g
  for row in "${GUESTS[@]}"; do
    read -r g _ <<< "$row"
    gssh "$g" "journalctl -q --no-pager _COMM=sudo | grep -c 'admin : .*USER=root'" | grep -qv '^0$' \
      || die "$g: no sudo by admin in the journal: become did not run"
  done
}

idempotence() {
  EXEC_COUNTER_FILE="$PLOGS/idempotence.counts.json" play idempotence playbooks/site.yml
  python tests/lib/recap.py "$PLOGS/idempotence.log" changed=0 failed=0
  # A compliant guest costs at most 2 module executions (issue 13; the one counting rule:
  # tests/lib/callback_plugins/exec_counter.py); localhost (the policy play) is not a guest.
  local g guests=()
  for row in "${GUESTS[@]}"; do read -r g _ <<< "$row"; guests+=("$g"); done
  python - "$PLOGS/idempotence.counts.json" "${guests[@]}" <<'PY' >&2 || die "the no-change run cost more than 2 module executions on a guest"
import json, sys
counts, guests = json.load(open(sys.argv[1])), sys.argv[2:]
for host, c in sorted(counts.items()):
    print(f"    {host}: {c['executions']} module executions on the second run: {', '.join(c['tasks'])}")
over = {g: counts.get(g, {}).get("executions") for g in guests if counts.get(g, {}).get("executions", 99) > 2}
assert not over, f"more than 2 module executions (or no count) on: {over}"
PY
}

# The relay of the mode carries the traffic: its listener on the mount's port, its connection to
# the target's 2049, and (efs-proxy) a live --tls process whose binary sits where the layout puts it.
verify_relay() {
  local g=$1 mnt=$2 relay=$3 layout=$4 port state pid exe want
  port=$(gssh "$g" "findmnt -n -o OPTIONS $mnt" | tr ',' '\n' | sed -n 's/^port=//p')
  gssh "$g" "ss -Hltnp 'sport = :$port'" | grep -q "\"$relay\"" || die "$g: port $port is not a $relay listener"
  gssh "$g" "ss -Htnp state established '( dport = :2049 )'" | grep -q "\"$relay\"" \
    || die "$g: no $relay connection to a mount target on 2049"
  state=$(gssh "$g" "cat /var/run/efs/fs-*.$port")
  pid=$(python -c 'import json,sys; print(json.loads(sys.argv[1])["pid"])' "$state")
  exe=$(gssh "$g" "readlink /proc/$pid/exe")
  if [ "$relay" = efs-proxy ]; then
    want=/usr/bin/efs-proxy
    [ "$layout" = rpm ] && want=/usr/sbin/efs-proxy  # /sbin on a merged-/usr Debian
    [ "$exe" = "$want" ] || die "$g: the relay runs $exe, not $want"
    python -c 'import json,sys; c=json.loads(sys.argv[1])["cmd"]; sys.exit(not ("--tls" in c and c[0].endswith("/efs-proxy")))' "$state" \
      || die "$g: the state file's cmd is not efs-proxy --tls: $state"
    gssh "$g" "tr '\\0' ' ' < /proc/$pid/cmdline" | grep -q -- ' --tls' || die "$g: the live relay runs without --tls"
  else
    case $exe in */stunnel*) ;; *) die "$g: the relay runs $exe, not stunnel" ;; esac
  fi
  # The layout: where efs-proxy is installed.
  if [ "$layout" = rpm ]; then
    gssh "$g" "test -x /sbin/efs-proxy && test ! -e /usr/bin/efs-proxy" || die "$g: not the RPM layout"
  else
    gssh "$g" "test -x /usr/bin/efs-proxy" || die "$g: not the deb layout"
  fi
}

# Evidence gathered without our modules: what carries the traffic, and where the data lands.
verify() {
  local name=$1 token g fs mnt relay layout
  play "$name-audit" playbooks/audit.yml
  python tests/lib/recap.py "$PLOGS/$name-audit.log" failed=0 unreachable=0
  for row in "${GUESTS[@]}"; do
    read -r g fs mnt relay layout <<< "$row"
    gssh "$g" "findmnt -n -o SOURCE,FSTYPE $mnt" | grep -Eq '^127\.0\.0\.1:/ +nfs4$' \
      || die "$g: $mnt is not an nfs4 mount of 127.0.0.1"
    verify_relay "$g" "$mnt" "$relay" "$layout"
    gssh "$g" "grep -E '^${fs}:/[[:space:]]+${mnt}[[:space:]]+efs[[:space:]]+[^[:space:]]*\\btls\\b' /etc/fstab" >/dev/null \
      || die "$g: fstab has no TLS line for $fs at $mnt"
    token="$name-$RANDOM$RANDOM"
    gssh "$g" "echo $token > $mnt/probe-$name && sync && cat /srv/efs/probe-$name" | grep -qx "$token" \
      || die "$g: data written through $mnt is not in the export"
    python tests/lib/emulator_query.py policy "$fs" | grep -q '"aws:SecureTransport": "false"' \
      || die "the policy of $fs does not deny requests without TLS"
    log "$g ($relay, $layout layout): TLS through $relay verified"
  done
  # The report names each guest's relay.
  python - "$BUILD/sandbox/report/efs-transit-compliance.json" "${GUESTS[@]}" <<'PY' || die "the report does not name the relays"
import json, sys
rep = json.load(open(sys.argv[1]))
hosts = {h["host"]: h for h in rep["hosts"]}
for row in sys.argv[2:]:
    guest, _fs, path, relay, _layout = row.split()
    mounts = [m for m in hosts[guest]["mounts"] if m["path"] == path]
    assert mounts and mounts[0]["compliant"] and mounts[0]["relay"] == relay, (guest, relay, mounts)
    assert hosts[guest]["relay"] == relay, (guest, relay, hosts[guest]["relay"])
PY
}

# A mount nobody declared: guest1 mounts its file system by the DNS name, plain NFS (its target
# serving plain NFS on 2049 as well, like real EFS). audit.yml must fail with and without --check
# and name the mount; once it is gone, the verify phase that follows runs audit.yml and must pass.
UNDECLARED=/mnt/undeclared
undeclared_mount() {
  local g fs name mode rc
  read -r g fs _ <<< "${GUESTS[0]}"
  name=$(gssh "$g" "sandbox-target list" | awk -v fs="$fs" '$1 == fs {print $2}')
  [ -n "$name" ] || die "$g: no mount target name for $fs"
  # NFSv4.0: a 4.1 mount of a file system this host already mounts would join the TLS mount's NFS
  # client (session trunking: same server owner) and show 127.0.0.1 as its source, riding the relay.
  gssh "$g" "sandbox-target $fs plain >/dev/null && mkdir -p $UNDECLARED && mount -t nfs4 -o vers=4.0 $name:/ $UNDECLARED"
  gssh "$g" "findmnt -n -o SOURCE $UNDECLARED" | grep -qx "$name:/" || die "$g: $UNDECLARED is not a mount of $name:/"
  for mode in run check; do
    rc=0
    if [ "$mode" = check ]; then play "undeclared-$mode" playbooks/audit.yml --check || rc=$?
    else play "undeclared-$mode" playbooks/audit.yml || rc=$?; fi
    [ "$rc" != 0 ] || die "audit.yml ($mode) passed with an undeclared plain mount on $g"
    grep -q "mount $g:$UNDECLARED ($fs): undeclared EFS mount without TLS" "$PLOGS/undeclared-$mode.log" \
      || die "audit.yml ($mode): the failing message does not name $g:$UNDECLARED"
    python - "$BUILD/sandbox/report/efs-transit-compliance.json" "$g" "$fs" "$UNDECLARED" "$mode" <<'PY' \
      || die "audit.yml ($mode): the report does not flag the undeclared mount"
import json, sys
path, guest, fs, mnt, mode = sys.argv[1:]
rep = json.load(open(path))
assert rep["check_mode"] is (mode == "check") and not rep["compliant"], (rep["check_mode"], rep["compliant"])
m = [m for h in rep["hosts"] if h["host"] == guest for m in h["mounts"] if m["path"] == mnt]
assert m and m[0]["kind"] == "efs_plain" and not m[0]["declared"] and not m[0]["compliant"], m
assert m[0]["file_system_id"] == fs, m
f = [f for f in rep["file_systems"] if f["file_system_id"] == fs]
assert f and guest in f[0]["hosts_without_tls"] and not f[0]["compliant"], f
# Nothing else is wrong: the declared TLS mounts and the other guests stay compliant.
assert all(h["compliant"] for h in rep["hosts"] if h["host"] != guest), rep["failures"]
assert [x for x in rep["failures"] if mnt not in x] == [], rep["failures"]
PY
    log "$g: audit.yml ($mode) failed on the undeclared plain mount $UNDECLARED, as it must (rc=$rc)"
  done
  gssh "$g" "umount $UNDECLARED && rmdir $UNDECLARED && sandbox-target $fs good >/dev/null"
}

reboot_guests() {
  local g pids=() p
  for row in "${GUESTS[@]}"; do
    read -r g _ <<< "$row"
    bash "$SB" reboot "$g" & pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || die "a reboot failed"; done
  for row in "${GUESTS[@]}"; do
    read -r g _ mnt _ <<< "$row"
    # SSH answers before remote-fs.target is reached: wait for the boot to finish, as a user would.
    gssh "$g" "timeout 300 systemctl is-system-running --wait" || true
    gssh "$g" "mountpoint -q $mnt" || { gssh "$g" "systemctl --failed; journalctl -b -u '*efs*' --no-pager | tail -30" >&2 || true; die "$g: $mnt did not come back after the reboot"; }
    gssh "$g" "cat $mnt/probe-verify" | grep -q '^verify-' || die "$g: data written before the reboot is gone"
  done
}

timed "check mode on fresh guests" check_mode
timed "converge" converge
timed "idempotence (second run)" idempotence
timed "undeclared plain mount" undeclared_mount
timed "verify" verify verify
timed "reboot" reboot_guests
timed "verify after reboot" verify after-reboot
. "$REPO/tests/integration/pull/pull.sh"
timed "ansible-pull from the systemd unit" pull_on_guest "${GUESTS[1]}"
log "compliance report:"
cat "$BUILD"/sandbox/report/*.md >&2 2>/dev/null || die "no Markdown report in .build/sandbox/report"
print_phases

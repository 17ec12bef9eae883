#!/usr/bin/env bash
# The guest tier: playbooks/site.yml and audit.yml against a real Debian guest (real kernel NFS
# client, real stunnel, real nfsd, real TLS): check mode on a fresh guest -> converge ->
# idempotence -> verify -> reboot -> verify. Timings go to .build/phases/, not assertions.
set -euo pipefail
. "$(dirname "$0")/../lib/env.sh"
. "$REPO/tests/lib/sandbox_session.sh"
cd "$REPO"

timed "sandbox up (image build/reuse, boot)" ensure_sandbox 1 fresh
FS=$(python -c 'import yaml,sys; print(yaml.safe_load(open(sys.argv[1]))["efs_client_mounts"][0]["file_system_id"])' "$VARS")
MNT=$(python -c 'import yaml,sys; print(yaml.safe_load(open(sys.argv[1]))["efs_client_mounts"][0]["path"])' "$VARS")
log "file system $FS at $MNT; helper: $(cat "$BUILD/sandbox/helper" 2>/dev/null || echo unknown)"

check_mode() {
  play check playbooks/site.yml --check --diff
  python tests/lib/recap.py "$PLOGS/check.log" failed=0 unreachable=0
  # Check mode must leave the guest and the policy as they were.
  gssh guest1 "! dpkg -s amazon-efs-utils >/dev/null 2>&1" || die "check mode installed amazon-efs-utils"
  gssh guest1 "! mountpoint -q $MNT && ! grep -q '$FS' /etc/fstab" || die "check mode mounted or wrote fstab"
  [ "$(python tests/lib/emulator_query.py policy "$FS")" = none ] || die "check mode wrote a policy"
}

# Converge is `make demo`'s own script on this sandbox, so CI runs the demo as a newcomer would.
converge() {
  log "tests/sandbox/demo.sh --reuse (log: .build/test-logs/converge.log)"
  bash tests/sandbox/demo.sh --reuse > "$PLOGS/converge.log" 2>&1 || { tail -n 40 "$PLOGS/converge.log" >&2; die "demo.sh failed"; }
  sed -n '/=== compliance summary ===/,$p' "$PLOGS/converge.log" >&2
  python tests/lib/recap.py "$PLOGS/converge.log" failed=0 unreachable=0
}

idempotence() {
  EXEC_COUNTER_FILE="$PLOGS/idempotence.counts.json" play idempotence playbooks/site.yml
  python tests/lib/recap.py "$PLOGS/idempotence.log" changed=0 failed=0
  python - "$PLOGS/idempotence.counts.json" <<'PY' >&2
import json, sys
for host, c in sorted(json.load(open(sys.argv[1])).items()):
    print(f"    {host}: {c['executions']} module executions on the second run")
PY
}

# Evidence gathered without our modules: what carries the traffic, and where the data lands.
verify() {
  local name=$1 token
  play "$name-audit" playbooks/audit.yml
  python tests/lib/recap.py "$PLOGS/$name-audit.log" failed=0 unreachable=0
  gssh guest1 "findmnt -n -o SOURCE,FSTYPE $MNT" | grep -Eq '^127\.0\.0\.1:/ +nfs4$' \
    || die "$MNT is not an nfs4 mount of 127.0.0.1"
  local port
  port=$(gssh guest1 "findmnt -n -o OPTIONS $MNT" | tr ',' '\n' | sed -n 's/^port=//p')
  gssh guest1 "ss -Hltnp 'sport = :$port'" | grep -q stunnel || die "port $port is not a stunnel listener"
  gssh guest1 "ss -Htnp state established '( dport = :2049 )'" | grep -q stunnel \
    || die "no stunnel connection to a mount target on 2049"
  gssh guest1 "grep -E '^${FS}:/[[:space:]]+${MNT}[[:space:]]+efs[[:space:]]+[^[:space:]]*\\btls\\b' /etc/fstab" >/dev/null \
    || die "fstab has no TLS line for $FS at $MNT"
  token="$name-$RANDOM$RANDOM"
  gssh guest1 "echo $token > $MNT/probe-$name && sync && cat /srv/efs/probe-$name" | grep -qx "$token" \
    || die "data written through $MNT is not in the export"
  python tests/lib/emulator_query.py policy "$FS" | grep -q '"aws:SecureTransport": "false"' \
    || die "the file system policy does not deny requests without TLS"
}

reboot_guest() {
  bash "$SB" reboot guest1
  # SSH answers before remote-fs.target is reached: wait for the boot to finish, as a user would.
  gssh guest1 "timeout 300 systemctl is-system-running --wait" || true
  gssh guest1 "mountpoint -q $MNT" || { gssh guest1 "systemctl --failed; journalctl -b -u '*efs*' --no-pager | tail -30" >&2 || true; die "$MNT did not come back after the reboot"; }
  gssh guest1 "cat $MNT/probe-verify" | grep -q '^verify-' || die "data written before the reboot is gone"
}

timed "check mode on a fresh guest" check_mode
timed "converge" converge
timed "idempotence (second run)" idempotence
timed "verify" verify verify
timed "reboot" reboot_guest
timed "verify after reboot" verify after-reboot
log "compliance report:"
cat "$BUILD"/sandbox/report/*.md >&2 2>/dev/null || die "no Markdown report in .build/sandbox/report"
print_phases

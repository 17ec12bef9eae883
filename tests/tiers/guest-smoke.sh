#!/usr/bin/env bash
# Smoke test of the sandbox itself (not of the collection): one guest, its fake EFS mount
# target, and the path the design relies on, kernel NFS -> stunnel client -> TLS -> stunnel
# server -> nfsd, built by hand. Prints the time per phase; exits non-zero on any failure.
#   tests/tiers/guest-smoke.sh [--release bookworm|trixie] [--reboot] [--keep]
# --reboot: also reboot the guest and check the mount target again; --keep: leave it up.
set -euo pipefail
. "$(dirname "$0")/../lib/env.sh"
TIER=guest-smoke
TIER_START=$SECONDS
export TIER TIER_START
SB="$REPO/tests/sandbox/sandbox.sh"
RELEASE=bookworm
KEEP=0
REBOOT=0
while [ $# -gt 0 ]; do
  case $1 in
    --release) RELEASE=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    --reboot) REBOOT=1; shift ;;
    *) die "usage: $0 [--release bookworm|trixie] [--reboot] [--keep]" ;;
  esac
done

PHASES=()
phase() {
  local name=$1 t0=$SECONDS
  shift
  log "phase: $name"
  "$@" || die "phase '$name' failed"
  PHASES+=("$name: $(( SECONDS - t0 ))s")
}
finish() {
  local rc=$?
  if { [ "$KEEP" = 0 ] || [ "$rc" != 0 ]; } && [ -f "$BUILD/sandbox/guest1/pid" ]; then "$SB" down || true; fi
  log "timings: ${PHASES[*]/%/;}"
  if [ "$rc" = 0 ]; then log "PASS in $(( SECONDS - TIER_START ))s"; else log "FAIL (exit $rc)"; fi
  exit "$rc"
}
trap finish EXIT

g() { "$SB" ssh guest1 "$@"; }

up() { "$SB" up --guests 1 --release "$RELEASE"; }

check_target() {
  local fs name out
  fs=$(awk 'NR==1{print $2}' "$BUILD/sandbox/filesystems")
  name="$fs.efs.us-east-1.amazonaws.com"
  echo "$name" > "$BUILD/sandbox/smoke-name"
  g "ss -ltnH | grep -q ':12049 '" || { g "ss -ltn" >&2; return 1; }
  log "nfsd listens on 12049"
  g "getent hosts $name | grep -q '^127\.0\.1\.1 '" || { log "$name does not resolve to 127.0.1.1"; return 1; }
  out=$(g "echo | timeout 30 openssl s_client -connect $name:2049 -CAfile /etc/sandbox-target/ca.pem -verify_hostname $name 2>&1") || true
  grep -q "Verify return code: 0 (ok)" <<<"$out" || { echo "$out" >&2; log "TLS verification against the test CA failed"; return 1; }
  log "openssl s_client verifies $name against the test CA"
  # The adversarial certificates must fail, each for its own reason.
  g "sandbox-target $fs wrong-name >/dev/null"
  out=$(g "echo | timeout 30 openssl s_client -connect $name:2049 -CAfile /etc/sandbox-target/ca.pem -verify_hostname $name 2>&1") || true
  grep -q "Verify return code: 62 " <<<"$out" || { echo "$out" >&2; log "wrong-name target was not rejected for its name"; return 1; }
  g "sandbox-target $fs untrusted-ca >/dev/null"
  out=$(g "echo | timeout 30 openssl s_client -connect $name:2049 -CAfile /etc/sandbox-target/ca.pem -verify_hostname $name 2>&1") || true
  grep -qE "Verify return code: (2|20|21) " <<<"$out" || { echo "$out" >&2; log "untrusted-ca target was not rejected"; return 1; }
  g "sandbox-target $fs good >/dev/null"
  log "wrong-name and untrusted-ca targets are rejected; back to good"
}

plain_mount() {
  # shellcheck disable=SC2016  # expands in the guest, not here
  g 'set -e
     mkdir -p /mnt/plain
     timeout 90 mount -t nfs4 -o port=12049,vers=4.1 127.0.0.1:/ /mnt/plain
     token=plain-$(date +%s%N)
     echo "$token" > /mnt/plain/smoke-plain.txt
     sync
     grep -qx "$token" /srv/efs/smoke-plain.txt
     umount /mnt/plain
     rm -f /srv/efs/smoke-plain.txt'
}

tls_mount() {
  local name
  name=$(cat "$BUILD/sandbox/smoke-name")
  g "set -e
     cat > /run/smoke-client.conf <<EOF
foreground = no
pid = /run/smoke-client.pid
syslog = no
output = /run/smoke-client.log
debug = info
[smoke]
client = yes
accept = 127.0.0.1:20999
connect = $name:2049
verify = 2
CAfile = /etc/sandbox-target/ca.pem
checkHost = $name
sslVersion = TLSv1.2
EOF
     rm -f /run/smoke-client.log
     stunnel4 /run/smoke-client.conf
     trap 'kill \$(cat /run/smoke-client.pid) 2>/dev/null || true' EXIT
     mkdir -p /mnt/tls
     timeout 90 mount -t nfs4 -o vers=4.1,port=20999 127.0.0.1:/ /mnt/tls
     grep -q ' /mnt/tls nfs4 .*port=20999' /proc/mounts
     token=tls-\$(date +%s%N)
     echo \"\$token\" > /mnt/tls/smoke-tls.txt
     sync
     grep -qx \"\$token\" /srv/efs/smoke-tls.txt
     umount /mnt/tls
     rm -f /srv/efs/smoke-tls.txt
     # The relay really verified the server: chain and name.
     grep -q 'Certificate accepted at depth=0: CN=$name' /run/smoke-client.log
     grep -q 'TLS connected' /run/smoke-client.log"
  log "NFS through a hand-made stunnel client (verify=2, checkHost) wrote into /srv/efs"
}

no_mounts_left() {
  local left
  left=$(g "grep -c ' nfs4 ' /proc/mounts || true")
  [ "$left" = 0 ] || { g "grep ' nfs4 ' /proc/mounts" >&2; return 1; }
}

phase up up
phase "mount target checks" check_target
phase "plain NFS mount" plain_mount
phase "TLS mount via stunnel client" tls_mount
phase "no mounts left" no_mounts_left
if [ "$REBOOT" = 1 ]; then
  phase reboot "$SB" reboot guest1
  phase "mount target after reboot" check_target
  phase "TLS mount after reboot" tls_mount
fi
if [ "$KEEP" = 0 ]; then phase down "$SB" down; fi

# Shared by the sandbox scripts: paths, SSH options, timing helpers.
# shellcheck shell=bash
SANDBOX_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lib/env.sh
. "$SANDBOX_DIR/../lib/env.sh"

export SB_STATE="$BUILD/sandbox"          # per-run state: guests, inventory, vars, pki
export SB_CACHE="$CACHE/sandbox"          # survives runs: images, debootstrap tarballs, ssh key
export SB_KEY="$SB_CACHE/ssh/id_ed25519"  # baked into the image, so it lives with the cache
export SB_REGION="${SANDBOX_REGION:-us-east-1}"
mkdir -p "$SB_STATE" "$SB_CACHE"

# A connection costs seconds under TCG: share one per guest (ControlPersist). The master is
# closed by `down` and before a reboot, so that waiting for SSH sees the guest itself answer.
SB_SSH_OPTS=(-i "$SB_KEY" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
  -o LogLevel=ERROR -o BatchMode=yes -o ConnectTimeout=10 -o ServerAliveInterval=5
  -o ServerAliveCountMax=3 -o ControlMaster=auto -o "ControlPath=${TMPDIR:-/tmp}/aws-efs-transit-ssh-%C"
  -o ControlPersist=120)

sb_ensure_key() {
  [ -f "$SB_KEY" ] && return 0
  mkdir -p "$(dirname "$SB_KEY")"
  ssh-keygen -q -t ed25519 -N '' -C aws-efs-transit-sandbox -f "$SB_KEY"
}

# Runs "$@" and logs how long it took under the label $1.
sb_timed() {
  local label=$1 t0=$SECONDS rc=0
  shift
  "$@" || rc=$?
  if [ "$rc" = 0 ]; then log "$label took $(( SECONDS - t0 ))s"; else log "$label failed after $(( SECONDS - t0 ))s (exit $rc)"; fi
  return "$rc"
}

sb_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

sb_guest_port() { cat "$SB_STATE/$1/port" 2>/dev/null || die "no such guest: $1 (is the sandbox up?)"; }

sb_ssh() {
  local host=$1
  shift
  ssh "${SB_SSH_OPTS[@]}" -p "$(sb_guest_port "$host")" root@127.0.0.1 "$@"
}

sb_scp_to() {
  local host=$1 dest=$2
  shift 2
  scp -q "${SB_SSH_OPTS[@]}" -P "$(sb_guest_port "$host")" "$@" "root@127.0.0.1:$dest"
}

sb_pid_alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

# True when PID is alive and its command line contains PATTERN: a stale pid file must never
# make `down` signal some unrelated process that reused the number.
sb_pid_is() {
  sb_pid_alive "$1" && tr '\0' ' ' < "/proc/$1/cmdline" 2>/dev/null | grep -qF -- "$2"
}

# Closes the shared SSH connection to a guest, if any.
sb_ssh_close() {
  local port
  port=$(cat "$SB_STATE/$1/port" 2>/dev/null) || return 0
  ssh "${SB_SSH_OPTS[@]}" -p "$port" -O exit root@127.0.0.1 >/dev/null 2>&1 || true
}

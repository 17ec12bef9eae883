# Sourced by the tiers that need guests: one sandbox per test run, shared by the tiers.
# tests/run.sh tears it down at the end (also on failure); a tier run on its own does too.
# shellcheck shell=bash
SB="$REPO/tests/sandbox/sandbox.sh"
INV="$BUILD/sandbox/inventory.yml"
VARS="$BUILD/sandbox/vars.yml"
PLOGS="$BUILD/test-logs"
mkdir -p "$PLOGS"

# ensure_sandbox N [fresh|RELAY/LAYOUT]: reuse a running sandbox with at least N guests, else
# start one with N. fresh: always start anew (sandbox.sh --modes from SANDBOX_MODES).
# RELAY/LAYOUT (e.g. efs-proxy/deb): reuse when a running guest has that mode (guest_with_mode
# names it), else start N guests with that mode. Without it, when SANDBOX_MODES is set, guests 1..N must have those modes
# (the list cycling, as sandbox.sh --modes). Guests beyond N are left alone.
ensure_sandbox() {
  local want=$1 how=${2:-} have modes_ok=1 specs i expected="" have_modes
  have=$(bash "$SB" status 2>/dev/null | grep -c '^guest[0-9]*: qemu pid' || true)
  have_modes=$(head -n "$want" "$BUILD/sandbox/modes" 2>/dev/null | tr '\n' ' ' || true)
  if [ -n "$how" ] && [ "$how" != fresh ]; then
    grep -qxF "$how" "$BUILD/sandbox/modes" 2>/dev/null || modes_ok=0
  elif [ -n "${SANDBOX_MODES:-}" ]; then
    read -ra specs <<< "$SANDBOX_MODES"
    for i in $(seq 0 $(( want - 1 ))); do expected+="${specs[$(( i % ${#specs[@]} ))]} "; done
    [ "$have_modes" = "$expected" ] || modes_ok=0
  fi
  if [ "$how" = fresh ] || [ "$have" -lt "$want" ] || [ ! -f "$INV" ] || [ "$modes_ok" = 0 ]; then
    [ "$have" = 0 ] || bash "$SB" down
    if [ -n "$how" ] && [ "$how" != fresh ]; then
      bash "$SB" up --guests "$want" --modes "$how"
    else
      bash "$SB" up --guests "$want"
    fi
  else
    log "reusing the sandbox: $have guest(s), modes $(tr '\n' ' ' < "$BUILD/sandbox/modes" 2>/dev/null)"
  fi
  # shellcheck disable=SC1091
  . "$BUILD/sandbox/env"
}

# play NAME PLAYBOOK [ARGS...]: runs a playbook against the sandbox, log in $PLOGS/NAME.log.
play() {
  local name=$1; shift
  log "ansible-playbook $* (log: .build/test-logs/$name.log)"
  local rc=0
  ansible-playbook -i "$INV" -e @"$VARS" "$@" > "$PLOGS/$name.log" 2>&1 || rc=$?
  tail -n 25 "$PLOGS/$name.log" | sed 's/^/    /' >&2
  return $rc
}

gssh() { bash "$SB" ssh "$@"; }

# timed PHASE CMD...: runs CMD and records how long the phase took.
PHASES=()
timed() {
  local phase=$1 start=$SECONDS; shift
  log "phase: $phase"
  "$@"
  PHASES+=("$(printf '%-40s %5ss' "$phase" "$(( SECONDS - start ))")")
}
print_phases() {
  printf '\n%-40s %6s\n' "phase (${TIER:-})" "time" >&2
  printf '%s\n' "${PHASES[@]}" >&2
  # Under .build/ (tests never write into benchmarks/); benchmarks/report.py picks them up there.
  mkdir -p "$BUILD/phases"
  printf '%s\n' "${PHASES[@]}" > "$BUILD/phases/${TIER:-run}.txt"
}

# guest_facts: one "GUEST FS_ID PATH RELAY LAYOUT" line per guest of the sandbox inventory.
guest_facts() {
  python - "$INV" "$VARS" <<'PY'
import sys, yaml
inv, extra = (yaml.safe_load(open(p)) for p in sys.argv[1:3])
for name, hv in inv["all"]["children"]["efs_clients"]["hosts"].items():
    mount = (extra.get("efs_client_mounts") or hv["efs_client_mounts"])[0]
    print(name, mount["file_system_id"], mount["path"], hv.get("sandbox_relay", "stunnel"), hv.get("sandbox_layout", "deb"))
PY
}

# guest_with_mode RELAY/LAYOUT: the first guest of the sandbox with that mode.
guest_with_mode() {
  local n
  n=$(grep -nxF "$1" "$BUILD/sandbox/modes" 2>/dev/null | head -n 1 | cut -d: -f1)
  [ -n "$n" ] || die "no guest of the sandbox runs $1 (modes: $(tr '\n' ' ' < "$BUILD/sandbox/modes" 2>/dev/null))"
  echo "guest$n"
}

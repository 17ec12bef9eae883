# Sourced by the tiers that need guests: one sandbox per test run, shared by the tiers.
# tests/run.sh tears it down at the end (also on failure); a tier run on its own does too.
# shellcheck shell=bash
SB="$REPO/tests/sandbox/sandbox.sh"
INV="$BUILD/sandbox/inventory.yml"
VARS="$BUILD/sandbox/vars.yml"
PLOGS="$BUILD/test-logs"
mkdir -p "$PLOGS"

# ensure_sandbox N [fresh]: reuse a running sandbox with N guests (unless fresh), else start one.
ensure_sandbox() {
  local want=$1 have
  have=$(bash "$SB" status 2>/dev/null | grep -c '^guest[0-9]*: qemu pid' || true)
  if [ "${2:-}" = fresh ] || [ "$have" != "$want" ] || [ ! -f "$INV" ]; then
    [ "$have" = 0 ] || bash "$SB" down
    bash "$SB" up --guests "$want"
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

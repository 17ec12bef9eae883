# Sourced by the tiers that need guests: one sandbox per test run, shared by the tiers.
# tests/run.sh tears it down at the end (also on failure); a tier run on its own does too.
# shellcheck shell=bash
SB="$REPO/tests/sandbox/sandbox.sh"
INV="$BUILD/sandbox/inventory.yml"
VARS="$BUILD/sandbox/vars.yml"
PLOGS="$BUILD/test-logs"
mkdir -p "$PLOGS"

# ensure_sandbox N [fresh]: reuse a running sandbox with N guests (unless fresh) and, when
# SANDBOX_MODES is set, those relay/layout modes (sandbox.sh --modes), else start one.
ensure_sandbox() {
  local want=$1 have modes_ok=1 specs i expected=""
  have=$(bash "$SB" status 2>/dev/null | grep -c '^guest[0-9]*: qemu pid' || true)
  if [ -n "${SANDBOX_MODES:-}" ]; then
    read -ra specs <<< "$SANDBOX_MODES"
    for i in $(seq 0 $(( want - 1 ))); do expected+="${specs[$(( i % ${#specs[@]} ))]} "; done
    [ "$(tr '\n' ' ' 2>/dev/null < "$BUILD/sandbox/modes")" = "$expected" ] || modes_ok=0
  fi
  if [ "${2:-}" = fresh ] || [ "$have" != "$want" ] || [ ! -f "$INV" ] || [ "$modes_ok" = 0 ]; then
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

#!/usr/bin/env bash
# The test command: every tier in order, time per tier, a summary, non-zero if any tier failed.
# Usage: tests/run.sh [tier ...]     (default: all tiers)
set -uo pipefail
. "$(dirname "$0")/lib/env.sh"
[ -x "$VENV/bin/ansible-playbook" ] || die "no venv at $VENV: run tests/setup.sh first (or set AWS_EFS_TRANSIT_VENV)"
ALL_TIERS=(unit sanity matrix collection policy role-static guest adversarial repo)
tiers=("$@"); [ "${#tiers[@]}" -gt 0 ] || tiers=("${ALL_TIERS[@]}")
declare -a summary=()
# Guests and the emulator never outlive a run of the tiers that bring the sandbox up, whatever
# happens; `tests/run.sh unit sanity` leaves a sandbox the user started (make demo) alone.
SANDBOX_TIERS=" guest guest-smoke adversarial repo "
for tier in "${tiers[@]}"; do
  if [[ $SANDBOX_TIERS == *" $tier "* ]]; then
    trap 'bash "$REPO/tests/sandbox/sandbox.sh" down >/dev/null 2>&1 || true' EXIT
    break
  fi
done
failed=0
for tier in "${tiers[@]}"; do
  script="$REPO/tests/tiers/$tier.sh"
  if [ ! -f "$script" ]; then
    summary+=("$(printf '%-12s %6s  %s' "$tier" "-" "MISSING (no $script)")"); failed=1; continue
  fi
  printf '\n===== tier %s =====\n' "$tier" >&2
  start=$SECONDS
  TIER=$tier TIER_START=0 bash "$script"; rc=$?  # SECONDS restarts at 0 in the child
  took=$(( SECONDS - start ))
  if [ $rc -eq 0 ]; then verdict=passed; else verdict="FAILED (exit $rc)"; failed=1; fi
  summary+=("$(printf '%-12s %5ss  %s' "$tier" "$took" "$verdict")")
done
printf '\n===== summary =====\n' >&2
printf '%s\n' "${summary[@]}" >&2
exit $failed

#!/usr/bin/env bash
# efs_policy against the EFS emulator: the emulator's own checks (pytest), then the integration
# playbooks in tests/integration/policy/. Starts a private emulator and always stops it.
# Usage: tests/tiers/policy.sh [playbook-name ... | playbooks]   (default: all, and playbooks.sh
# which runs playbooks/site.yml and audit.yml against the emulator)
set -uo pipefail
. "$(dirname "$0")/../lib/env.sh"
cd "$REPO" || exit 1

# A private emulator directory: stopping ours never touches the sandbox's emulator.
export EFS_EMULATOR_DIR="$BUILD/emulator/tier-policy"
LOGDIR="$BUILD/policy-tier"
mkdir -p "$LOGDIR"
cleanup() { tests/emulator/emulator.sh stop || true; }
trap cleanup EXIT INT TERM

tests/emulator/emulator.sh start || die "emulator did not start"
URL=$(tests/emulator/emulator.sh url)
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1

failed=()
log "RUN pytest tests/emulator/test_emulator.py (EFS_EMULATOR_URL=$URL)"
if EFS_EMULATOR_URL="$URL" python -m pytest -q -p no:cacheprovider tests/emulator/test_emulator.py; then
  log "ok   emulator self-test"
else
  failed+=("emulator self-test")
fi

if [ $# -gt 0 ]; then playbooks=("$@"); else playbooks=(basic presets merge errors resilience verdicts); fi
for name in "${playbooks[@]}"; do
  [ "$name" != playbooks ] || continue
  book="tests/integration/policy/${name%.yml}.yml"
  out="$LOGDIR/${name%.yml}.log"
  log "RUN ansible-playbook $book -e emulator_url=$URL   (log: $out)"
  start=$SECONDS
  if ansible-playbook "$book" -e "emulator_url=$URL" >"$out" 2>&1; then
    log "ok   $name ($(( SECONDS - start ))s): $(grep -A1 'PLAY RECAP' "$out" | tail -n1 | tr -s ' ')"
  else
    failed+=("$name")
    log "FAIL $name ($(( SECONDS - start ))s); last lines of $out:"
    tail -n 40 "$out" >&2
  fi
done

if [ $# -eq 0 ] || [[ " $* " == *" playbooks "* ]]; then
  log "RUN tests/integration/policy/playbooks.sh (site.yml and audit.yml, server side; logs: $LOGDIR/playbooks-*.log)"
  start=$SECONDS
  if tests/integration/policy/playbooks.sh "$URL" "$LOGDIR" >&2; then
    log "ok   playbooks ($(( SECONDS - start ))s)"
  else
    failed+=("playbooks")
  fi
fi

if [ "${#failed[@]}" -gt 0 ]; then
  die "policy tier: failed: ${failed[*]}"
fi
log "policy tier: all passed (emulator self-test + ${#playbooks[@]} playbooks)"

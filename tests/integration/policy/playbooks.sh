#!/usr/bin/env bash
# playbooks/site.yml and audit.yml, server side only (no client hosts), against the emulator:
# the audit fails (under --check too) until site.yml wrote the policies; an unchanged fleet of
# policies costs site.yml one module execution; a policy with an unconditional Allow beside the
# TLS Allow fails the audit; efs_audit_policies=false turns the server side off.
# Usage: playbooks.sh EMULATOR_URL LOGDIR   (run by tests/tiers/policy.sh)
set -uo pipefail
URL=$1 LOGDIR=$2
. "$(dirname "$0")/../../lib/env.sh"
cd "$REPO" || exit 1
fail() { echo "FAIL: $*" >&2; exit 1; }

ids=$(curl -sf -X POST "$URL/_emulator/file-systems?count=2&token=playbooks" \
  | python -c 'import json,sys; print(" ".join(json.load(sys.stdin)["FileSystemIds"]))') || fail "no file systems"
read -r fs1 fs2 <<<"$ids"
vars="$LOGDIR/playbooks-vars.yml"
cat >"$vars" <<YAML
efs_aws_endpoint_url: $URL
efs_aws_region: us-east-1
efs_policy_file_systems:
  - file_system_id: $fs1
  - file_system_id: $fs2
    prevent_root_access: true
YAML
# rc NAME PLAYBOOK [ARGS...]: run, log, print the exit status.
run() {
  local name=$1; shift
  ansible-playbook -e "@$vars" "$@" >"$LOGDIR/playbooks-$name.log" 2>&1
  echo $?
}

[ "$(run audit-before playbooks/audit.yml)" != 0 ] || fail "audit passed file systems without a policy"
grep -qi "does not enforce TLS" "$LOGDIR/playbooks-audit-before.log" || fail "the audit's message has no verdict"
[ "$(run audit-before-check playbooks/audit.yml --check)" != 0 ] || fail "audit --check passed file systems without a policy"
[ "$(run audit-off playbooks/audit.yml -e efs_audit_policies=false)" = 0 ] || fail "efs_audit_policies=false still checked policies"
[ "$(run site playbooks/site.yml)" = 0 ] || fail "site.yml failed"
EXEC_COUNTER_FILE="$LOGDIR/playbooks-site-again.counts.json"
export EXEC_COUNTER_FILE
[ "$(run site-again playbooks/site.yml)" = 0 ] || fail "second site.yml failed"
unset EXEC_COUNTER_FILE
python tests/lib/recap.py "$LOGDIR/playbooks-site-again.log" changed=0 failed=0 || fail "second site.yml changed something"
n=$(python -c 'import json,sys; print(json.load(open(sys.argv[1]))["localhost"]["executions"])' "$LOGDIR/playbooks-site-again.counts.json")
[ "$n" = 1 ] || fail "an unchanged fleet of policies cost $n module executions, not 1"
[ "$(run audit-after playbooks/audit.yml)" = 0 ] || fail "audit failed after site.yml"
[ "$(run audit-after-check playbooks/audit.yml --check)" = 0 ] || fail "audit --check failed after site.yml"

# The bug site.yml used to have: any policy mentioning aws:SecureTransport passed.
curl -sf -X PUT "$URL/_emulator/policy?fs=$fs1" --data-binary \
  '{"Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "*", "Condition": {"Bool": {"aws:SecureTransport": "true"}}}, {"Sid": "Everyone", "Effect": "Allow", "Principal": "*", "Action": "*"}]}' \
  >/dev/null || fail "could not seed the hostile policy"
[ "$(run audit-hostile-check playbooks/audit.yml --check)" != 0 ] || fail "audit --check passed an unconditional Allow *"
grep -q "Everyone" "$LOGDIR/playbooks-audit-hostile-check.log" || fail "the failing audit does not name the statement"
echo "playbooks: audit before/--check/off, site, site again ($n execution), audit after/--check, hostile policy: all as expected"

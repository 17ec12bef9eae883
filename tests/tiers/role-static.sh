#!/usr/bin/env bash
# The efs_client role without a guest: per-distribution variable resolution, check mode with
# each distribution's facts, the argument spec as ansible-doc shows it, and ansible-lint.
set -euo pipefail
. "$(dirname "$0")/../lib/env.sh"
cd "$REPO/tests/integration/role_vars"
out="$BUILD/role_vars"
rm -rf "$out" && mkdir -p "$out/pkg"
# Dummy inputs: check mode never installs or reads them beyond existence.
for f in amazon-efs-utils-3.2.0.deb amazon-efs-utils-3.2.0.rpm aws-efs-utils-3.2.0.rpm ca.pem; do
  echo "placeholder for check mode" > "$out/pkg/$f"
done

log "a signed apt repository of the stand-in package, for method repo in check mode"
bash "$REPO/tests/integration/repo/make-repo.sh" "$out/repo" > "$out/repo.log" 2>&1 || { tail -20 "$out/repo.log"; die "make-repo.sh"; }

log "resolve per-OS variables for $(grep -c ': {}' inventory.yml) hosts (one is unsupported on purpose)"
ansible-playbook -i inventory.yml resolve.yml > "$out/resolve.log" 2>&1 || { tail -40 "$out/resolve.log"; die "resolve.yml"; }
grep -q 'failed=[1-9]' "$out/resolve.log" && die "resolve.yml had failures"

log "efs_utils_config and efs_client_info on scratch files"
ansible-playbook -e "role_vars_out=$out" modules.yml > "$out/modules.log" 2>&1 || { tail -40 "$out/modules.log"; die "modules.yml"; }

log "the role in check mode with each distribution's facts"
# Amazon Linux 2's helper runs stunnel5 only: give this machine's stunnel that name too, so the
# pretend AL2 host has one (else the role would install stunnel5 with yum, which is not here).
mkdir -p "$out/bin" && ln -sfn "$(command -v stunnel)" "$out/bin/stunnel5"
PATH="$out/bin:$PATH" \
  EXEC_COUNTER_FILE="$out/check-exec.json" \
  ansible-playbook -i inventory.yml --check -e "role_vars_out=$out" check.yml > "$out/check.log" 2>&1 \
  || { tail -60 "$out/check.log"; die "check.yml"; }
grep -E 'changed=|failed=' "$out/check.log" | grep -v ' failed=0' && die "check.yml had failures"
log "predicted report: $out/report/efs-transit-compliance.md"

log "argument spec: every default variable is documented"
doc=$(ansible-doc -t role aws_efs.transit.efs_client)
while read -r var; do
  grep -q -- "$var" <<<"$doc" || die "$var is not in meta/argument_specs.yml"
done < <(grep -oE '^efs_client_[a-z_]+' "$REPO/roles/efs_client/defaults/main.yml")

log "ansible-lint (production profile) on roles/ and playbooks/"
cd "$REPO"
ansible-lint --profile production roles/efs_client playbooks > "$out/lint.log" 2>&1 || { tail -60 "$out/lint.log"; die "ansible-lint"; }
log "passed"

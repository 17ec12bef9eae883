#!/usr/bin/env bash
# The efs_client role without a guest: per-distribution variable resolution, check mode with
# each distribution's facts, the argument spec as ansible-doc shows it, and ansible-lint.
set -euo pipefail
. "$(dirname "$0")/../lib/env.sh"
cd "$REPO/tests/integration/role_vars"
out="$BUILD/role_vars"
rm -rf "$out" && mkdir -p "$out/pkg"
# Dummy inputs: check mode never installs or reads them beyond existence.
for f in amazon-efs-utils-3.2.0.deb amazon-efs-utils-3.2.0.rpm aws-efs-utils-3.2.0.rpm; do
  echo "placeholder for check mode" > "$out/pkg/$f"
done
# The role reads the CA bundle: it must hold a certificate (efs-proxy fails open without one).
printf -- '-----BEGIN CERTIFICATE-----\nplaceholder\n-----END CERTIFICATE-----\n' > "$out/pkg/ca.pem"
printf '# only comments: efs-proxy reads nothing and turns verification off\n# \n' > "$out/pkg/ca-comments.pem"

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

log "playbooks/audit.yml on this machine (server side off): one module execution per host (efs_client_audit), the gate"
a="$out/audit" && mkdir -p "$a"
# What the host's file says, against role variables that say the opposite: the record must show the file.
printf '[mount]\nstunnel_check_cert_hostname = true\nstunnel_check_cert_validity = true\n' > "$a/efs-utils.conf"
cat > "$a/vars.yml" <<YAML
efs_audit_policies: false
efs_client_config_path: $a/efs-utils.conf
efs_client_allow_insecure_hostname_check: true
efs_client_ocsp: false
efs_client_report_dir: $a/report
ansible_become: false
YAML
audit_run() {  # audit_run NAME ARGS...: prints the exit status
  local name=$1; shift
  EXEC_TASK_TIMES="$a/$name.tasks.json" ansible-playbook -i "$REPO/tests/integration/role_vars/audit-inventory.yml" \
    -e @"$a/vars.yml" "$@" "$REPO/playbooks/audit.yml" > "$a/$name.log" 2>&1
  echo $?
}
absent='{"efs_client_mounts": [{"file_system_id": "fs-12345678", "path": "/mnt/role-static-absent"}]}'
for mode in run check; do
  extra=() && [ "$mode" = check ] && extra=(--check)
  [ "$(audit_run "declared-$mode" -e "$absent" "${extra[@]}")" != 0 ] || { tail -30 "$a/declared-$mode.log"; die "audit.yml ($mode) passed a declared mount that is not there"; }
  python - "$a/report/efs-transit-compliance.json" "$a/declared-$mode.tasks.json" "$REPO" "$mode" <<'PY' || die "audit.yml ($mode): report or executions not as expected"
import json, sys
import jsonschema
report, tasks, repo, mode = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3], sys.argv[4]
jsonschema.Draft202012Validator(json.load(open(repo + "/roles/efs_client/files/efs-transit-report.schema.json"))).validate(report)
assert report["check_mode"] is (mode == "check") and not report["compliant"], report["check_mode"]
host = report["hosts"][0]
assert host["host"] == "auditee" and host["mode"] == "audit", host
# The host's efs-utils.conf, not the role's variables (allow_insecure_hostname_check true, ocsp false).
assert host["check_hostname"] is True and host["ocsp"] is True, (host["check_hostname"], host["ocsp"])
assert host["efs_utils_conf"]["ocsp"] is True, host["efs_utils_conf"]
absent = [m for m in host["mounts"] if m["path"] == "/mnt/role-static-absent"]
assert absent and absent[0]["kind"] == "absent" and not absent[0]["compliant"] and absent[0]["declared"], absent
assert any(f.startswith("mount auditee:/mnt/role-static-absent (fs-12345678): ") for f in report["failures"]), report["failures"]
runs = [t for t in tasks if t["host"] == "auditee" and not t["skipped"]]
audits = [t for t in runs if t["action"].endswith("efs_client_audit")]
assert len(audits) == 1, audits
# The audit entry point costs one module execution on the host (the one counting rule: exec_counter.py).
on_host = [(t["task"], t["module_runs"]) for t in runs if t["module_runs"]]
assert sum(n for _t, n in on_host) == 1, on_host
assert audits[0]["module_runs"] == 1, audits
assert not [t for t in runs if t["action"].endswith("efs_tls_mount")], runs
PY
  grep -q 'mount auditee:/mnt/role-static-absent' "$a/declared-$mode.log" || die "audit.yml ($mode): the gate's message does not name the mount"
done
[ "$(audit_run clean -e efs_client_undeclared_mounts=ignore)" = 0 ] || { tail -30 "$a/clean.log"; die "audit.yml failed on a host with nothing declared (undeclared: ignore)"; }
[ "$(audit_run bad-undeclared -e efs_client_undeclared_mounts=sometimes)" != 0 ] || die "efs_client_undeclared_mounts=sometimes was accepted"
grep -q "efs_client_undeclared_mounts" "$a/bad-undeclared.log" || die "the refusal does not name efs_client_undeclared_mounts"

log "ansible-pull through the example unit's command line on this machine (audit only: changes nothing)"
bash "$REPO/tests/integration/pull/local.sh" > "$out/pull-local.log" 2>&1 || { tail -30 "$out/pull-local.log"; die "tests/integration/pull/local.sh"; }

log "argument spec: every default variable is documented"
doc=$(ansible-doc -t role aws_efs.transit.efs_client)
while read -r var; do
  grep -q -- "$var" <<<"$doc" || die "$var is not in meta/argument_specs.yml"
done < <(grep -oE '^efs_client_[a-z_]+' "$REPO/roles/efs_client/defaults/main.yml")

log "ansible-lint (production profile) on roles/ and playbooks/"
cd "$REPO"
ansible-lint --profile production roles/efs_client playbooks > "$out/lint.log" 2>&1 || { tail -60 "$out/lint.log"; die "ansible-lint"; }
log "passed"

#!/usr/bin/env bash
# ansible-pull on this machine, without a guest: the example unit's own command line
# (unit_command.py reads ExecStart, Environment= and the EnvironmentFile as systemd does) with the
# guest test's inputs (a git bundle of the checkout, ansible-core copied from the venv, run by
# /usr/bin/python3), audit only (efs_pull_converge: false: nothing on this machine changes).
# Checks: the run passes, the host reports under its own name in the local and the fleet
# report, a second run replaces its record, a run with the lock taken skips with 75.
# Called by tests/tiers/role-static.sh; the real thing on a guest is pull.sh.
set -euo pipefail
# shellcheck disable=SC1091
. "$(dirname "$0")/../../lib/env.sh"
# shellcheck disable=SC1091
. "$REPO/tests/integration/pull/pull.sh"
t="$BUILD/pull-local"
PULL_PREFIX="$t/ansible"
/usr/bin/python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' || die "/usr/bin/python3 is older than 3.11 (ansible-core 2.19 needs it)"
pull_inputs "$t"
mkdir -p "$PULL_PREFIX" && tar -C "$PULL_PREFIX" -xzf "$t/ansible.tgz"
git clone -q --bare "$t/repo.bundle" "$t/srv.git"
printf '[mount]\nstunnel_check_cert_hostname = true\nstunnel_check_cert_validity = true\n' > "$t/efs-utils.conf"
cat > "$t/vars.yml" <<YAML
efs_pull_converge: false
efs_pull_fleet_dir: $t/fleet
efs_client_config_path: $t/efs-utils.conf
efs_client_undeclared_mounts: ignore
YAML
cat > "$t/pull.env" <<EOF
EFS_PULL_URL=file://$t/srv.git
EFS_PULL_BRANCH=pull-test
EFS_PULL_PLAYBOOK=playbooks/examples/ansible_pull.yml
EFS_PULL_DIR=$t/pull/ansible_collections/aws_efs/transit
EFS_PULL_REPORT_DIR=$t/report
EFS_PULL_ARGS=-e @$t/vars.yml
PATH=$PULL_PREFIX/bin:/usr/sbin:/usr/bin:/sbin:/bin
ANSIBLE_COLLECTIONS_PATH=$t/pull
EOF
# This machine's lock, not the one a real unit here would take.
sed "s|/run/lock/aws-efs-transit-pull.lock|$t/pull.lock|" "$REPO/playbooks/examples/systemd/$PULL_UNIT.service" > "$t/unit"
grep -q "flock --nonblock --conflict-exit-code 75 $t/pull.lock" "$t/unit" || die "the unit's ExecStart lost its lock"
host=$(/usr/bin/python3 -c 'import platform; print(platform.node())')
for run in 1 2; do
  python "$PULL_DIR/unit_command.py" "$t/unit" "$t/pull.env" --exec > "$t/run$run.log" 2>&1 \
    || { tail -30 "$t/run$run.log"; die "ansible-pull through the unit's command line failed (run $run)"; }
  python "$REPO/tests/lib/recap.py" "$t/run$run.log" changed=0 failed=0 > /dev/null
  python - "$REPO" "$t" "$host" "$run" <<'PY' || die "ansible-pull run $run: the reports are not as expected"
import json, sys
import jsonschema
repo, t, host, run = sys.argv[1:]
schema = json.load(open(repo + "/roles/efs_client/files/efs-transit-report.schema.json"))
ids = []
for path in (t + "/report/efs-transit-compliance.json", t + "/fleet/efs-transit-compliance.json"):
    rep = json.load(open(path))
    jsonschema.Draft202012Validator(schema).validate(rep)
    assert rep["compliant"] and [h["host"] for h in rep["hosts"]] == [host], (path, rep["hosts"])
    ids.append(rep["hosts"][0]["run_id"])
assert ids[0] == ids[1], ids
prev = t + "/run_id"
if run == "2":
    assert open(prev).read() != ids[0], "the second run did not replace the host's record"
open(prev, "w").write(ids[0])
PY
done
flock "$t/pull.lock" sleep 20 & holder=$!
sleep 1
rc=0 && python "$PULL_DIR/unit_command.py" "$t/unit" "$t/pull.env" --exec > "$t/locked.log" 2>&1 || rc=$?
wait "$holder"
[ "$rc" = 75 ] || die "a run with the lock taken did not exit 75 (rc $rc)"
# The fleet report from gathered host reports (policies off: no AWS here; the policy tier has them).
mkdir -p "$t/gathered/$host" "$t/gathered/other"
cp "$t/report/efs-transit-compliance.json" "$t/gathered/$host/"
python - "$t" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1] + "/report/efs-transit-compliance.json"))
doc["hosts"][0].update(host="other-host", run_id="other-run")
json.dump(doc, open(sys.argv[1] + "/gathered/other/efs-transit-compliance.json", "w"))
PY
ansible-playbook "$REPO/playbooks/examples/pull_fleet_report.yml" -e "efs_pull_reports=$t/gathered" \
  -e "efs_pull_fleet_report_dir=$t/fleet-report" -e efs_audit_policies=false > "$t/fleet-report.log" 2>&1 \
  || { tail -30 "$t/fleet-report.log"; die "pull_fleet_report.yml failed"; }
python - "$t/fleet-report/efs-transit-compliance.json" "$host" <<'PY' || die "pull_fleet_report.yml: the fleet report is not as expected"
import json, sys
rep = json.load(open(sys.argv[1]))
assert sorted(h["host"] for h in rep["hosts"]) == sorted(["other-host", sys.argv[2]]) and rep["compliant"], rep["hosts"]
PY
log "ansible-pull through the unit's command line: two audit runs as $host, reports merged, a locked run skipped, fleet report of two hosts"

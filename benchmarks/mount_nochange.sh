#!/usr/bin/env bash
# shellcheck disable=SC2153  # REPO and friends come from tests/lib/env.sh via lib.sh
# efs_tls_mount's no-change run on a compliant mount (one module execution, no helper call)
# versus ansible.builtin.stat of the same path, alternating in one playbook run, BENCH_REPS_TASK
# times each; per-task times from the exec_counter callback (EXEC_TASK_TIMES). "No helper call" is checked: the
# module reports no actions and the helper's mount.log gains no line.
# Raw results: benchmarks/results/mount_nochange.json.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."
REPS=${BENCH_REPS_TASK:-5}
HOST=${BENCH_HOST:-guest1}
MLOG=/var/log/amazon/efs/mount.log

before=$(gssh "$HOST" "wc -l < $MLOG 2>/dev/null || echo 0")
bplay mount-vs-stat benchmarks/playbooks/mount_vs_stat.yml --limit "$HOST" -e "bench_reps=$REPS"
recap_ok mount-vs-stat changed=0 failed=0 unreachable=0
after=$(gssh "$HOST" "wc -l < $MLOG 2>/dev/null || echo 0")
[ "$before" = "$after" ] || die "the mount helper logged during the no-change runs ($before -> $after lines in $MLOG)"

python3 - "$PLOGS" "$RESULTS/mount_nochange.json" "$HOST" "$before" "$after" <<'PY'
import json, os, sys
plogs, out, host, before, after = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
rows = [t for t in json.load(open(os.path.join(plogs, "mount-vs-stat.tasks.json"))) if t["host"] == host]
stat = [t["seconds"] for t in rows if t["task"] == "Bench stat"]
mount = [t for t in rows if t["task"] == "Bench efs_tls_mount"]
assert stat and len(stat) == len(mount), "exec_counter recorded no stat/efs_tls_mount pairs"
json.dump({"host": host, "stat": stat, "efs_tls_mount": [t["seconds"] for t in mount],
           "efs_tls_mount_changed": sum(t["changed"] for t in mount),
           "efs_tls_mount_actions": sum(len(t["actions"] or []) for t in mount),
           "mount_log_lines": [before, after],
           "run": json.load(open(os.path.join(plogs, "mount-vs-stat.time.json")))}, open(out, "w"), indent=2)
PY
log "mount_nochange: results in benchmarks/results/mount_nochange.json"

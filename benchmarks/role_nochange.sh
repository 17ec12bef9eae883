#!/usr/bin/env bash
# shellcheck disable=SC2153  # REPO and friends come from tests/lib/env.sh via lib.sh
# The efs_client role's no-change run on a compliant guest versus a floor playbook (no facts, one
# ping) on the same guest, alternating, BENCH_REPS_PLAY times each: wall time, module executions
# per host (tests/lib/callback_plugins/exec_counter.py), changed count, and where the role's time
# goes (its EXEC_TASK_TIMES). Expects a converged guest (benchmarks/run.sh does that first).
# Raw results: benchmarks/results/role_nochange.json.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."
REPS=${BENCH_REPS_PLAY:-2}
HOST=${BENCH_HOST:-guest1}

for i in $(seq 1 "$REPS"); do
  bplay "floor-$i" benchmarks/playbooks/floor.yml --limit "$HOST"
  recap_ok "floor-$i" failed=0 unreachable=0
  bplay "role-$i" benchmarks/playbooks/role.yml --limit "$HOST"
  recap_ok "role-$i" changed=0 failed=0 unreachable=0
done

python3 - "$PLOGS" "$RESULTS/role_nochange.json" "$REPS" "$HOST" <<'PY'
import json, os, sys
sys.path.insert(0, os.path.join(os.environ["REPO"], "benchmarks"))
from runs import load_run
plogs, out, reps, host = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
with open(out, "w", encoding="utf-8") as f:
    json.dump({"host": host, "floor": [load_run(plogs, f"floor-{i}") for i in range(1, reps + 1)],
               "role": [load_run(plogs, f"role-{i}") for i in range(1, reps + 1)]}, f, indent=2)
PY
log "role_nochange: results in benchmarks/results/role_nochange.json"

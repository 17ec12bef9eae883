#!/usr/bin/env bash
# shellcheck disable=SC2153  # REPO and friends come from tests/lib/env.sh via lib.sh
# Several guests at once (forks) versus one: playbooks/site.yml converge and no-change run.
#   fleet_forks.sh converge: guest1 alone, then guest2..N together, on fresh guests;
#   fleet_forks.sh nochange: the no-change run on guest1 alone and on all N guests,
#     BENCH_REPS_FLEET times each (default 1), alternating; writes the results;
#   fleet_forks.sh (both).
# benchmarks/run.sh runs the other benchmarks in between, on the converged guest1; the last
# no-change run on all guests also proves every guest is still compliant afterwards.
# Play 1 (policies) is limited to the file systems of the hosts in the run, so every run does
# the same API work per host. Needs a sandbox with >= 2 guests (benchmarks/run.sh brings it up).
# Raw results: benchmarks/results/fleet_forks.json.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."
REPS=${BENCH_REPS_FLEET:-1}
PHASE=${1:-all}
mapfile -t GUESTS < <(awk '{print $1}' "$BUILD/sandbox/filesystems")
[ "${#GUESTS[@]}" -ge 2 ] || die "fleet_forks needs a sandbox with at least 2 guests"
FIRST=${GUESTS[0]}
REST=("${GUESTS[@]:1}")
rest_csv=$(IFS=,; echo "${REST[*]}")
all_csv=$(IFS=,; echo "${GUESTS[*]}")

if [ "$PHASE" = converge ] || [ "$PHASE" = all ]; then
  log "converge: $FIRST alone"
  bplay fleet-converge-1 playbooks/site.yml --limit "localhost,$FIRST" -e "$(policy_vars "$FIRST")"
  recap_ok fleet-converge-1 failed=0 unreachable=0
  log "converge: ${REST[*]} at once"
  bplay fleet-converge-rest playbooks/site.yml --limit "localhost,$rest_csv" -e "$(policy_vars "${REST[@]}")"
  recap_ok fleet-converge-rest failed=0 unreachable=0
fi
[ "$PHASE" = converge ] && exit 0

for i in $(seq 1 "$REPS"); do
  bplay "fleet-nochange-1-$i" playbooks/site.yml --limit "localhost,$FIRST" -e "$(policy_vars "$FIRST")"
  recap_ok "fleet-nochange-1-$i" changed=0 failed=0 unreachable=0
  bplay "fleet-nochange-all-$i" playbooks/site.yml --limit "localhost,$all_csv" -e "$(policy_vars "${GUESTS[@]}")"
  recap_ok "fleet-nochange-all-$i" changed=0 failed=0 unreachable=0
done

python3 - "$PLOGS" "$RESULTS/fleet_forks.json" "$REPS" "${#GUESTS[@]}" "${#REST[@]}" \
  "${ANSIBLE_FORKS:-5}" <<'PY'
import json, os, sys
sys.path.insert(0, os.path.join(os.environ["REPO"], "benchmarks"))
from runs import load_run
plogs, out, reps, n_all, n_rest, forks = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
res = {
    "forks": forks, "guests": n_all, "rest": n_rest,
    "converge_first": load_run(plogs, "fleet-converge-1"),
    "converge_rest": load_run(plogs, "fleet-converge-rest"),
    "nochange_first": [load_run(plogs, f"fleet-nochange-1-{i}") for i in range(1, reps + 1)],
    "nochange_all": [load_run(plogs, f"fleet-nochange-all-{i}") for i in range(1, reps + 1)],
}
with open(out, "w", encoding="utf-8") as f:
    json.dump(res, f, indent=2)
PY
log "fleet_forks: results in benchmarks/results/fleet_forks.json"

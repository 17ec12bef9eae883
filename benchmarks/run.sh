#!/usr/bin/env bash
# The one entry point for the benchmarks: brings up its own sandbox (BENCH_GUESTS guests, default
# 3), runs every benchmark, tears the sandbox down (trap), prints the tables, writes
# benchmarks/results/*.md and regenerates BENCHMARKS.md and benchmarks/charts/benchmarks.svg.
#   benchmarks/run.sh [--no-sandbox] [--only NAME[,NAME...]] [--image-rebuild] [--report-only]
# --no-sandbox: use the sandbox that is already up (and leave it up).
# --image-rebuild: first time a guest image build from nothing (image_build.sh, ~3-5 min).
# --report-only: only regenerate the chart and BENCHMARKS.md from benchmarks/results/.
# Knobs: BENCH_GUESTS (3), BENCH_REPS_PLAY (role vs floor, 2), BENCH_REPS_FLEET (1),
# BENCH_REPS_TASK (5), BENCH_THROUGHPUT_MIB (32), BENCH_THROUGHPUT_ROUNDS (3),
# BENCH_POLICY_SIZES (policy_api_calls.sh sizes when its results are missing; default 1,10),
# BENCH_POLICY_INFO_SIZES (policy_info.sh: the server side, default 1,10,100,1000).
# The other benchmarks need the guests fleet_forks converges: --only without fleet_forks needs
# --no-sandbox and a converged sandbox. --only none --image-rebuild: the image build alone.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."
export TIER=bench
TIER_START=$SECONDS
SANDBOX=1 IMAGE=0 REPORT_ONLY=0 ONLY="fleet_forks,role_nochange,mount_nochange,throughput"
while [ $# -gt 0 ]; do
  case $1 in
    --no-sandbox) SANDBOX=0; shift ;;
    --only) ONLY=$2; shift 2 ;;
    --image-rebuild) IMAGE=1; shift ;;
    --report-only) REPORT_ONLY=1; shift ;;
    *) die "usage: benchmarks/run.sh [--no-sandbox] [--only NAME,...] [--image-rebuild] [--report-only]" ;;
  esac
done
GUESTS=${BENCH_GUESTS:-3}
wants() { [[ ",$ONLY," == *",$1,"* ]]; }

report() {
  python3 "$BENCH/chart.py" "$RESULTS" "$BENCH/charts/benchmarks.svg" "$RESULTS/benchmarks.svg" \
    "$BUILD/sandbox/report/benchmarks.svg"
  python3 "$BENCH/report.py" "$RESULTS" "$REPO/BENCHMARKS.md" benchmarks/charts/benchmarks.svg
}
if [ "$REPORT_ONLY" = 1 ]; then
  report
  exit 0
fi

date_utc=$(date -u '+%Y-%m-%d %H:%M UTC')

# Before any guest runs, so that the build does not compete with them.
[ "$IMAGE" = 1 ] && { log "=== image_build"; bash "$BENCH/image_build.sh"; }

GUEST_BENCH=0
for b in fleet_forks role_nochange mount_nochange throughput; do wants "$b" && GUEST_BENCH=1; done
[ "$GUEST_BENCH" = 0 ] || machine_json > "$RESULTS/machine.json"
if [ "$SANDBOX" = 1 ] && [ "$GUEST_BENCH" = 1 ]; then
  trap 'log "tearing the sandbox down"; bash "$SB" down >/dev/null 2>&1 || true' EXIT
  log "sandbox up --guests $GUESTS"
  bash "$SB" up --guests "$GUESTS" 2> >(tee "$RESULTS/sandbox-up.log" >&2)
fi
# shellcheck disable=SC1091
[ "$GUEST_BENCH" = 0 ] || . "$BUILD/sandbox/env"

# fleet_forks converges the guests first; its no-change runs come last, after the throughput
# benchmark has remounted guest1, so that they also prove every guest is still compliant, and
# the last one writes the role's report for the picture.
wants fleet_forks && { log "=== fleet_forks (converge)"; bash "$BENCH/fleet_forks.sh" converge; }
for b in role_nochange mount_nochange throughput; do
  if wants "$b"; then
    log "=== $b"
    bash "$BENCH/$b.sh"
  fi
done
if wants fleet_forks; then
  log "=== fleet_forks (no-change)"
  bash "$BENCH/fleet_forks.sh" nochange
elif [ "$GUEST_BENCH" = 1 ]; then
  bplay final-audit playbooks/audit.yml
  recap_ok final-audit failed=0 unreachable=0
fi
[ "$GUEST_BENCH" = 0 ] || cp "$BUILD/sandbox/report/efs-transit-compliance.json" "$RESULTS/compliance.json"

# The server side at scale (host only, emulator): always, it takes a few minutes.
if [ "$REPORT_ONLY" = 0 ]; then
  log "=== policy_info (sizes ${BENCH_POLICY_INFO_SIZES:-1,10,100,1000})"
  bash "$BENCH/policy_info.sh" --sizes "${BENCH_POLICY_INFO_SIZES:-1,10,100,1000}" >/dev/null
fi

if [ ! -f "$RESULTS/policy_api_calls.md" ]; then
  log "=== policy_api_calls (no earlier results; sizes ${BENCH_POLICY_SIZES:-1,10})"
  bash "$BENCH/policy_api_calls.sh" --sizes "${BENCH_POLICY_SIZES:-1,10}" >/dev/null
fi

# The run's own description (not for an image-only run, which keeps the last run's).
[ "$GUEST_BENCH" = 1 ] || { report; exit 0; }
accel=$(sed -n 's/.*qemu accelerator: \([a-z]*\).*/\1/p' "$RESULTS/sandbox-up.log" 2>/dev/null | tail -1)
python3 - "$RESULTS/run.json" "$date_utc" "$(( SECONDS - TIER_START ))" "$GUESTS" "${accel:-?}" <<'PY'
import json, os, sys
sb = os.path.join(os.environ["BUILD"], "sandbox")
def read(name, default="?"):
    try:
        with open(os.path.join(sb, name), encoding="utf-8") as f:
            return f.read().strip()
    except OSError:
        return default
json.dump({"date": sys.argv[2], "seconds": int(sys.argv[3]), "guests": int(sys.argv[4]), "accel": sys.argv[5],
           "release": read("release", "bookworm"), "helper": read("helper"),
           "mem": os.environ.get("SANDBOX_MEM", "512"), "modes": read("modes").split()}, open(sys.argv[1], "w"), indent=2)
PY

report
log "done in $(( SECONDS - TIER_START ))s: BENCHMARKS.md, benchmarks/charts/benchmarks.svg, benchmarks/results/"

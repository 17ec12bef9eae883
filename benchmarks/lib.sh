# Sourced by the benchmark scripts: environment, the sandbox helpers, timing and results.
# Benchmarks measure and print; they fail only when something functionally breaks.
# shellcheck shell=bash
# shellcheck source=../tests/lib/env.sh
. "$(dirname "${BASH_SOURCE[0]}")/../tests/lib/env.sh"
# shellcheck source=../tests/lib/sandbox_session.sh
. "$REPO/tests/lib/sandbox_session.sh"
BENCH="$REPO/benchmarks"
RESULTS="$BENCH/results"
PLOGS="$BUILD/bench-logs"
mkdir -p "$RESULTS" "$PLOGS"
TIER=${TIER:-bench}
TIER_START=${TIER_START:-$SECONDS}
# Counts and task times come from the one callback in tests/lib (enabled by env.sh); it writes
# only the files whose variables are set.
# The sandbox's emulator URL and AWS test credentials, when a sandbox is up.
# shellcheck disable=SC1091
[ -f "$BUILD/sandbox/env" ] && . "$BUILD/sandbox/env"

# bplay NAME ARGS...: ansible-playbook against the sandbox. In $PLOGS: NAME.log, NAME.counts.json
# (module executions per host), NAME.tasks.json (task times), NAME.time.json (wall, controller
# and guest CPU). Fails when the playbook fails.
bplay() {
  local name=$1 rc=0
  shift
  EXEC_COUNTER_FILE="$PLOGS/$name.counts.json" EXEC_TASK_TIMES="$PLOGS/$name.tasks.json" \
    python3 "$BENCH/timeit.py" --out "$PLOGS/$name.time.json" --log "$PLOGS/$name.log" -- \
    ansible-playbook -i "$INV" -e @"$VARS" "$@" >/dev/null || rc=$?
  if [ "$rc" != 0 ]; then
    tail -n 40 "$PLOGS/$name.log" >&2
    die "playbook run $name failed (exit $rc; log .build/bench-logs/$name.log)"
  fi
  log "$name: $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["wall"])' "$PLOGS/$name.time.json")s"
}

# recap_ok NAME KEY=VALUE...: the run's PLAY RECAP must match (functional check).
recap_ok() {
  local name=$1
  shift
  python "$REPO/tests/lib/recap.py" "$PLOGS/$name.log" "$@" >/dev/null \
    || die "run $name: recap is not $* (log .build/bench-logs/$name.log)"
}

# fs_of HOST: the file system the sandbox gave HOST.
fs_of() { awk -v g="$1" '$1==g{print $2}' "$BUILD/sandbox/filesystems"; }

# policy_vars HOST...: extra vars limiting play 1 of site.yml to these hosts' file systems.
policy_vars() {
  local h out=""
  for h in "$@"; do out+="{\"file_system_id\": \"$(fs_of "$h")\"},"; done
  echo "{\"efs_policy_file_systems\": [${out%,}]}"
}

machine_json() {
  python3 - <<'PY'
import json, os, platform, subprocess
def first(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=False).stdout.splitlines()[0]
    except (OSError, IndexError):
        return "unknown"
cpu = "unknown"
with open("/proc/cpuinfo", encoding="utf-8") as f:
    for line in f:
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
with open("/proc/meminfo", encoding="utf-8") as f:
    mem_kib = int(f.readline().split()[1])
print(json.dumps({
    "cpus": os.cpu_count(), "cpu_model": cpu, "mem_gib": round(mem_kib / 1048576, 1),
    "kernel": platform.release(), "qemu": first(["qemu-system-x86_64", "--version"]),
    "ansible": first(["ansible-playbook", "--version"]), "python": platform.python_version(),
    "loadavg_at_start": open("/proc/loadavg", encoding="utf-8").read().split()[:3],
}))
PY
}

#!/usr/bin/env bash
# Count EFS API calls per efs_policy run for 1, 10 and 100 file systems (see policy_api_calls.py).
# Usage: benchmarks/policy_api_calls.sh [--sizes 1,10,100]
set -euo pipefail
. "$(dirname "$0")/../tests/lib/env.sh"
exec python "$REPO/benchmarks/policy_api_calls.py" "$@"

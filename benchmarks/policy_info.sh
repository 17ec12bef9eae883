#!/usr/bin/env bash
# The server side at 1, 10, 100 and 1,000 file systems against the emulator (see policy_info.py).
# Usage: benchmarks/policy_info.sh [--sizes 1,10,100,1000] [--loop-max 100]
set -euo pipefail
. "$(dirname "$0")/../tests/lib/env.sh"
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
exec python "$REPO/benchmarks/policy_info.py" "$@"

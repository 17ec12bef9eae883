#!/usr/bin/env bash
# Pure functions and modules with mocked I/O; no network, no root needed.
set -euo pipefail
. "$(dirname "$0")/../lib/env.sh"
cd "$REPO"
python -m pytest -q -p no:cacheprovider tests/unit "$@"

#!/usr/bin/env bash
# Pure functions and modules with mocked I/O; no network, no root needed.
set -euo pipefail
. "$(dirname "$0")/../lib/env.sh"
cd "$REPO"
log "black --check (settings in pyproject.toml)"
black --check --quiet . || die "black would reformat the files above: run black ."
python -m pytest -q -p no:cacheprovider tests/unit "$@"

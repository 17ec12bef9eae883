#!/usr/bin/env bash
# ansible-test sanity from a copy at ansible_collections/aws_efs/transit (it refuses other layouts),
# then ansible-lint with the production profile.
set -euo pipefail
. "$(dirname "$0")/../lib/env.sh"
. "$REPO/tests/lib/collection_copy.sh"
work=$(collection_copy "$BUILD/sanity")
log "ansible-test sanity"
# SANITY_ARGS: extra ansible-test arguments, e.g. "--test pep8" while iterating.
read -r -a extra <<< "${SANITY_ARGS:-}"
(cd "$work" && ansible-test sanity --venv --requirements --python 3.11 --color no "${extra[@]}")
log "ansible-lint --profile production"
(cd "$REPO" && ansible-lint --profile production --offline --nocolor)
log "sanity and lint clean"

#!/usr/bin/env bash
# ansible-test sanity from a copy at ansible_collections/aws_efs/transit (it refuses other layouts),
# then ansible-lint with the production profile.
set -euo pipefail
. "$(dirname "$0")/../lib/env.sh"
work="$BUILD/sanity/ansible_collections/aws_efs/transit"
rm -rf "$BUILD/sanity"; mkdir -p "$work"
# ansible-test only looks at files git knows about; copy the tracked and new files, not .build/.venv.
(cd "$REPO" && git ls-files -co --exclude-standard -z) | rsync -a --from0 --files-from=- "$REPO/" "$work/"
(cd "$work" && git init -q && git add -A >/dev/null)
# efs_policy imports amazon.aws: the import and validate-modules checks need it beside our tree.
mkdir -p "$BUILD/sanity/ansible_collections/amazon"
cp -a "$(python -c 'import ansible_collections.amazon.aws as m; print(list(m.__path__)[0])')" \
  "$BUILD/sanity/ansible_collections/amazon/aws"
# ansible-test's --requirements fetches a pip bootstrap script from a host we cannot reach;
# a local stand-in that bootstraps pip from ensurepip does the same job.
for v in 24_2 25_0 25_1 25_2 25_3; do
  f="$HOME/.ansible/test/cache/get_pip_$v.py"
  [ -f "$f" ] || { mkdir -p "${f%/*}"; printf 'import ensurepip\nensurepip.bootstrap(upgrade=True)\n' > "$f"; }
done
log "ansible-test sanity"
# SANITY_ARGS: extra ansible-test arguments, e.g. "--test pep8" while iterating.
read -r -a extra <<< "${SANITY_ARGS:-}"
(cd "$work" && ansible-test sanity --venv --requirements --python 3.11 --color no "${extra[@]}")
log "ansible-lint --profile production"
(cd "$REPO" && ansible-lint --profile production --offline --nocolor)
log "sanity and lint clean"

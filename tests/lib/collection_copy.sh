# Sourced by the tiers that run ansible-test: it refuses any layout but
# ansible_collections/NAMESPACE/NAME and looks only at files git knows about.
# shellcheck shell=bash

# collection_copy ROOT: a copy of the tracked and new files at ROOT/ansible_collections/aws_efs/transit
# (a git tree of its own), with amazon.aws beside it (efs_policy imports it). Prints the copy's path.
collection_copy() {
  local root=$1 work="$1/ansible_collections/aws_efs/transit"
  rm -rf "$root" && mkdir -p "$work" "$root/ansible_collections/amazon"
  (cd "$REPO" && git ls-files -co --exclude-standard -z) | rsync -a --from0 --files-from=- "$REPO/" "$work/"
  (cd "$work" && git init -q && git add -A >/dev/null)
  cp -a "$(python -c 'import ansible_collections.amazon.aws as m; print(list(m.__path__)[0])')" \
    "$root/ansible_collections/amazon/aws"
  # ansible-test's --requirements fetches a pip bootstrap script from a host we cannot reach;
  # a local stand-in that bootstraps pip from ensurepip does the same job.
  local v f
  for v in 23_1_2 24_0 24_2 24_3_1 25_0 25_0_1 25_1 25_1_1 25_2 25_3 26_0; do
    f="$HOME/.ansible/test/cache/get_pip_$v.py"
    [ -f "$f" ] || { mkdir -p "${f%/*}"; printf 'import ensurepip\nensurepip.bootstrap(upgrade=True)\n' > "$f"; }
  done
  echo "$work"
}

#!/usr/bin/env bash
# The repo install method against a real signed apt repository: tests/integration/repo/make-repo.sh
# signs it with a throwaway key, the sandbox serves it to the restricted guest (qemu guestfwd,
# http://10.0.2.100/), and the efs_client role installs from it through apt. A wrong key and a
# version the repository lacks must fail before anything changes. Boots a fresh guest.
set -euo pipefail
. "$(dirname "$0")/../lib/env.sh"
# REPO is set by env.sh.
# shellcheck disable=SC2153
. "$REPO/tests/lib/sandbox_session.sh"
cd "$REPO"

# A fresh guest: the tiers before leave amazon-efs-utils installed at the pin, and the role then
# (rightly) installs nothing, so the wrong key would never be met.
timed "sandbox up (fresh)" ensure_sandbox 1 fresh
repo="$BUILD/repo-tier"
publish() {
  bash tests/integration/repo/make-repo.sh "$repo" > "$PLOGS/repo-make.log" 2>&1 || { tail -20 "$PLOGS/repo-make.log" >&2; die "make-repo.sh failed"; }
  rm -rf "$BUILD/sandbox/www/efs"
  mkdir -p "$BUILD/sandbox/www"
  cp -r "$repo/www" "$BUILD/sandbox/www/efs"
  gssh guest1 "python3 -c 'import urllib.request; urllib.request.urlopen(\"http://10.0.2.100/efs/dists/stable/InRelease\", timeout=20).read()'" \
    || die "the guest cannot reach the package mirror at http://10.0.2.100/ (qemu guestfwd)"
  log "repository: $(tr '\n' ' ' < "$repo/versions")signed by $(cat "$repo/fingerprint")"
}
run() {
  play repo tests/integration/repo/repo.yml -e @tests/integration/repo/vars.yml -e "repo_dir=$repo"
  python tests/lib/recap.py "$PLOGS/repo.log" failed=0 unreachable=0
}
timed "signed repository, published to the guest" publish
timed "role: wrong key, missing pin, pinned install, latest" run
print_phases

#!/usr/bin/env bash
# Times a guest image build from nothing (debootstrap download from the Debian mirror, install,
# initramfs, mkfs.ext4 -d) into a scratch cache, so the shared image cache is left alone. The
# log's sub-phases also give the cost of a rebuild from a cached debootstrap tarball
# (everything but the download). Needs root and the Debian mirror.
# Raw results: benchmarks/results/image_build.json.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."
scratch=$(mktemp -d "$BUILD/bench-image.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
t0=$SECONDS
AWS_EFS_TRANSIT_CACHE="$scratch" bash "$REPO/tests/sandbox/build-image.sh" --release bookworm > /dev/null \
  2> >(tee "$RESULTS/image-build.log" >&2) || die "image build failed"
total=$(( SECONDS - t0 ))
sleep 1  # let tee finish the log
python3 - "$RESULTS/image-build.log" "$RESULTS/image_build.json" "$total" <<'PY'
import json, re, sys
log, out, total = sys.argv[1], sys.argv[2], int(sys.argv[3])
phases = {}
for line in open(log, encoding="utf-8", errors="replace"):
    m = re.search(r"\] (.+?) took (\d+)s", line)
    if m:
        phases[m.group(1)] = int(m.group(2))
with open(out, "w", encoding="utf-8") as f:
    json.dump({"release": "bookworm", "total": total, "phases": phases}, f, indent=2)
PY
log "image build: ${total}s (benchmarks/results/image_build.json)"

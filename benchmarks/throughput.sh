#!/usr/bin/env bash
# What encryption costs: sequential write and read through the TLS relay (the role's mount,
# kernel -> the client relay, efs-proxy or stunnel -> TLS -> the mount target's stunnel -> nfsd) versus a plain NFSv4.1
# mount of the same export straight to nfsd (port 12049), on the same guest, same size.
# Rounds alternate TLS and plain so that load from elsewhere on the host hits both alike. Before
# each plain round every mount of the file system is unmounted (NFSv4.1 client sharing would
# otherwise route one mount over the other's connection, see DESIGN.md), and the TLS mount is
# put back from fstab (through the helper) afterwards; every round checks which port carries it.
# write: dd bs=1M conv=fsync; read: drop_caches, then dd to /dev/null. Client and server share
# the guest's kernel, so drop_caches empties both caches: reads come from the guest's disk.
# Raw results: benchmarks/results/throughput.json.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."
ROUNDS=${BENCH_THROUGHPUT_ROUNDS:-3}
MIB=${BENCH_THROUGHPUT_MIB:-32}
HOST=${BENCH_HOST:-guest1}
MNT=$(python3 -c 'import yaml,sys; d=yaml.safe_load(open(sys.argv[1])); h=d["all"]["children"]["efs_clients"]["hosts"][sys.argv[2]]; print(h["efs_client_mounts"][0]["path"])' "$INV" "$HOST")
PLAIN=/mnt/plain-bench
RAW="$PLOGS/throughput.raw"
: > "$RAW"

# port_of PATH: the NFS server port of the mount on PATH ("" when not mounted).
port_of() { gssh "$HOST" "findmnt -n -o OPTIONS '$1' 2>/dev/null" | tr ',' '\n' | sed -n 's/^port=//p'; }
nfs_mounts() { gssh "$HOST" "findmnt -n -t nfs4 -o TARGET | tr '\n' ' '"; }

check_tls() {
  local port
  port=$(port_of "$MNT")
  if [ -z "$port" ] || [ "$port" = 12049 ]; then die "$MNT is not mounted through a relay (port '${port}')"; fi
  gssh "$HOST" "ss -Hltnp 'sport = :$port'" | grep -Eq '"(stunnel|efs-proxy)"' || die "port $port on $HOST is not a TLS relay (efs-proxy, stunnel)"
  [ "$(nfs_mounts)" = "$MNT " ] || die "other NFS mounts beside $MNT: $(nfs_mounts)"
}

# dd_round LABEL DIR: one write and one read of $MIB MiB; appends "LABEL op bytes seconds".
dd_round() {
  gssh "$HOST" bash -s -- "$1" "$2" "$MIB" >> "$RAW" <<'GUEST'
set -euo pipefail
label=$1 dir=$2 mib=$3 f=$2/bench-throughput.bin
parse() { awk '/copied/ {for (i = 1; i <= NF; i++) if ($i == "s," || $i ~ /^s,$/) s = $(i-1); print $1, s}'; }
rm -f "$f"; sync; echo 3 > /proc/sys/vm/drop_caches
echo "$label write $(dd if=/dev/zero of="$f" bs=1M count="$mib" conv=fsync 2>&1 >/dev/null | parse)"
sync; echo 3 > /proc/sys/vm/drop_caches
echo "$label read $(dd if="$f" of=/dev/null bs=1M 2>&1 >/dev/null | parse)"
rm -f "$f"; sync
GUEST
}

to_plain() {
  gssh "$HOST" "umount '$MNT' && mkdir -p $PLAIN && mount -t nfs4 -o vers=4.1,port=12049 127.0.0.1:/ $PLAIN"
  [ "$(port_of $PLAIN)" = 12049 ] || die "the plain mount does not use nfsd's port 12049"
  [ "$(nfs_mounts)" = "$PLAIN " ] || die "other NFS mounts beside $PLAIN: $(nfs_mounts)"
}

to_tls() {
  # fstab's line (type efs, tls) through the mount helper, as at boot.
  gssh "$HOST" "umount $PLAIN && rmdir $PLAIN && mount '$MNT'"
  check_tls
}

check_tls
log "throughput: $ROUNDS rounds of $MIB MiB on $HOST, TLS at $MNT (port $(port_of "$MNT")) vs plain at $PLAIN (port 12049)"
for r in $(seq 1 "$ROUNDS"); do
  dd_round tls "$MNT"
  to_plain
  dd_round plain "$PLAIN"
  t0=$SECONDS
  to_tls
  log "round $r done (TLS remount took $(( SECONDS - t0 ))s)"
done
sed 's/^/    /' "$RAW" >&2

python3 - "$RAW" "$RESULTS/throughput.json" "$MIB" "$ROUNDS" "$HOST" <<'PY'
import json, sys
raw, out, mib, rounds, host = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
res = {"host": host, "mib": mib, "rounds": rounds, "samples": {}}
for line in open(raw):
    label, op, nbytes, secs = line.split()
    assert int(nbytes) == mib * 1048576, f"dd moved {nbytes} bytes, not {mib} MiB: {line}"
    res["samples"].setdefault(f"{label} {op}", []).append(round(int(nbytes) / float(secs) / 1e6, 2))
json.dump(res, open(out, "w"), indent=2)
PY
log "throughput: results in benchmarks/results/throughput.json"

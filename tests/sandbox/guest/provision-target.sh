#!/usr/bin/env bash
# Runs inside a guest (copied there by sandbox.sh up): turns it into an EFS mount target.
#   provision-target.sh --hostname NAME --region REGION FS_ID:INDEX...
# Expects the test PKI next to it in ./pki (ca.pem, <fs>.{good,untrusted-ca,wrong-name}.{pem,key}).
# Idempotent: running it again rewrites the same files and restarts the services.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
NAME=sandbox REGION=us-east-1
while [ $# -gt 0 ]; do
  case $1 in
    --hostname) NAME=$2; shift 2 ;;
    --region) REGION=$2; shift 2 ;;
    *) break ;;
  esac
done

echo "$NAME" > /etc/hostname
hostname "$NAME"

# kernel nfsd off 2049, short grace so a rebooted target serves again within seconds.
mkdir -p /etc/nfs.conf.d /srv/efs
cat > /etc/nfs.conf.d/sandbox.conf <<'CONF'
[nfsd]
port=12049
grace-time=10
lease-time=10
CONF
cat > /etc/exports <<'CONF'
/srv/efs *(rw,sync,fsid=0,insecure,no_root_squash,no_subtree_check)
CONF
# Fake servers stop only after every NFS mount is gone, or shutdown hangs for minutes.
mkdir -p /etc/systemd/system/nfs-server.service.d
cat > /etc/systemd/system/nfs-server.service.d/sandbox.conf <<'CONF'
[Unit]
Before=remote-fs-pre.target
CONF
cat > /etc/systemd/system/sandbox-target@.service <<'CONF'
[Unit]
Description=Sandbox EFS mount target %i (TLS front of the local nfsd)
After=network.target nfs-server.service
Before=remote-fs-pre.target

[Service]
ExecStart=/usr/local/sbin/sandbox-target run %i
Restart=on-failure
RestartSec=1

[Install]
WantedBy=multi-user.target
CONF
install -m 0755 "$HERE/sandbox-target" /usr/local/sbin/sandbox-target
install -D -m 0644 "$HERE/sandbox-demux.py" /usr/local/lib/sandbox-target/demux.py

install -D -m 0644 "$HERE/pki/ca.pem" /etc/sandbox-target/ca.pem
hosts_block=""
for spec in "$@"; do
  fs=${spec%%:*} idx=${spec##*:}
  d=/etc/sandbox-target/$fs
  mkdir -p "$d"
  for mode in good untrusted-ca wrong-name; do
    install -m 0644 "$HERE/pki/$fs.$mode.pem" "$d/$mode.pem"
    install -m 0600 "$HERE/pki/$fs.$mode.key" "$d/$mode.key"
  done
  echo "127.0.1.$idx" > "$d/address"
  echo "$fs.efs.$REGION.amazonaws.com" > "$d/name"
  [ -f "$d/mode" ] || echo good > "$d/mode"
  hosts_block+="127.0.1.$idx $fs.efs.$REGION.amazonaws.com"$'\n'
done
{
  echo "127.0.0.1 localhost $NAME"
  echo "::1 localhost ip6-localhost ip6-loopback"
  echo "# sandbox mount targets (tests/sandbox)"
  printf '%s' "$hosts_block"
} > /etc/hosts

# Enable by symlink: each `systemctl enable` reloads systemd, ~10 s apiece under TCG.
units=()
mkdir -p /etc/systemd/system/multi-user.target.wants
ln -sf /lib/systemd/system/nfs-server.service /etc/systemd/system/multi-user.target.wants/nfs-server.service
for spec in "$@"; do
  fs=${spec%%:*}
  ln -sf /etc/systemd/system/sandbox-target@.service \
    "/etc/systemd/system/multi-user.target.wants/sandbox-target@$fs.service"
  units+=("sandbox-target@$fs.service")
done
systemctl daemon-reload
systemctl restart nfs-server.service
exportfs -ra
systemctl restart "${units[@]}"
# Wait for every listener; fail loudly when one is missing.
for _ in $(seq 1 50); do
  missing=0
  ss -ltnH | grep -q ':12049 ' || missing=1
  for spec in "$@"; do
    fs=${spec%%:*}
    ss -ltnH | grep -q " $(cat "/etc/sandbox-target/$fs/address"):2049 " || missing=1
  done
  [ "$missing" = 0 ] && break
  sleep 0.2
done
[ "$missing" = 0 ] || { ss -ltn; systemctl --no-pager status nfs-server 'sandbox-target@*' || true; exit 1; }
echo "mount target ready: nfsd :12049, $(sandbox-target list | tr '\n' ';')"

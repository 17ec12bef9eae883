#!/usr/bin/env bash
# Builds (or reuses) a bootable Debian guest image for the sandbox.
#   build-image.sh [--release bookworm|trixie] [--force]
# Prints the image directory (disk.raw, vmlinuz, initrd.img) on stdout; progress on stderr.
# The image is cached under $CACHE/sandbox/images by a hash of its inputs (release, mirror,
# package list, this script, the SSH public key); the debootstrap tarball is cached separately
# so that changing only the guest configuration below skips the download.
# Needs root (debootstrap, chroot) but no loop mount: the disk is made with mkfs.ext4 -d.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
TIER=${TIER:-image}

RELEASE=bookworm
FORCE=0
while [ $# -gt 0 ]; do
  case $1 in
    --release) RELEASE=$2; shift 2 ;;
    --force) FORCE=1; shift ;;
    *) die "usage: $0 [--release bookworm|trixie] [--force]" ;;
  esac
done
case $RELEASE in bookworm|trixie) ;; *) die "unsupported release: $RELEASE" ;; esac
MIRROR=${SANDBOX_MIRROR:-http://deb.debian.org/debian}
DISK_SIZE=${SANDBOX_DISK_SIZE:-4G}

# Guests have no network: everything the mount target, the stand-in and the role need at run
# time must be here (python3-apt for ansible's apt module, sudo for become, git/make/binutils
# for source builds).
PACKAGES=(
  linux-image-amd64 systemd-sysv udev dbus kmod procps iproute2 netbase
  openssh-server python3 python3-apt ca-certificates openssl
  nfs-kernel-server nfs-common rpcbind stunnel4
  psmisc lsof less git make binutils sudo
)

[ "$(id -u)" = 0 ] || die "build-image.sh needs root (debootstrap, chroot)"
command -v debootstrap >/dev/null || die "debootstrap is missing (tests/setup.sh installs it)"
sb_ensure_key

pkg_list=$(printf '%s\n' "${PACKAGES[@]}" | sort | tr '\n' ',' | sed 's/,$//')
tar_hash=$(printf '%s|%s|%s' "$RELEASE" "$MIRROR" "$pkg_list" | sha256sum | cut -c1-12)
img_hash=$( { printf '%s|%s\n' "$tar_hash" "$DISK_SIZE"; cat "$0" "$SB_KEY.pub"; } | sha256sum | cut -c1-12)
TARBALL="$SB_CACHE/debootstrap/$RELEASE-$tar_hash.tgz"
IMG="$SB_CACHE/images/$RELEASE-$img_hash"

if [ "$FORCE" = 0 ] && [ -f "$IMG/.complete" ]; then
  log "image $RELEASE-$img_hash is cached ($IMG)"
  echo "$IMG"
  exit 0
fi

T0=$SECONDS
WORK=$(mktemp -d "$SB_CACHE/build.XXXXXX")
ROOT="$WORK/root"
cleanup() {
  # debootstrap may leave proc/sys mounted when it fails half way.
  for m in proc sys dev/pts dev; do mountpoint -q "$ROOT/$m" 2>/dev/null && umount -l "$ROOT/$m"; done
  if grep -q " $WORK/" /proc/self/mounts; then
    log "something is still mounted under $WORK: not deleting it"
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT
# Runs a noisy command with its output in a log, shown only when it fails.
logged_to() {
  local logf=$1
  shift
  "$@" > "$logf" 2>&1 || { tail -20 "$logf" >&2; return 1; }
}

mkdir -p "$(dirname "$TARBALL")"
if [ ! -f "$TARBALL" ]; then
  log "downloading $RELEASE packages from $MIRROR into the debootstrap tarball (~1-2 min)"
  sb_timed "debootstrap download" logged_to "$WORK/dl.log" \
    debootstrap --variant=minbase --include="$pkg_list" --make-tarball="$WORK/base.tgz" \
    "$RELEASE" "$WORK/dl" "$MIRROR" || die "debootstrap --make-tarball failed"
  mv "$WORK/base.tgz" "$TARBALL"
  rm -rf "$WORK/dl"
else
  log "debootstrap tarball cached ($TARBALL)"
fi

log "installing $RELEASE into a directory (~1-2 min under load)"
sb_timed "debootstrap install" logged_to "$WORK/install.log" \
  debootstrap --variant=minbase --include="$pkg_list" --unpack-tarball="$TARBALL" \
  "$RELEASE" "$ROOT" "$MIRROR" || die "debootstrap failed (log above)"

log "configuring the guest"
cat > "$ROOT/etc/fstab" <<'EOF'
/dev/vda  /  ext4  defaults,noatime  0  1
EOF
echo sandbox > "$ROOT/etc/hostname"
cat > "$ROOT/etc/hosts" <<'EOF'
127.0.0.1 localhost sandbox
::1 localhost ip6-localhost ip6-loopback
EOF
# A static address with no default route and no DNS: IMDS (169.254.169.254) fails at once with
# ENETUNREACH, and nothing could leave the guest even without qemu's restrict=on. A oneshot unit
# instead of systemd-networkd: same on every release, and ~10 s faster to start under TCG.
# virtio_net is loaded by the initrd and net.ifnames=0 keeps the kernel's name, so eth0 exists
# before systemd starts: no waiting for udev's coldplug (~30 s under TCG) before sshd.
cat > "$ROOT/etc/systemd/system/sandbox-net.service" <<'EOF'
[Unit]
Description=Sandbox static network (10.0.2.15/24, no route, no DNS)
DefaultDependencies=no
Wants=network.target
After=local-fs.target network-pre.target
Before=network.target network-online.target shutdown.target
Conflicts=shutdown.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/sbin/ip addr replace 10.0.2.15/24 dev eth0
ExecStart=/sbin/ip link set eth0 up

[Install]
WantedBy=multi-user.target
EOF
: > "$ROOT/etc/resolv.conf"
mkdir -p "$ROOT/root/.ssh"
chmod 700 "$ROOT/root/.ssh"
cp "$SB_KEY.pub" "$ROOT/root/.ssh/authorized_keys"
chmod 600 "$ROOT/root/.ssh/authorized_keys"
# Ansible logs in as a non-root user with passwordless sudo, as on EC2's Debian images (user
# admin, sudoers.d entry like cloud-init's); root login stays for the tests' own checks.
chroot "$ROOT" useradd --create-home --shell /bin/bash --groups sudo admin
install -d -m 700 "$ROOT/home/admin/.ssh"
install -m 600 "$SB_KEY.pub" "$ROOT/home/admin/.ssh/authorized_keys"
chroot "$ROOT" chown -R admin:admin /home/admin/.ssh
echo 'admin ALL=(ALL) NOPASSWD:ALL' > "$ROOT/etc/sudoers.d/90-sandbox-admin"
chmod 440 "$ROOT/etc/sudoers.d/90-sandbox-admin"
mkdir -p "$ROOT/etc/ssh/sshd_config.d"
cat > "$ROOT/etc/ssh/sshd_config.d/sandbox.conf" <<'EOF'
PermitRootLogin prohibit-password
PasswordAuthentication no
UseDNS no
EOF
# Short shutdown timeouts: a stuck unit must not stall a reboot test for minutes.
mkdir -p "$ROOT/etc/systemd/system.conf.d"
cat > "$ROOT/etc/systemd/system.conf.d/sandbox.conf" <<'EOF'
[Manager]
DefaultTimeoutStopSec=20s
EOF
chroot "$ROOT" systemctl enable sandbox-net.service serial-getty@ttyS0.service >/dev/null 2>&1
# Timers and jobs that would only burn CPU under TCG; logind serves no one (no libpam-systemd).
chroot "$ROOT" systemctl mask apt-daily.timer apt-daily-upgrade.timer man-db.timer \
  e2scrub_all.timer e2scrub_reap.service fstrim.timer nfs-blkmap.service \
  systemd-logind.service >/dev/null 2>&1 || true
chroot "$ROOT" passwd -l root >/dev/null
# MODULES=most makes a 130 MB initrd that TCG takes ~20 s to unpack; the guest needs only these.
cat > "$ROOT/etc/initramfs-tools/conf.d/sandbox.conf" <<'EOF'
MODULES=list
COMPRESS=gzip
EOF
printf '%s\n' virtio_pci virtio_blk virtio_net ext4 crc32c_generic > "$ROOT/etc/initramfs-tools/modules"
mount -t proc proc "$ROOT/proc"
sb_timed "update-initramfs" logged_to "$WORK/initramfs.log" chroot "$ROOT" update-initramfs -u -k all \
  || die "update-initramfs failed"
umount "$ROOT/proc"
rm -f "$ROOT"/var/cache/apt/archives/*.deb "$ROOT"/var/lib/apt/lists/*_Packages 2>/dev/null || true

mkdir -p "$WORK/out"
# The newest kernel and its initrd (globs sort by name; sort -V orders versions).
cp "$(printf '%s\n' "$ROOT"/boot/vmlinuz-* | sort -V | tail -1)" "$WORK/out/vmlinuz"
cp "$(printf '%s\n' "$ROOT"/boot/initrd.img-* | sort -V | tail -1)" "$WORK/out/initrd.img"
chmod 644 "$WORK/out/vmlinuz" "$WORK/out/initrd.img"
truncate -s "$DISK_SIZE" "$WORK/out/disk.raw"
sb_timed "mkfs.ext4 -d" mkfs.ext4 -q -F -L sandbox-root -d "$ROOT" "$WORK/out/disk.raw" \
  || die "mkfs.ext4 -d failed"
printf 'release=%s\nmirror=%s\npackages=%s\nbuilt=%s\n' "$RELEASE" "$MIRROR" "$pkg_list" \
  "$(date -u +%FT%TZ)" > "$WORK/out/manifest"
touch "$WORK/out/.complete"
mkdir -p "$(dirname "$IMG")"
rm -rf "$IMG"
mv "$WORK/out" "$IMG"
# The cache is shared by every checkout on this machine, whose scripts may differ: only drop
# images nobody has used for a week (sandbox.sh touches .complete on every boot).
find "$SB_CACHE/images" -mindepth 2 -maxdepth 2 -name .complete -mtime +7 -printf '%h\n' 2>/dev/null \
  | while read -r old; do rm -rf "$old"; done
log "image $RELEASE-$img_hash built in $(( SECONDS - T0 ))s ($IMG)"
echo "$IMG"

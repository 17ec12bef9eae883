#!/usr/bin/env bash
# Builds the amazon-efs-utils STAND-IN package (test sandbox only, never shipped to users).
# Usage: build-deb.sh [OUTDIR]   (default OUTDIR: ./build, relative to the current directory, where
# upstream's ./build-deb.sh leaves its .deb). Needs bash, coreutils and dpkg-deb only; works from a
# checkout whose root is this directory. The last line printed is the path of the .deb.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
outdir=${1:-$PWD/build}
version=3.2.0~standin1
lib=/usr/lib/amazon-efs-utils-standin

mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)
root=$(mktemp -d)
chmod 755 "$root"
trap 'rm -rf "$root"' EXIT

install -d -m 755 "$root/DEBIAN" "$root/sbin" "$root/usr/bin" "$root$lib/efs_standin" \
  "$root/etc/amazon/efs" "$root/etc/systemd/system" "$root/var/log/amazon/efs" \
  "$root/usr/share/doc/amazon-efs-utils"
install -m 644 "$here"/src/efs_standin/*.py "$root$lib/efs_standin/"
install -m 644 "$here/dist/efs-utils.conf" "$root/etc/amazon/efs/efs-utils.conf"
install -m 444 "$here/dist/efs-utils.crt" "$root/etc/amazon/efs/efs-utils.crt"
install -m 644 "$here/dist/amazon-efs-mount-watchdog.service" "$root/etc/systemd/system/"
install -m 644 "$here/README.md" "$root/usr/share/doc/amazon-efs-utils/README.standin.md"

# Entry points are generated so the repository holds no executable Python with a non-standard shebang.
entry() {  # entry DEST MODULE
  cat > "$1" <<PY
#!/usr/bin/env python3
# amazon-efs-utils STAND-IN entry point (test sandbox only).
import sys
sys.path.insert(0, "$lib")
from efs_standin import $2
sys.exit($2.main())
PY
  chmod 755 "$1"
}
entry "$root/sbin/mount.efs" mount
entry "$root/usr/bin/amazon-efs-mount-watchdog" watchdog

cat > "$root/DEBIAN/control" <<CTL
Package: amazon-efs-utils
Version: $version
Architecture: all
Section: utils
Priority: optional
Depends: python3, nfs-common, stunnel4 (>= 4.56), openssl (>= 1.0.2), util-linux
Maintainer: aws_efs.transit test sandbox <noreply@localhost>
Description: STAND-IN for amazon-efs-utils 3.2.0 (stunnel mode), test sandbox only
 Reproduces the observable behaviour of amazon-efs-utils 3.2.0 built without
 efs-proxy: mount.efs options, tunnel config, state files, logs and watchdog.
 Not Amazon software. Never install it outside a test sandbox.
CTL
echo /etc/amazon/efs/efs-utils.conf > "$root/DEBIAN/conffiles"

# Like the real package: restart the watchdog only if it is already running; never enable it.
cat > "$root/DEBIAN/postinst" <<'SH'
#!/bin/sh
set -e
if [ "$(cat /proc/1/comm)" = "systemd" ]; then
    systemctl daemon-reload >/dev/null 2>&1 || true
    if systemctl is-active --quiet amazon-efs-mount-watchdog; then
        systemctl try-restart amazon-efs-mount-watchdog.service >/dev/null 2>&1 || true
    fi
fi
SH
cat > "$root/DEBIAN/prerm" <<'SH'
#!/bin/sh
set -e
if [ "$1" = "remove" ] || [ "$1" = "purge" ]; then
    if [ "$(cat /proc/1/comm)" = "systemd" ] && systemctl is-active --quiet amazon-efs-mount-watchdog; then
        systemctl --no-reload disable amazon-efs-mount-watchdog.service >/dev/null 2>&1 || true
        systemctl stop amazon-efs-mount-watchdog.service >/dev/null 2>&1 || true
    fi
fi
SH
cat > "$root/DEBIAN/postrm" <<'SH'
#!/bin/sh
set -e
if [ "$1" = "remove" ] || [ "$1" = "purge" ]; then
    if [ "$(cat /proc/1/comm)" = "systemd" ]; then
        systemctl daemon-reload || true
    fi
fi
if [ "$1" = "purge" ]; then
    rm -f /var/log/amazon/efs/*
fi
SH
chmod 755 "$root/DEBIAN/postinst" "$root/DEBIAN/prerm" "$root/DEBIAN/postrm"

deb="$outdir/amazon-efs-utils_${version}_all.deb"
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1700000000} dpkg-deb --root-owner-group -Zgzip --build "$root" "$deb" >&2
echo "$deb"

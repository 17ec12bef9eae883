#!/usr/bin/env bash
# Builds the amazon-efs-utils STAND-IN package (test sandbox only, never shipped to users).
# Usage: [STANDIN_LAYOUT=deb|rpm] build-deb.sh [OUTDIR]   (default OUTDIR: ./build, relative to the
# current directory, where upstream's ./build-deb.sh leaves its .deb). STANDIN_LAYOUT=rpm installs
# mount.efs and efs-proxy in /sbin as upstream's RPM does (default deb: /sbin/mount.efs,
# /usr/bin/efs-proxy). Needs bash, coreutils and dpkg-deb only; works from a checkout whose root is
# this directory. The last line printed is the path of the .deb.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
outdir=${1:-$PWD/build}
version=3.2.0~standin1
lib=/usr/lib/amazon-efs-utils-standin
layout=${STANDIN_LAYOUT:-deb}
case $layout in
  deb) proxy=/usr/bin/efs-proxy ;;
  rpm) proxy=/sbin/efs-proxy ;;
  *) echo "STANDIN_LAYOUT must be deb or rpm, not '$layout'" >&2; exit 2 ;;
esac
pyhook=/usr/lib/python3/dist-packages

mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)
root=$(mktemp -d)
chmod 755 "$root"
trap 'rm -rf "$root"' EXIT

install -d -m 755 "$root/DEBIAN" "$root/sbin" "$root/usr/bin" "$root$lib/efs_standin" \
  "$root/etc/amazon/efs" "$root/etc/systemd/system" "$root/var/log/amazon/efs" \
  "$root/usr/share/doc/amazon-efs-utils" "$root$pyhook" "$root$(dirname "$proxy")"
install -m 644 "$here"/src/efs_standin/*.py "$root$lib/efs_standin/"
install -m 644 "$here/src/efs_standin_proxy_boot.py" "$root$pyhook/"
echo "import efs_standin_proxy_boot" > "$root$pyhook/efs_standin_proxy.pth"
chmod 644 "$root$pyhook/efs_standin_proxy.pth"
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
# efs-proxy becomes a copy of the guest's python3 in postinst (see src/efs_standin_proxy_boot.py); until
# then the package owns this placeholder at that path.
printf '#!/bin/sh\necho "stand-in efs-proxy: not set up (the package postinst did not run)" >&2\nexit 1\n' > "$root$proxy"
chmod 755 "$root$proxy"

cat > "$root/DEBIAN/control" <<CTL
Package: amazon-efs-utils
Version: $version
Architecture: all
Section: utils
Priority: optional
Depends: python3, nfs-common, stunnel4 (>= 4.56), openssl (>= 1.0.2), util-linux
Maintainer: aws_efs.transit test sandbox <noreply@localhost>
Description: STAND-IN for amazon-efs-utils 3.2.0 ($layout layout), test sandbox only
 Reproduces the observable behaviour of amazon-efs-utils 3.2.0: mount.efs
 options, efs-proxy and stunnel relays, tunnel config, state files, logs and
 watchdog. Files in the $layout layout (efs-proxy at $proxy).
 Not Amazon software. Never install it outside a test sandbox.
CTL
echo /etc/amazon/efs/efs-utils.conf > "$root/DEBIAN/conffiles"

# Like the real package: restart the watchdog only if it is already running; never enable it.
cat > "$root/DEBIAN/postinst" <<SH
#!/bin/sh
set -e
# The relay runs as an interpreter copy named efs-proxy (its exe, comm and cmdline say efs-proxy).
install -m 755 "\$(readlink -f /usr/bin/python3)" $proxy.standin-new
mv -f $proxy.standin-new $proxy
SH
cat >> "$root/DEBIAN/postinst" <<'SH'
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
[ "$layout" = deb ] || deb="$outdir/amazon-efs-utils_${version}_${layout}-layout_all.deb"
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1700000000} dpkg-deb --root-owner-group -Zgzip --build "$root" "$deb" >&2
echo "$deb"

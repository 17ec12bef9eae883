#!/usr/bin/env bash
# Installs what the tests and the sandbox need: Debian packages (when root) and the Python venv.
set -euo pipefail
. "$(dirname "$0")/lib/env.sh"
# Every Debian package a tier, a unit test or the sandbox calls on the controller (checked in a
# fresh debootstrap chroot: docs/DEVELOPMENT.md). stunnel4 + openssl: the stand-in's relay tests and
# role-static's efs_client_info on the controller; python3-venv: the venv below; apt-utils
# (apt-ftparchive) + gnupg: the signed test repository of the repo tier and role-static;
# and the shellcheck package for ansible-test sanity's shellcheck test (without it, it only warns).
DEBS=(python3 python3-venv qemu-system-x86 qemu-utils debootstrap openssh-client openssl stunnel4
  e2fsprogs dpkg-dev git rsync make apt-utils gnupg shellcheck)
missing=()
for p in "${DEBS[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    log "apt-get install ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    die "missing Debian packages (run as root or install them): ${missing[*]}"
  fi
fi
if [ ! -x "$VENV/bin/ansible-playbook" ] || [ "$REPO/tests/requirements.txt" -nt "$VENV/.installed" ]; then
  log "creating $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip 2> >(grep -v "is ignored" >&2)
  "$VENV/bin/pip" install -q -r "$REPO/tests/requirements.txt" 2> >(grep -v "is ignored" >&2)
  touch "$VENV/.installed"
fi
log "ansible $("$VENV/bin/ansible" --version | sed -n 1p)"

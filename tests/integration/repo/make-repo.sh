#!/usr/bin/env bash
# A signed apt repository of the stand-in amazon-efs-utils, for the repo install method's tests.
#   make-repo.sh OUTDIR
# OUTDIR/www/       the repository (dists/stable/main/binary-all, pool/), served as is
# OUTDIR/www/key.asc, key.gpg   its throwaway signing key (armored, binary), made now
# OUTDIR/fingerprint            that key's fingerprint; OUTDIR/wrong.asc and wrong-fingerprint:
#                               another throwaway key, for the refusal tests
# OUTDIR/versions               the package versions it holds, oldest first
# Two versions: the stand-in as built (3.2.0~standin1) and the same files as 3.2.1~standin1.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$1
rm -rf "$out" && mkdir -p "$out/www/pool/main" "$out/www/dists/stable/main/binary-all"
out=$(cd "$out" && pwd)
export GNUPGHOME="$out/gnupg"
export GPG_TTY=
mkdir -m 700 "$GNUPGHOME"

genkey() {  # genkey NAME -> prints the fingerprint
  gpg --batch --quiet --pinentry-mode loopback --passphrase '' \
    --quick-gen-key "aws_efs.transit test repository $1 <noreply@localhost>" ed25519 sign 1d >/dev/null 2>&1
  gpg --batch --with-colons --list-keys "repository $1" | awk -F: '$1=="fpr"{print $10; exit}'
}
fpr=$(genkey signing)
wrong=$(genkey wrong)
echo "$fpr" > "$out/fingerprint"
echo "$wrong" > "$out/wrong-fingerprint"
gpg --batch --armor --export "$fpr" > "$out/www/key.asc"
gpg --batch --export "$fpr" > "$out/www/key.gpg"
gpg --batch --armor --export "$wrong" > "$out/wrong.asc"

deb=$(bash "$here/../../standin/build-deb.sh" "$out/build" 2>/dev/null | tail -1)
cp "$deb" "$out/www/pool/main/"
# The second version: same payload, only the control file's Version differs.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dpkg-deb -R "$deb" "$work/pkg"
sed -i 's/^Version: .*/Version: 3.2.1~standin1/' "$work/pkg/DEBIAN/control"
dpkg-deb --root-owner-group -b "$work/pkg" "$out/www/pool/main/amazon-efs-utils_3.2.1~standin1_all.deb" >/dev/null

cd "$out/www"
dpkg-scanpackages --multiversion pool /dev/null 2>/dev/null > dists/stable/main/binary-all/Packages
gzip -9kn dists/stable/main/binary-all/Packages
apt-ftparchive -o APT::FTPArchive::Release::Suite=stable -o APT::FTPArchive::Release::Codename=stable \
  -o APT::FTPArchive::Release::Architectures=all -o APT::FTPArchive::Release::Components=main \
  -o APT::FTPArchive::Release::Label="aws_efs.transit test" release dists/stable > dists/stable/Release
gpg --batch --quiet --yes --local-user "$fpr" --clearsign -o dists/stable/InRelease dists/stable/Release
gpg --batch --quiet --yes --local-user "$fpr" --armor --detach-sign -o dists/stable/Release.gpg dists/stable/Release
awk '/^Version:/{print $2}' dists/stable/main/binary-all/Packages | sort -V > "$out/versions"
sha256sum < key.gpg | cut -d" " -f1 > "$out/key.sha256"
echo "$out"

#!/usr/bin/env bash
# Issues the sandbox's test PKI with the openssl CLI:
#   pki.sh OUTDIR REGION FS_ID...
# OUTDIR/ca.pem, ca.key              the test CA (what clients trust: efs_client_ca_file)
# OUTDIR/untrusted-ca.pem, .key      a CA nobody trusts
# OUTDIR/<fs>.good.pem, .key         <fs>.efs.<region>.amazonaws.com from the test CA
# OUTDIR/<fs>.untrusted-ca.pem, .key the same name from the untrusted CA
# OUTDIR/<fs>.wrong-name.pem, .key   another host name, from the test CA
# Every certificate is verified after issuing: OpenSSL 1.1 can silently produce an invalid CA
# (duplicated basicConstraints with -addext), so nothing here uses -addext.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
[ $# -ge 3 ] || die "usage: pki.sh OUTDIR REGION FS_ID..."
OUT=$1 REGION=$2
shift 2
rm -rf "$OUT"
mkdir -p "$OUT"
cd "$OUT"

# Validity starts a day back: a guest clock a few seconds behind the host must not see
# "certificate is not yet valid". `openssl ca` can set the start date on OpenSSL 1.1 and 3.x.
START=$(date -u -d '-1 day' +%Y%m%d%H%M%SZ)
END=$(date -u -d '+1 year' +%Y%m%d%H%M%SZ)
cat > ext.cnf <<'EOF'
[req]
distinguished_name = dn
prompt = no
[dn]
[ca_conf]
dir = .
database = $dir/${ENV::CA}.index
new_certs_dir = $dir/issued
serial = $dir/${ENV::CA}.serial
default_md = sha256
policy = any
unique_subject = no
copy_extensions = none
[any]
commonName = supplied
organizationName = optional
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:${ENV::SAN}
EOF
mkdir -p issued
# ext.cnf expands these when loaded, whatever the command: give them values.
export CA=none SAN=none

# sign CA_NAME CSR OUT EXTENSIONS [-selfsign]
sign() {
  local ca=$1 csr=$2 out=$3 ext=$4
  shift 4
  [ -f "$ca.index" ] || : > "$ca.index"
  [ -f "$ca.serial" ] || openssl rand -hex 8 > "$ca.serial"
  CA=$ca openssl ca -batch -notext -config ext.cnf -name ca_conf -startdate "$START" -enddate "$END" \
    -extfile ext.cnf -extensions "$ext" -keyfile "$ca.key" -in "$csr" -out "$out" "$@" 2>"$out.log" \
    || { cat "$out.log" >&2; die "openssl ca failed for $out"; }
  rm -f "$out.log"
}

make_ca() {
  local name=$1 cn=$2
  SAN=unused openssl req -new -newkey rsa:2048 -nodes -sha256 -config ext.cnf \
    -subj "/O=aws_efs.transit sandbox/CN=$cn" -keyout "$name.key" -out "$name.csr" 2>"$name.req.log" || { cat "$name.req.log" >&2; die "openssl req failed"; }
  SAN=unused sign "$name" "$name.csr" "$name.pem" ca -selfsign
  rm -f "$name.csr"
  # A CA must verify against itself; a broken basicConstraints fails here.
  openssl verify -CAfile "$name.pem" "$name.pem" >/dev/null || die "$name.pem is not a valid CA"
}

make_leaf() {
  local out=$1 ca=$2 name=$3
  SAN=$name openssl req -new -newkey rsa:2048 -nodes -sha256 -config ext.cnf \
    -subj "/CN=$name" -keyout "$out.key" -out "$out.csr" 2>"$out.req.log" || { cat "$out.req.log" >&2; die "openssl req failed"; }
  SAN=$name sign "$ca" "$out.csr" "$out.pem" leaf -cert "$ca.pem"
  rm -f "$out.csr"
  openssl verify -CAfile "$ca.pem" -verify_hostname "$name" "$out.pem" >/dev/null \
    || die "$out.pem does not verify against $ca.pem for $name"
}

make_ca ca "sandbox test CA"
make_ca untrusted-ca "untrusted CA"
for fs in "$@"; do
  host="$fs.efs.$REGION.amazonaws.com"
  make_leaf "$fs.good" ca "$host"
  make_leaf "$fs.untrusted-ca" untrusted-ca "$host"
  make_leaf "$fs.wrong-name" ca "wrong-name.efs.$REGION.amazonaws.com"
  # The adversarial certificates must fail the client's check, each for its own reason.
  if openssl verify -CAfile ca.pem "$fs.untrusted-ca.pem" >/dev/null 2>&1; then
    die "$fs.untrusted-ca.pem verifies against the test CA"
  fi
  if openssl verify -CAfile ca.pem -verify_hostname "$host" "$fs.wrong-name.pem" >/dev/null 2>&1; then
    die "$fs.wrong-name.pem passes the host name check for $host"
  fi
done
rm -rf ext.cnf issued ./*.index* ./*.serial* ./*.req.log
chmod 600 ./*.key
log "test PKI for $# file system(s) in $OUT (CA $OUT/ca.pem)"

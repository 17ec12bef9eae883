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

cat > ext.cnf <<'EOF'
[req]
distinguished_name = dn
prompt = no
[dn]
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

make_ca() {
  local name=$1 cn=$2
  SAN=unused openssl req -x509 -new -newkey rsa:2048 -nodes -sha256 -days 365 \
    -config ext.cnf -extensions ca -subj "/O=aws_efs.transit sandbox/CN=$cn" \
    -keyout "$name.key" -out "$name.pem" 2>/dev/null
  # A CA must verify against itself; a broken basicConstraints fails here.
  openssl verify -CAfile "$name.pem" "$name.pem" >/dev/null || die "$name.pem is not a valid CA"
}

make_leaf() {
  local out=$1 ca=$2 name=$3
  SAN=$name openssl req -new -newkey rsa:2048 -nodes -sha256 -config ext.cnf \
    -subj "/CN=$name" -keyout "$out.key" -out "$out.csr" 2>/dev/null
  SAN=$name openssl x509 -req -in "$out.csr" -CA "$ca.pem" -CAkey "$ca.key" -set_serial "0x$(openssl rand -hex 8)" \
    -days 365 -sha256 -extfile ext.cnf -extensions leaf -out "$out.pem" 2>/dev/null
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
rm -f ext.cnf
chmod 600 ./*.key
log "test PKI for $# file system(s) in $OUT (CA $OUT/ca.pem)"

#!/usr/bin/env bash
# `make demo`: the collection end to end on this machine, without AWS. Installs what it needs,
# builds (or reuses) the guest image, starts the EFS API emulator and one Debian guest, runs
# playbooks/site.yml as a user would (the inventory and vars the sandbox writes), then prints the
# compliance summary, where the reports are, and how to look around. The sandbox stays up
# until `make down`.
#   demo.sh            fresh sandbox (EFS_UTILS_DEB=/path/amazon-efs-utils_X_all.deb: a real package)
#   demo.sh --reuse    the sandbox that is already up (the guest tier's converge step)
set -euo pipefail
. "$(dirname "$0")/../lib/env.sh"
TIER=${TIER:-demo}
TIER_START=${TIER_START:-$SECONDS}
SB="$REPO/tests/sandbox/sandbox.sh"
OUT="$BUILD/demo"
reuse=0
case ${1:-} in
  --reuse) reuse=1 ;;
  "") ;;
  *) die "usage: demo.sh [--reuse]" ;;
esac
cd "$REPO"

if [ "$reuse" = 0 ]; then
  bash "$REPO/tests/setup.sh"
  log "starting the sandbox: the EFS API emulator and one Debian guest (qemu; first run builds the image, ~3-5 min)"
  bash "$SB" up --guests 1
fi
[ -f "$BUILD/sandbox/env" ] || die "no sandbox is up (run demo.sh without --reuse)"
# shellcheck disable=SC1091
. "$BUILD/sandbox/env"
REPORT_DIR=$(python -c 'import yaml,sys; print(yaml.safe_load(open(sys.argv[1]))["efs_client_report_dir"])' "$SANDBOX_VARS")
mkdir -p "$OUT"
rm -f "$REPORT_DIR"/*

log "mount helper: $SANDBOX_HELPER"
log "ansible-playbook -i $SANDBOX_INVENTORY -e @$SANDBOX_VARS playbooks/site.yml   (log: $OUT/site.log)"
rc=0
ansible-playbook -i "$SANDBOX_INVENTORY" -e @"$SANDBOX_VARS" playbooks/site.yml 2>&1 | tee "$OUT/site.log" || rc=$?
[ "$rc" = 0 ] || die "playbooks/site.yml failed (exit $rc): see the output above or $OUT/site.log"

# The summary comes from the JSON report the role wrote, not from the play output.
json=$(find "$REPORT_DIR" -maxdepth 1 -name '*.json' -print -quit)
[ -n "$json" ] || die "site.yml wrote no JSON report in $REPORT_DIR"
python - "$json" "$SANDBOX_HELPER" <<'PY' | tee "$OUT/summary.txt"
import json
import sys

report = json.load(open(sys.argv[1]))
counts = report["summary"]
print()
print("==================== compliance summary ====================")
print("mount helper on the guest: %s" % sys.argv[2])
print(
    "fleet: %s - hosts %s/%s compliant, mounts %s/%s proven over TLS"
    % ("COMPLIANT" if report.get("compliant") else "NOT COMPLIANT", counts.get("hosts_compliant"),
       counts.get("hosts_total"), counts.get("mounts_compliant"), counts.get("mounts_total"))
)
policies = [fs["policy"] for fs in report.get("file_systems") or [] if fs["policy"].get("checked")]
for policy in policies:
    print("policy %s: %s%s" % (policy.get("file_system_id"), "enforces TLS" if policy.get("compliant") else "does NOT enforce TLS",
                              "".join("; " + r for r in policy.get("reasons") or [])))
for host in report.get("hosts") or []:
    utils = host.get("efs_utils") or {}
    print("host %s: %s, efs-utils %s, relay %s" % (host.get("host"), "compliant" if host.get("compliant") else "NOT COMPLIANT",
                                               utils.get("version"), host.get("relay")))
    for mount in host.get("mounts") or []:
        print("  %s on %s: %s, %s, relay %s on 127.0.0.1:%s, checkHost %s"
              % (mount.get("file_system_id"), mount.get("path"), "compliant" if mount.get("compliant") else "NOT COMPLIANT",
                 mount.get("kind", "tls" if mount.get("tls") else "?"), mount.get("relay"), mount.get("port"), mount.get("check_host")))
        for reason in mount.get("reasons") or []:
            print("    reason: %s" % reason)
    for problem in host.get("problems") or []:
        print("  problem: %s" % problem)
PY

cat <<EOF

Reports (JSON, Markdown, JUnit XML, SVG chart; written on the controller):
$(find "$REPORT_DIR" -maxdepth 1 -type f ! -name ".*" | sort | sed 's/^/  /')
Playbook output: $OUT/site.log

Look around (the sandbox stays up):
  make ssh                                  # a root shell on guest1; try: findmnt -t nfs4; ss -tnp; cat /etc/fstab
  tests/sandbox/sandbox.sh ssh guest1 'grep -h checkHost /var/run/efs/stunnel-config.*'
  . .build/sandbox/env && ansible-playbook -i \$SANDBOX_INVENTORY -e @\$SANDBOX_VARS playbooks/audit.yml
  make down                                 # stops the guest and the emulator
EOF
# The demo's claim, checked: a demo that prints NOT COMPLIANT is a failed demo.
python -c 'import json,sys; r=json.load(open(sys.argv[1])); c=r["summary"]; sys.exit(0 if r.get("compliant") and c.get("mounts_compliant") == c.get("mounts_total") != 0 else 1)' "$json" \
  || die "the sandbox is not compliant after site.yml (summary above)"

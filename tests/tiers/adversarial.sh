#!/usr/bin/env bash
# The cleanup traps expand now on purpose: each undoes its own case.
# shellcheck disable=SC2064
# The adversarial tier: issue 5's attacks and faults against a real guest, each case staged in
# the guest, attacked with the collection's modules/playbooks, and checked from outside over ssh
# (findmnt, ss, /srv/efs, fstab sha256, /var/run/efs). See docs/ADVERSARIAL.md.
# Attacks the guest of the sandbox the guest tier left running that has the wanted relay mode
# (guest1, efs-proxy/deb, there); without one it starts one guest in that mode and converges
# site.yml. ADV_MODE=RELAY/LAYOUT picks the mode (default: the first of SANDBOX_MODES, else
# efs-proxy/deb, the relay of efs-utils 2.x/3.x). ADV_CASES="7 4" runs only those cases (default:
# all, in the order below); ADV_RESTORE=0 skips the final converge; ADV_MOUNT_TIMEOUT bounds the
# failing mounts of cases 1 and 2 (default 30 s).
# Both relays: after the full pass in the first mode, a second pass runs the cases whose outcome
# depends on the relay (ADV_SECOND_CASES) in the other relay's mode of SANDBOX_MODES (stunnel/rpm
# in the default sandbox), unless ADV_MODE or ADV_CASES was given or ADV_SECOND_CASES is empty.
set -euo pipefail
. "$(dirname "$0")/../lib/env.sh"
. "$REPO/tests/lib/sandbox_session.sh"
cd "$REPO"

ADV=tests/integration/adversarial
SECOND_PASS=0
[ -n "${ADV_MODE:-}${ADV_CASES:-}" ] || SECOND_PASS=1
ADV_MODE=${ADV_MODE:-${SANDBOX_MODES:-efs-proxy/deb}}
ADV_MODE=${ADV_MODE%% *}
[[ $ADV_MODE == */* ]] || ADV_MODE=$ADV_MODE/deb
[[ $ADV_MODE =~ ^(efs-proxy|stunnel)/(deb|rpm)$ ]] || die "ADV_MODE=$ADV_MODE: want efs-proxy|stunnel / deb|rpm"
RELAY=${ADV_MODE%/*} LAYOUT=${ADV_MODE#*/}
# Failing TLS mounts retry for minutes; efs_tls_mount stops the helper after this many seconds.
MOUNT_TIMEOUT=${ADV_MOUNT_TIMEOUT:-30}
FAILED=()
CASE_RC=0

# tests/sandbox/lib.sh: sb_ssh shares one SSH connection per guest (a handshake costs seconds
# under TCG), sb_ssh_close ends it.
. "$REPO/tests/sandbox/lib.sh"
g() { sb_ssh "$H" "$@"; }
# The relay port the kernel talks to for mount point $1 (empty when not mounted).
mnt_port() { g "findmnt -rn -M $1 -o OPTIONS 2>/dev/null | tr ',' '\\n' | sed -n 's/^port=//p'" || true; }
fstab_sum() { g sha256sum /etc/fstab | cut -d' ' -f1; }
# The relay of the mode, as ss and pgrep name it (the process name: stunnel, efs-proxy).
relay_name() { printf '%s' "$RELAY"; }
# Where the layout installs the relay binary (the stand-in's .deb vs RPM layout; stunnel is the distribution's).
relay_bin() {
  case $RELAY/$LAYOUT in
    stunnel/*) echo /usr/bin/stunnel ;; efs-proxy/rpm) echo /sbin/efs-proxy ;; *) echo /usr/bin/efs-proxy ;;
  esac
}
# Does the relay's LISTEN socket on port $1 belong to a process of the mode's relay?
relay_listens() { g "ss -Hltnp 'sport = :$1'" | grep -q "\"$(relay_name)\""; }
# The relay holds an established connection to a mount target's 2049.
relay_connected() { g "ss -Htnp state established '( dport = :2049 )'" | grep -q "\"$(relay_name)\""; }
# relay_conf_checks PORT LABEL: the relay on PORT verifies the target. Both relays read the
# helper's stunnel-style config: verify = 2 and checkHost = <fs>.efs.<region>.<suffix>. stunnel
# fails closed on a CA file without certificates; efs-proxy (src/proxy/src/tls.rs) drops "# "
# lines and turns verification off when nothing is left, and carries plain NFS without --tls:
# for it also a certificate in its CAfile and --tls on the live process.
relay_conf_checks() {
  local port=$1 label=$2 conf="$PLOGS/adv-$2.$1.conf" pid ca
  g "cat /var/run/efs/stunnel-config.*.$port" > "$conf"
  grep -qx 'verify = 2' "$conf" || die "$label: the relay on $port has no 'verify = 2'"
  grep -q "^checkHost = $FS\.efs\." "$conf" || die "$label: the relay on $port has no checkHost for $FS"
  [ "$RELAY" = efs-proxy ] || return 0
  ca=$(sed -n 's/^CAfile = //p' "$conf" | tail -1)
  [ -n "$ca" ] || die "$label: no CAfile for efs-proxy on $port (it would accept any certificate)"
  g "grep -qx -- '-----BEGIN CERTIFICATE-----' $ca" || die "$label: $ca holds no certificate: efs-proxy would not verify"
  pid=$(g "cat /var/run/efs/fs-*.$port" | python -c 'import json,sys; print(json.load(sys.stdin)["pid"])')
  g "tr '\\0' ' ' < /proc/$pid/cmdline" | grep -q -- ' --tls' || die "$label: efs-proxy pid $pid on $port runs without --tls"
}
# site.yml / audit.yml on the attacked guest only (and the controller's plays): other guests of the sandbox
# are not this tier's.
gplay() { play "$@" --limit "$H,localhost"; }
# Every NFS mount in the guest, one "TARGET SOURCE OPTIONS" line each.
nfs_mounts() { g "findmnt -rn -t nfs,nfs4 -o TARGET,SOURCE,OPTIONS || true"; }
# play with the sandbox's inventory/vars plus the case's file system and mount point.
# Task timings (profile_tasks) go to the log: what each step of a case costs.
aplay() {
  local name=$1 book=$2; shift 2
  ANSIBLE_CALLBACKS_ENABLED="$ANSIBLE_CALLBACKS_ENABLED,ansible.posix.profile_tasks" \
    play "adv-$name" "$ADV/$book" -e "fs_id=$FS" -e "adv_host=$H" "$@"
}

# Every mount of the file system goes first: NFSv4.1 client sharing would otherwise let a new
# mount ride on an existing (TLS) client and "succeed" without its own tunnel.
unmount_all() {
  g "umount -a -t nfs4,nfs; ! findmnt -rn -t nfs,nfs4 >/dev/null" || die "NFS mounts remain: $(nfs_mounts)"
}
# Drops fstab lines whose mount point is $1, under the module's lock (staging, not the test).
drop_fstab_lines() {
  g "flock /etc/.fstab.efs.lock python3 -c '
import sys, os
p = \"/etc/fstab\"; data = open(p, \"rb\").read().decode(\"utf-8\", \"surrogateescape\")
keep = [l for l in data.splitlines(True) if not (l.split() and not l.lstrip().startswith(\"#\") and len(l.split()) > 1 and l.split()[1] == sys.argv[1])]
open(p + \".adv\", \"wb\").write(\"\".join(keep).encode(\"utf-8\", \"surrogateescape\")); os.rename(p + \".adv\", p)
' $1"
}
# Relays and state files a killed helper leaves behind ('~' state files the watchdog never
# reads, configs and '+' directories whose names reserve a port); prints what it removed.
cleanup_leftovers() { g "python3 /root/adv/leftovers.py clean"; }
# fstab entries (not comments) whose mount point is $1.
fstab_lines_for() { g "awk -v p='$1' '\$1 !~ /^#/ && \$2 == p' /etc/fstab"; }
set_target() { g "/usr/local/sbin/sandbox-target $FS $1" >&2; }
mount_log_lines() { g "cat /var/log/amazon/efs/mount.log 2>/dev/null | wc -l"; }

# --- baseline ---------------------------------------------------------------------------------
baseline() {
  local port
  g "mkdir -p /root/adv"
  tar -C "$ADV/guest" -cf - . | g "tar -C /root/adv -xf -"
  # Compliant already (the guest tier ran) -> nothing to do; otherwise a clean slate and converge.
  port=$(mnt_port "$MNT")
  if [ -n "$port" ] && g "test -x /sbin/mount.efs" && relay_listens "$port"; then
    log "guest already converged (mount.efs installed, $MNT on a $(relay_name) relay port)"
  else
    set_target good >/dev/null
    g "umount -a -t nfs4,nfs; python3 /root/adv/leftovers.py clean" >&2
    gplay adv-converge playbooks/site.yml
    python tests/lib/recap.py "$PLOGS/adv-converge.log" failed=0 unreachable=0
  fi
  # The tier ends by putting this back (and removing it); kept when a run stopped before that.
  g "[ -f /root/adv/fstab.orig ] || cp -p /etc/fstab /root/adv/fstab.orig"
}

# --- 7: injection -------------------------------------------------------------------------------
case_injection() {
  local sum before_m before_s before_l
  sum=$(fstab_sum); before_m=$(nfs_mounts); before_l=$(mount_log_lines)
  before_s=$(g "ls -A /var/run/efs")
  aplay injection injection.yml -e adv_path=/mnt/adv-inject
  [ "$(fstab_sum)" = "$sum" ] || die "fstab changed"
  [ "$(nfs_mounts)" = "$before_m" ] || die "the mount table changed"
  [ "$(g "ls -A /var/run/efs")" = "$before_s" ] || die "/var/run/efs changed: the helper ran"
  [ "$(mount_log_lines)" = "$before_l" ] || die "mount.log grew: the helper ran"
  g "! ls -d /mnt/adv-inject '/mnt/a b' /mnt/x* /mnt/relative 2>/dev/null" >/dev/null || die "a mount point was created"
  log "7: $(grep -o '"msg": "[0-9]* hostile values refused[^"]*"' "$PLOGS/adv-injection.log" | head -1)"
}

# --- 9: policy lockout (the rest of item 9 is in the policy tier) --------------------------------
case_policy_lockout() {
  local before after
  before=$(AWS_ENDPOINT_URL=$EFS_EMULATOR_URL python tests/lib/emulator_query.py policy "$FS")
  aplay policy-lockout policy_lockout.yml
  after=$(AWS_ENDPOINT_URL=$EFS_EMULATOR_URL python tests/lib/emulator_query.py policy "$FS")
  [ "$before" = "$after" ] || die "the stored policy changed: $before -> $after"
  [ "$after" != none ] || die "no policy stored (site.yml should have written one)"
}

# --- 4: relay killed ----------------------------------------------------------------------------
case_relay_kill() {
  local token="kill-$RANDOM$RANDOM" since
  since=$(g date +%s)
  aplay relay-kill relay_kill.yml -e "mnt=$MNT" -e "adv_token=$token"
  # The watchdog (not something else) restarted it.
  g "grep -h 'is not running' /var/log/amazon/efs/mount-watchdog.log* | tail -1" | grep -q . \
    || die "the watchdog never noticed the dead relay"
  g "findmnt -rn -M $MNT -o OPTIONS" | tr ',' '\n' | grep -q '^port=2' || die "$MNT lost its relay port"
}

# --- 3: plain NFS on the path --------------------------------------------------------------------
case_plain_nfs() {
  local token="plain-$RANDOM$RANDOM" rc=0 report port
  unmount_all
  drop_fstab_lines "$MNT"
  g "mount -t nfs4 -o vers=4.1,port=12049 127.0.0.1:/ $MNT && echo $token > $MNT/adv-plain && sync"
  g "cat /srv/efs/adv-plain" | grep -qx "$token" || die "the plain mount does not reach the export"
  # The compliance gate must fail on it.
  gplay adv-plain-audit playbooks/audit.yml || rc=$?
  [ "$rc" != 0 ] || die "playbooks/audit.yml passed with plain NFS on $MNT"
  log "3: playbooks/audit.yml failed, as it must (rc=$rc)"
  report=$(find "$BUILD/sandbox/report" -maxdepth 1 -name '*.json' -print -quit)
  python - "$report" "$MNT" <<'PY' || die "the audit report does not flag $MNT"
import json, sys
rep = json.load(open(sys.argv[1]))
mounts = [m for h in rep["hosts"] for m in (h.get("mounts") or []) if m.get("path") == sys.argv[2]]
assert mounts and not mounts[0]["compliant"] and not mounts[0]["tls"], mounts
assert not rep["compliant"], rep
print("    report: %s not compliant: %s" % (sys.argv[2], mounts[0]["reasons"][:2]), file=sys.stderr)
PY
  aplay plain-nfs plain_nfs.yml -e "mnt=$MNT"
  port=$(mnt_port "$MNT")
  if [ -z "$port" ] || [ "$port" = 12049 ]; then die "$MNT is not on a relay port after remediation (port=$port)"; fi
  relay_listens "$port" || die "nothing but $(relay_name) may listen on $port"
  g "cat $MNT/adv-plain" | grep -qx "$token" || die "data written through the plain mount is gone"
  [ "$(fstab_lines_for "$MNT" | wc -l)" = 1 ] || die "fstab needs exactly one line for $MNT"
}

# --- 1 and 2: a target the client must not trust -------------------------------------------------
CONF=/etc/amazon/efs/efs-utils.conf
# The relay logs why it refused the target only with stunnel_debug_enabled (the module quotes it).
relay_debug_on() {
  g "cp -p $CONF /root/adv/efs-utils.conf.orig && sed -i 's/^stunnel_debug_enabled *=.*/stunnel_debug_enabled = true/' $CONF && grep -qx 'stunnel_debug_enabled = true' $CONF" \
    || die "cannot turn stunnel_debug_enabled on in $CONF"
}
relay_debug_restore() { g "[ ! -f /root/adv/efs-utils.conf.orig ] || mv /root/adv/efs-utils.conf.orig $CONF"; }
# An earlier attempt's '~' leftover (a '~' state file naming a running process): the module cleans only
# what its own attempt left, so this one must survive it. Prints the state file's name.
plant_leftover() {
  local base tls_arg=""
  [ "$RELAY" = stunnel ] || tls_arg=', "--tls"'
  base="$FS.$(printf '%s' "${MNT#/}" | tr / .).29999"
  g "nohup sleep 600 </dev/null >/dev/null 2>&1 & echo \$! > /root/adv/planted.pid; printf '{\"pid\": %s, \"cmd\": [\"%s\", \"/var/run/efs/stunnel-config.%s\"%s]}' \$(cat /root/adv/planted.pid) '$(relay_bin)' '$base' '$tls_arg' > '/var/run/efs/~$base'"
  printf '~%s' "$base"
}
unplant_leftover() { g "rm -f '/var/run/efs/$1'; kill \$(cat /root/adv/planted.pid) 2>/dev/null; rm -f /root/adv/planted.pid; true"; }
tls_refused() {
  local mode=$1 refusal=$2 sum lines since port writer_line="" planted left
  unmount_all
  drop_fstab_lines "$MNT"
  sum=$(fstab_sum); lines=$(mount_log_lines); since=$(g date +%s)
  planted=$(plant_leftover)
  trap "set_target good >/dev/null 2>&1 || true; relay_debug_restore >/dev/null 2>&1 || true; unplant_leftover '$planted' >/dev/null 2>&1 || true" EXIT
  set_target "$mode"
  relay_debug_on
  if [ "$mode" = wrong-name ]; then
    # A second writer appends under the module's lock while the doomed mount runs: rolling back
    # our line must keep it.
    writer_line="# adv-writer $RANDOM$RANDOM"
    g "nohup sh /root/adv/fstab-writer.sh after-line $MNT '$writer_line' </dev/null >/dev/null 2>&1 &"
  fi
  aplay "tls-$mode" tls_refused.yml -e "mnt=$MNT" -e "adv_mount_timeout=$MOUNT_TIMEOUT" -e "adv_refusal=$refusal"
  relay_debug_restore
  # Only the module's own attempt was cleaned: the earlier leftover and its process are still there.
  g "test -f '/var/run/efs/$planted' && kill -0 \$(cat /root/adv/planted.pid)" \
    || die "the module removed an earlier attempt's leftover ($planted) or stopped its process"
  unplant_leftover "$planted"
  # ... and nothing of its own attempt is left: no '~' state file (it would keep the port reserved).
  left=$(g "python3 /root/adv/leftovers.py list")
  if [ -n "$left" ]; then cleanup_leftovers >&2; die "the module left the killed helper's leftovers: $left"; fi
  # No fallback: nothing NFS anywhere (every mount of the fs was unmounted above), and every
  # mount.nfs4 the helper ran since went to the local relay, never to the target directly.
  [ -z "$(nfs_mounts)" ] || die "something is mounted after a refused TLS mount: $(nfs_mounts)"
  g "tail -n +$(( lines + 1 )) /var/log/amazon/efs/mount.log" > "$PLOGS/adv-tls-$mode.mount.log"
  grep -q 'mount.nfs4' "$PLOGS/adv-tls-$mode.mount.log" || die "the helper never ran mount.nfs4"
  ! grep 'Executing.*mount.nfs4' "$PLOGS/adv-tls-$mode.mount.log" | grep -qv 'mount.nfs4 127\.0\.0\.1:' \
    || die "the helper ran mount.nfs4 against something other than the local relay"
  ! grep -q 'Successfully mounted' "$PLOGS/adv-tls-$mode.mount.log" || die "mount.log says it mounted"
  # Why it failed, seen from the target: the client aborted the TLS handshake.
  g "journalctl -u sandbox-target@$FS --since @$since --no-pager -o cat" > "$PLOGS/adv-tls-$mode.target.log"
  grep -q 'accepted connection' "$PLOGS/adv-tls-$mode.target.log" || die "the target accepted no connection from the relay"
  # Whatever the handshake's end, no byte of NFS went on from the target to nfsd.
  ! grep -Eq '[1-9][0-9]* byte\(s\) sent to socket' "$PLOGS/adv-tls-$mode.target.log" \
    || die "NFS data reached nfsd through a refused TLS session (see $PLOGS/adv-tls-$mode.target.log)"
  if [ "$RELAY" = stunnel ]; then
    # stunnel (OpenSSL) sends the alert: untrusted-ca "unknown ca"; wrong-name: the chain is
    # trusted, so another one (the checkHost failure).
    grep -Eiq 'alert' "$PLOGS/adv-tls-$mode.target.log" \
      || die "the target saw no TLS alert from stunnel (see $PLOGS/adv-tls-$mode.target.log)"
    if [ "$mode" = untrusted-ca ]; then
      grep -qi 'alert unknown ca' "$PLOGS/adv-tls-$mode.target.log" || die "stunnel did not reject the CA"
    else
      ! grep -qi 'alert unknown ca' "$PLOGS/adv-tls-$mode.target.log" || die "the wrong-name certificate's CA was not trusted"
    fi
  fi
  # efs-proxy (s2n-tls; the stand-in's asyncio TLS alike) may close without an alert: the target
  # sees the handshake end early, and why is in the relay's log, which the module quoted
  # (tls_refused.yml checks the refusal it names).
  log "target: $(grep -Ei 'alert|certificate|SSL_accept' "$PLOGS/adv-tls-$mode.target.log" | tail -1)"
  if [ -n "$writer_line" ]; then
    g "grep -aqxF '$writer_line' /etc/fstab" || die "the other writer's line was lost by the rollback"
    g "grep -avxF '$writer_line' /etc/fstab | sha256sum" | grep -q "^$sum " \
      || die "fstab differs from before by more than the other writer's line"
    g "flock /etc/.fstab.efs.lock sed -i '/^# adv-writer /d' /etc/fstab"
  fi
  [ "$(fstab_sum)" = "$sum" ] || die "fstab differs from before"
  set_target good
  trap - EXIT
}
case_untrusted_ca() { tls_refused untrusted-ca "certificate not trusted"; }
case_wrong_name() { tls_refused wrong-name "host name does not match"; }

# --- 6: hostile fstab + a concurrent writer ------------------------------------------------------
case_hostile_fstab() {
  local d="$PLOGS/adv-fstab"
  mkdir -p "$d"
  unmount_all
  g "cat /root/adv/fstab.orig" > "$d/base"
  python "$ADV/hostile_fstab.py" make "$d/base" "$FS" "$MNT" > "$d/hostile"
  g "flock /etc/.fstab.efs.lock sh -c 'cat > /etc/fstab.adv && mv /etc/fstab.adv /etc/fstab'" < "$d/hostile"
  cmp -s <(g "cat /etc/fstab") "$d/hostile" || die "could not stage the hostile fstab"
  # The second writer appends under the module's lock until told to stop (guest/fstab-writer.sh).
  g "rm -f /root/adv/writer.*; nohup sh /root/adv/fstab-writer.sh loop /root/adv/writer.stop /root/adv/writer.log $MNT </dev/null >/dev/null 2>&1 &"
  aplay hostile-fstab mount.yml -e "mnt=$MNT"
  g "touch /root/adv/writer.stop; sleep 1; cat /root/adv/writer.log" > "$d/writer.log"
  g "cat /etc/fstab" > "$d/result"
  python "$ADV/hostile_fstab.py" check "$d/hostile" "$d/result" "$d/writer.log" "$FS" "$MNT"
  # libmount (mount, systemd's fstab generator) must still read it, and see our mount point once.
  g "findmnt -s -rn -o TARGET 2>&1" > "$d/targets"
  ! grep -qi 'parse error' "$d/targets" || die "libmount cannot parse the result: $(cat "$d/targets")"
  [ "$(grep -cx "$MNT" "$d/targets")" = 1 ] || die "libmount sees $MNT $(grep -cx "$MNT" "$d/targets") times"
  # The guest's own fstab again (it has our line, and /mnt/efs stays mounted): the later cases
  # do not inherit the hostile entries (a duplicate mount point fails systemd's fstab generator).
  g "flock /etc/.fstab.efs.lock cp /root/adv/fstab.orig /etc/fstab"
}

# --- 5: reboot with two TLS mounts (one of a subpath) ---------------------------------------------
SUB_MNT=/mnt/efs-sub
case_reboot() {
  local token="reboot-$RANDOM$RANDOM" rc=0 p port mounts grace up
  g "mkdir -p /srv/efs/adv-sub"
  g "findmnt -rn -M $MNT >/dev/null" || aplay reboot-mount1 mount.yml -e "mnt=$MNT"
  aplay reboot-mount2 mount.yml -e "mnt=$SUB_MNT" -e adv_subpath=/adv-sub
  g "echo $token > $MNT/adv-reboot && echo $token > $SUB_MNT/adv-reboot-sub && sync"
  bash "$SB" reboot "$H"
  # SSH answers before remote-fs.target is reached: wait for the boot to finish.
  g "timeout 300 systemctl is-system-running --wait" >/dev/null || true
  mounts="[{\"file_system_id\": \"$FS\", \"path\": \"$MNT\"}, {\"file_system_id\": \"$FS\", \"path\": \"$SUB_MNT\", \"subpath\": \"/adv-sub\"}]"
  gplay adv-reboot-audit playbooks/audit.yml -e "{\"efs_client_mounts\": $mounts}" || rc=$?
  [ "$rc" = 0 ] || die "audit.yml after the reboot: not compliant (rc=$rc)"
  for p in "$MNT" "$SUB_MNT"; do
    g "findmnt -rn -M $p -o FSTYPE,SOURCE" | grep -Eq '^nfs4 127\.0\.0\.1:/' || die "$p is not an nfs4 mount of 127.0.0.1 after the reboot"
    port=$(mnt_port "$p")
    relay_listens "$port" || die "$p: port $port is not a $(relay_name) listener"
    relay_conf_checks "$port" reboot
  done
  g "cat $MNT/adv-reboot $SUB_MNT/adv-reboot-sub" | grep -cx "$token" | grep -qx 2 || die "data written before the reboot is gone"
  g "cat /srv/efs/adv-sub/adv-reboot-sub" | grep -qx "$token" || die "the subpath mount does not map to /adv-sub"
  relay_connected || die "no $(relay_name) connection to the target"
  # One NFS client carries both mounts. Started together at boot, the later mount's relay could win
  # and /proc/mounts name the other port: the watchdog then stops the carrying relay after its grace
  # period and every I/O hangs. The module orders the second fstab line after the first.
  fstab_lines_for "$SUB_MNT" | grep -Eq "x-systemd.requires-mounts-for=${MNT}[, ]" \
    || die "the second mount of $FS is not ordered after $MNT at boot: $(fstab_lines_for "$SUB_MNT")"
  grace=$(g "python3 -c \"import configparser as c; p=c.ConfigParser(); p.read('/etc/amazon/efs/efs-utils.conf'); print(p.getint('mount-watchdog', 'unmount_grace_period_sec', fallback=30))\"")
  up=$(g "cut -d. -f1 /proc/uptime")
  [ "$up" -ge $(( grace + 15 )) ] || sleep $(( grace + 15 - up ))
  for p in "$MNT" "$SUB_MNT"; do
    g "timeout -s KILL 10 stat -f $p >/dev/null" || die "$p hangs $(( grace + 15 ))s after the boot (relay stopped by the watchdog?)"
  done
}

# --- 8: state=absent --------------------------------------------------------------------------------
case_absent() {
  local grace ports p left t0
  grace=$(g "python3 -c \"import configparser as c; p=c.ConfigParser(); p.read('/etc/amazon/efs/efs-utils.conf'); print(p.getint('mount-watchdog', 'unmount_grace_period_sec', fallback=30))\"")
  ports=$(g "findmnt -rn -t nfs4 -o OPTIONS" | tr ',' '\n' | sed -n 's/^port=//p' | sort -u)
  ports="$ports $(g "ls /var/run/efs" | sed -n 's/^fs-.*\.\([0-9]*\)$/\1/p')"
  ports=$(printf '%s' "$ports" | tr ' ' '\n' | sed '/^$/d' | sort -u | tr '\n' ' ')
  [ -n "${ports// /}" ] || die "no relay ports to watch"
  log "8: grace period ${grace}s, relay ports: $ports"
  # absent.yml removes the mount that rides on the other's NFS client and relay first.
  aplay absent absent.yml -e "{\"adv_mounts\": [{\"path\": \"$SUB_MNT\", \"subpath\": \"/adv-sub\"}, {\"path\": \"$MNT\"}]}"
  [ -z "$(nfs_mounts)" ] || die "still mounted: $(nfs_mounts)"
  [ -z "$(fstab_lines_for "$MNT")$(fstab_lines_for "$SUB_MNT")" ] || die "fstab still has a line"
  t0=$SECONDS
  # The watchdog counts a few polls, then waits out the grace period.
  while :; do
    left=$(g "ls -A /var/run/efs | grep -E '^(~?fs-|stunnel-config[.])'; for p in $ports; do ss -Hltn \"sport = :\$p\" | sed \"s/^/listening: /\"; done; pgrep -a $(relay_name) | grep stunnel-config || true")
    [ -z "$left" ] && break
    [ $(( SECONDS - t0 )) -lt $(( grace + 60 )) ] || die "after $(( SECONDS - t0 ))s: $left"
    sleep 3
  done
  log "8: relays, state files, configs and ports gone $(( SECONDS - t0 ))s after the unmount"
  for p in $ports; do g "! ls /var/run/efs/*.$p /var/run/efs/*.$p+ 2>/dev/null" >/dev/null || die "port $p still reserved"; done
}

# --- 10-13: issue 11, the proof against a local adversary and a sick relay -------------------------
# Each starts from, and ends with, a proven TLS mount at $MNT (audit_expect.yml asserts both).
audit_expect() {  # audit_expect LABEL COMPLIANT [JSON extra vars]
  aplay "$1" audit_expect.yml -e "mnt=$MNT" -e "adv_compliant=$2" ${3:+-e "$3"}
}
relay_state_name() {  # the state file of the relay on $MNT's port
  local port; port=$(mnt_port "$MNT")
  [ -n "$port" ] || die "$MNT is not mounted"
  g "cd /var/run/efs && ls fs-*.$port | head -1"
}
relay_state_pid() { g "python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[\"pid\"])' /var/run/efs/$1"; }

case_cover_parent() {
  local parent=${MNT%/*}
  [ -n "$parent" ] || die "$MNT has no parent directory to cover"
  trap "g 'umount $parent' >/dev/null 2>&1 || true" EXIT
  g "mount -t tmpfs adv-cover $parent"
  # From outside: the path now reaches the tmpfs (where it does not exist), while mountinfo still
  # lists the TLS mount. Not findmnt -T: for a path that no longer exists it falls back to matching
  # the text of mountinfo, which names the hidden mount.
  g "stat -f -c %T $MNT 2>/dev/null || echo gone" | grep -qxE 'tmpfs|gone' || die "$MNT is not hidden by the tmpfs"
  g "grep -q ' $MNT .* - nfs4 ' /proc/self/mountinfo" || die "mountinfo no longer lists the TLS mount"
  audit_expect adv-cover-parent false '{"adv_failing": ["path_reaches_mount", "path_device"]}'
  g "umount $parent"; trap - EXIT
  audit_expect adv-cover-parent-after true
}

case_formfeed_bind() {
  # A bind mount from a directory named "adv-a<form feed>b", stacked on the TLS mount.
  trap "g 'findmnt -rn -M $MNT -o FSTYPE | grep -qx nfs4 || umount $MNT' >/dev/null 2>&1 || true" EXIT
  g "python3 -c 'import os, subprocess, sys; d = \"/var/tmp/adv-a\\x0cb\"; os.makedirs(d, exist_ok=True); subprocess.check_call([\"mount\", \"--bind\", d, sys.argv[1]])' $MNT"
  g "python3 -c 'import sys; sys.exit(0 if \"/var/tmp/adv-a\\x0cb \" in open(\"/proc/self/mountinfo\").read() else 1)'" \
    || die "mountinfo does not show the form feed source"
  g "findmnt -rn -M $MNT -o FSTYPE | tail -1" | grep -qvx nfs4 || die "the bind mount is not on top"
  audit_expect adv-formfeed-bind false '{"adv_failing": ["fstype"]}'
  g "umount $MNT"; trap - EXIT
  g "findmnt -rn -M $MNT -o FSTYPE" | grep -qx nfs4 || die "the TLS mount is gone after removing the bind mount"
  audit_expect adv-formfeed-bind-after true
}

case_impostor() {
  local name pid port connect imp token="imp-$RANDOM$RANDOM" i argv passing
  name=$(relay_state_name); pid=$(relay_state_pid "$name"); port=${name##*.}
  connect=$(g "sed -n 's/^connect = //p' /var/run/efs/stunnel-config.$name")
  [ -n "$connect" ] || die "no connect line for $name"
  # The impostor copies the real relay's command line: "/usr/bin/stunnel <config>", or
  # "<efs-proxy> <config> --tls --no-direct-s3-read" (so relay_live_tls is fooled too).
  argv=$(g "tr '\\0' ' ' < /proc/$pid/cmdline"); argv=${argv% }
  [[ $argv == *"/stunnel-config.$name"* ]] || die "relay pid $pid runs '$argv', not the relay of $name"
  trap "g 'kill \$(cat /tmp/adv-imp/pid); systemctl start amazon-efs-mount-watchdog' >/dev/null 2>&1 || true; set_target good >/dev/null 2>&1 || true" EXIT
  # The target serves plain NFS on its port too, as EFS does on 2049.
  set_target plain >/dev/null
  g "systemctl stop amazon-efs-mount-watchdog && kill -9 $pid"
  g "install -d -m 1777 /tmp/adv-imp && install -m 644 /root/adv/impostor.py /tmp/adv-imp/ && rm -f /tmp/adv-imp/pid*"
  # nobody takes the dead relay's port and names itself like the relay (cmdline only).
  g "nohup setpriv --reuid=nobody --regid=nogroup --clear-groups python3 /tmp/adv-imp/impostor.py $port $connect /tmp/adv-imp/pid $argv PAD$(printf 'x%.0s' $(seq 160)) </dev/null >/tmp/adv-imp/out 2>&1 &"
  for i in $(seq 20); do g "test -s /tmp/adv-imp/pid" && break; sleep 0.5; done
  imp=$(g "cat /tmp/adv-imp/pid") || die "the impostor did not start: $(g 'cat /tmp/adv-imp/out')"
  # What pid reuse or the watchdog's restart race leaves: the state file names the impostor.
  g "python3 -c 'import json,os,sys; p=sys.argv[1]; d=json.load(open(p)); d[\"pid\"]=int(sys.argv[2]); open(p+\".adv\",\"w\").write(json.dumps(d)); os.rename(p+\".adv\",p)' /var/run/efs/$name $imp"
  g "tr '\\0' ' ' < /proc/$imp/cmdline" | grep -qF "$argv" || die "the impostor's cmdline is not the relay's ($argv)"
  # The kernel's NFS traffic now goes through it, in plain text, to the target.
  g "timeout -s KILL 90 sh -c 'echo $token > $MNT/adv-impostor && sync $MNT/adv-impostor' && cat /srv/efs/adv-impostor" | grep -qx "$token" \
    || die "no I/O through the impostor"
  g "cat /tmp/adv-imp/pid.log" | grep -Eq '^up [1-9]' || die "the impostor forwarded nothing"
  g "ss -Htnp state established '( dport = :2049 )'" | grep -q "pid=$imp," || die "the impostor holds no connection to the target"
  log "12: impostor pid $imp (nobody) carries $MNT in plain text: $(g 'cat /tmp/adv-imp/pid.log')"
  # efs-proxy: the copied --tls also fools relay_live_tls; owner and binary still give it away.
  passing='"relay_alive", "relay_listens"'
  [ "$RELAY" = stunnel ] || passing+=', "relay_live_tls"'
  audit_expect adv-impostor false "{\"adv_failing\": [\"relay_owner\", \"relay_binary\"], \"adv_passing\": [$passing]}"
  g "kill $imp"; set_target good >/dev/null
  g "systemctl start amazon-efs-mount-watchdog"; trap - EXIT
  audit_expect adv-impostor-healed true '{"adv_retries": 30}'
}

case_sigstop() {
  local name pid t0 rc=0
  name=$(relay_state_name); pid=$(relay_state_pid "$name")
  trap "g 'kill -CONT $pid' >/dev/null 2>&1 || true" EXIT
  g "kill -STOP $pid"
  # From outside: the mount really hangs.
  g "timeout -s KILL 5 stat -f $MNT >/dev/null" || rc=$?
  [ "$rc" = 137 ] || die "stat -f $MNT answered with the relay stopped (rc=$rc)"
  t0=$SECONDS
  audit_expect adv-sigstop false '{"adv_failing": ["responding"]}'
  log "13: audit of the hung mount returned after $(( SECONDS - t0 ))s (probe timeout 10 s)"
  [ $(( SECONDS - t0 )) -lt 90 ] || die "the audit took $(( SECONDS - t0 ))s"
  g "kill -CONT $pid"; trap - EXIT
  audit_expect adv-sigstop-resumed true '{"adv_retries": 15}'
}

case_symlink_path() {
  # The same live mount asked for through a symlink: mount(8) canonicalises, so mountinfo and the
  # state file name the real path. TLS is proven there; compliance still wants an fstab line for
  # the path asked for.
  local link=/mnt/adv-link
  trap "g 'rm -f $link'" EXIT
  g "ln -sfn $MNT $link"
  aplay adv-symlink audit_expect.yml -e "mnt=$link" -e adv_compliant=false -e adv_tls=true -e "adv_real_path=$MNT" \
    -e '{"adv_passing": ["canonical_path", "path_reaches_mount", "path_device", "relay_owner", "relay_listens"]}'
  g "rm -f $link"; trap - EXIT
}

# --- 20: a CA file without a certificate (issue 11 case 5: efs-proxy fails open) --------------------
# efs-proxy drops "# " lines from its CAfile and, when nothing is left, verifies nothing; stunnel
# fails closed on such a file. The role must refuse one as efs_client_ca_file (both modes); with
# efs-proxy the tier also stages it on the guest: the relay re-reads its TLS files on SIGHUP (as
# after the watchdog's certificate renewal), then carries I/O to a target of an untrusted CA, and
# the audit must say not compliant on ca_certificates while every other relay check passes.
CA_COMMENTS=$'# adversarial case 20: comments only, no certificate\n# \n'
case_empty_ca() {
  local before name pid ca since token="noca-$RANDOM$RANDOM"
  printf '%s' "$CA_COMMENTS" > "$PLOGS/adv-comments-ca.pem"
  before=$(g "sha256sum /etc/amazon/efs/*.pem")
  aplay ca-refused ca_refused.yml --check -e "efs_client_ca_file=$PLOGS/adv-comments-ca.pem"
  [ "$(g "sha256sum /etc/amazon/efs/*.pem")" = "$before" ] || die "a CA bundle on the guest changed"
  if [ "$RELAY" != efs-proxy ]; then
    log "20: $RELAY fails closed on such a file; the staged part is efs-proxy's"
    return 0
  fi
  name=$(relay_state_name); pid=$(relay_state_pid "$name")
  ca=$(g "sed -n 's/^CAfile = //p' /var/run/efs/stunnel-config.$name | tail -1")
  [ -n "$ca" ] || die "no CAfile in stunnel-config.$name"
  trap "g 'cp -p /root/adv/ca.orig $ca && kill -HUP $pid' >/dev/null 2>&1 || true; set_target good >/dev/null 2>&1 || true" EXIT
  g "cp -p $ca /root/adv/ca.orig && printf '%s' '$CA_COMMENTS' > $ca && kill -HUP $pid"
  since=$(g date +%s)
  set_target untrusted-ca >/dev/null
  # From outside: the target's certificate is from a CA the client does not trust, and I/O flows.
  g "timeout -s KILL 90 sh -c 'echo $token > $MNT/adv-noca && sync $MNT/adv-noca' && cat /srv/efs/adv-noca" | grep -qx "$token" \
    || die "no I/O to the untrusted target: the relay did not fail open (stand-in efs-proxy?)"
  g "journalctl -u sandbox-target@$FS --since @$since --no-pager -o cat" > "$PLOGS/adv-noca.target.log"
  grep -q 'accepted connection' "$PLOGS/adv-noca.target.log" || die "the untrusted target accepted no connection"
  ! grep -qi 'alert unknown ca' "$PLOGS/adv-noca.target.log" || die "the relay refused the untrusted CA"
  log "20: efs-proxy (pid $pid) carries $MNT to a target of an untrusted CA with $ca holding only comments"
  audit_expect adv-noca false '{"adv_failing": ["ca_certificates"], "adv_passing": ["relay_alive", "relay_live_tls", "relay_owner", "relay_binary", "relay_listens", "verify", "ca_file", "check_host"]}'
  g "cp -p /root/adv/ca.orig $ca && kill -HUP $pid"; set_target good >/dev/null; trap - EXIT
  audit_expect adv-noca-after true '{"adv_retries": 15}'
}

# --- restore ---------------------------------------------------------------------------------------
restore() {
  set_target good >/dev/null
  cleanup_leftovers >&2 || true
  unmount_all
  g "cp -p /root/adv/fstab.orig /etc/fstab && rm -rf /root/adv/fstab.orig /srv/efs/adv-* && rmdir $SUB_MNT 2>/dev/null; true"
  gplay adv-restore playbooks/site.yml
  python tests/lib/recap.py "$PLOGS/adv-restore.log" failed=0 unreachable=0
  gplay adv-restore-audit playbooks/audit.yml
}

# --- run -------------------------------------------------------------------------------------------
run_case() {  # runs a case in a subshell so that a failure ends only that case
  set +e
  (set -e; "$@")
  CASE_RC=$?
  set -e
}
case_() {
  local label=$1 case_t0=$SECONDS; shift
  timed "$label" run_case "$@"
  if [ "$CASE_RC" = 0 ]; then
    PHASES[-1]=$(printf '%-40s %-7s %5ss' "$label" passed "$(( SECONDS - case_t0 ))")
  else
    PHASES[-1]=$(printf '%-40s %-7s %5ss' "$label" FAILED "$(( SECONDS - case_t0 ))")
    FAILED+=("$label")
    log "FAILED: $label"
  fi
}

timed "sandbox (reuse a guest in $ADV_MODE, or start)" ensure_sandbox 1 "$ADV_MODE"
H=$(guest_with_mode "$ADV_MODE")
read -r _ FS MNT relay layout <<< "$(guest_facts | awk -v h="$H" '$1 == h')"
[ "$relay/$layout" = "$ADV_MODE" ] || die "$H runs $relay/$layout, not $ADV_MODE (inventory $INV)"
log "$H ($ADV_MODE): file system $FS at $MNT; helper: $(cat "$BUILD/sandbox/helper" 2>/dev/null || echo unknown)"
timed "baseline (converge unless compliant)" baseline

declare -A CASES=(
  [7]="7 injection rejected|case_injection"
  [9]="9 lockout policy refused|case_policy_lockout"
  [4]="4 relay killed, watchdog heals|case_relay_kill"
  [3]="3 plain NFS on the path|case_plain_nfs"
  [1]="1 untrusted CA at the target|case_untrusted_ca"
  [2]="2 certificate for another name|case_wrong_name"
  [6]="6 hostile fstab + second writer|case_hostile_fstab"
  [5]="5 reboot, two TLS mounts|case_reboot"
  [8]="8 state=absent, relay/port freed|case_absent"
  [10]="10 tmpfs over the parent directory|case_cover_parent"
  [11]="11 bind mount, form feed in source|case_formfeed_bind"
  [12]="12 impostor relay owned by nobody|case_impostor"
  [13]="13 SIGSTOPped relay, bounded audit|case_sigstop"
  [14]="14 symlinked mount path|case_symlink_path"
  [20]="20 CA file without a certificate|case_empty_ca"
)
for n in ${ADV_CASES:-7 9 4 10 11 12 13 14 20 3 1 2 6 5 8}; do
  spec=${CASES[$n]:-}
  [ -n "$spec" ] || die "no case $n"
  case_ "${spec%%|*}" "${spec##*|}"
done
# ADV_RESTORE=0 skips the final converge (for working on one case against a kept guest).
[ "${ADV_RESTORE:-1}" = 0 ] || case_ "restore: converge + audit" restore
sb_ssh_close "$H"
print_phases
if [ "${#FAILED[@]}" -gt 0 ]; then
  die "failed: ${FAILED[*]}"
fi
log "all adversarial cases passed ($ADV_MODE on $H)"
# The other relay: the cases whose checks differ by relay (kill and heal, TLS refused, impostor,
# hung relay, CA without a certificate).
# 1 and 2 leave the path unmounted (the cases before need the mount), so they come last.
SECOND_CASES=${ADV_SECOND_CASES-4 12 13 20 1 2}
if [ "$SECOND_PASS" = 1 ] && [ -n "$SECOND_CASES" ]; then
  other=""
  for m in ${SANDBOX_MODES:-}; do
    [ "${m%/*}" != "$RELAY" ] && { other=$m; break; }
  done
  # Alone (no sandbox modes of the other relay): ensure_sandbox starts a guest in that mode.
  [ -n "$other" ] || { other=stunnel/deb; [ "$RELAY" = stunnel ] && other=efs-proxy/deb; }
  log "second pass: $SECOND_CASES in $other"
  ADV_MODE=$other ADV_CASES="$SECOND_CASES" TIER="$TIER-${other%/*}" bash "$0"
fi

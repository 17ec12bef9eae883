#!/usr/bin/env bash
# Keeps one guest's qemu running across guest-initiated reboots (started by sandbox.sh up).
#   run-guest.sh GUEST_DIR QEMU_ARGS...
# qemu runs with -no-reboot: a reboot inside the guest ends the process and this loop starts it
# again from the same overlay. A cold start boots in seconds where qemu's own warm reset took
# minutes under TCG. A guest power-off or crash ends the loop; `sandbox.sh down` creates
# GUEST_DIR/stop and sends SIGTERM.
set -uo pipefail
dir=$1
shift
qpid=
stop() {
  touch "$dir/stop"
  [ -n "$qpid" ] && kill "$qpid" 2>/dev/null
  wait "$qpid" 2>/dev/null
  exit 0
}
trap stop TERM INT
while :; do
  qemu-system-x86_64 "$@" -no-reboot &
  qpid=$!
  echo "$qpid" > "$dir/pid"
  wait "$qpid"
  rc=$?
  echo "$(date -u +%FT%TZ) qemu pid $qpid exited with $rc"
  [ -f "$dir/stop" ] && break
  # The kernel prints this at KERN_EMERG, so it reaches the console even with "quiet".
  if tail -c 4000 "$dir/console.log" | grep -q "reboot: Restarting system"; then
    echo "$(date -u +%FT%TZ) guest rebooted: starting qemu again"
    echo "--- sandbox: qemu restarted for the guest's reboot ---" >> "$dir/console.log"
    continue
  fi
  echo "guest powered off or crashed: not restarting"
  break
done

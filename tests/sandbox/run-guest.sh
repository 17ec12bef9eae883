#!/usr/bin/env bash
# Keeps one guest's qemu running across guest-initiated reboots (started by sandbox.sh up).
#   run-guest.sh GUEST_DIR QEMU_ARGS...
# qemu runs with -no-reboot: a reboot inside the guest ends the process and this loop starts it
# again from the same overlay. A cold start boots in seconds where qemu's own warm reset took
# minutes under TCG. Only a guest power-off ends the loop (or `sandbox.sh down`, which creates
# GUEST_DIR/stop and sends SIGTERM); any other exit (a reboot, a CPU reset) starts qemu again,
# unless qemu keeps dying within seconds.
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
quick_exits=0
while :; do
  started=$SECONDS
  qemu-system-x86_64 "$@" -no-reboot &
  qpid=$!
  echo "$qpid" > "$dir/pid"
  wait "$qpid"
  rc=$?
  echo "$(date -u +%FT%TZ) qemu pid $qpid exited with $rc after $(( SECONDS - started ))s"
  [ -f "$dir/stop" ] && break
  # The kernel prints these at KERN_EMERG, so they reach the console even with "quiet".
  last=$(tail -c 4000 "$dir/console.log" | grep -ao "reboot: [A-Za-z ]*" | tail -1)
  if [ "$last" = "reboot: Power down" ]; then
    echo "guest powered off: not restarting"
    break
  fi
  if [ $(( SECONDS - started )) -lt 20 ]; then quick_exits=$(( quick_exits + 1 )); else quick_exits=0; fi
  if [ "$quick_exits" -ge 3 ]; then
    echo "qemu died $quick_exits times within seconds: giving up"
    break
  fi
  echo "$(date -u +%FT%TZ) restarting qemu (${last:-no reboot message: reset or crash})"
  echo "--- sandbox: qemu restarted (${last:-reset}) ---" >> "$dir/console.log"
done

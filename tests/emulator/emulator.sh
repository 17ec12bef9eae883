#!/usr/bin/env bash
# Start, stop or locate the EFS emulator (moto's server, extended: see README.md).
# Usage: tests/emulator/emulator.sh start|stop|url|status
# State (pid, port, log) lives in $EFS_EMULATOR_DIR, default $BUILD/emulator; give each
# independent user (a test tier, the sandbox) its own directory so one's stop cannot kill another's.
set -euo pipefail
. "$(dirname "$0")/../lib/env.sh"
HERE="$REPO/tests/emulator"
DIR="${EFS_EMULATOR_DIR:-$BUILD/emulator}"
PIDFILE="$DIR/pid"
PORTFILE="$DIR/port"
LOGFILE="$DIR/emulator.log"

running() {
  [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null
}

answers() {
  python - "$1" <<'EOF'
import sys, urllib.request
try:
    urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/_emulator/health", timeout=1).read()
except Exception:
    sys.exit(1)
EOF
}

free_port() {
  python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

start() {
  mkdir -p "$DIR"
  if running && answers "$(cat "$PORTFILE")"; then
    log "emulator already running: pid $(cat "$PIDFILE"), http://127.0.0.1:$(cat "$PORTFILE")"
    return 0
  fi
  rm -f "$PIDFILE" "$PORTFILE"
  local port pid
  port=$(free_port)
  # setsid: the emulator must not die with the shell that started it (the sandbox keeps it).
  setsid python "$HERE/efs_emulator.py" --port "$port" >"$LOGFILE" 2>&1 < /dev/null &
  pid=$!
  echo "$pid" > "$PIDFILE"
  echo "$port" > "$PORTFILE"
  for _ in $(seq 1 100); do
    if answers "$port"; then
      log "emulator started: pid $pid, http://127.0.0.1:$port (log $LOGFILE)"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  tail -n 20 "$LOGFILE" >&2 || true
  kill "$pid" 2>/dev/null || true
  rm -f "$PIDFILE" "$PORTFILE"
  die "emulator did not answer on port $port"
}

stop() {
  if [ ! -f "$PIDFILE" ]; then
    log "emulator not running (no $PIDFILE)"
    return 0
  fi
  local pid
  pid=$(cat "$PIDFILE")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid" 2>/dev/null || true; fi
    log "emulator stopped (pid $pid)"
  fi
  rm -f "$PIDFILE" "$PORTFILE"
}

url() {
  running || die "emulator not running (start it: $0 start)"
  echo "http://127.0.0.1:$(cat "$PORTFILE")"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  url) url ;;
  status) if running; then echo "running: pid $(cat "$PIDFILE") $(url)"; else echo "stopped"; exit 1; fi ;;
  *) echo "usage: $0 start|stop|url|status" >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# Sourced by the targets' runme.sh: sets EFS_EMULATOR_URL, starting the EFS emulator
# (tests/emulator/efs_emulator.py, needs moto[server]) unless one is given, and stops what it
# started when the target ends.
# shellcheck shell=bash
# ansible-test runs a copy of the target; the collection itself is on ANSIBLE_COLLECTIONS_PATH.
COLLECTION_ROOT="${ANSIBLE_COLLECTIONS_PATH%%:*}/ansible_collections/aws_efs/transit"
_py=${ANSIBLE_TEST_PYTHON_INTERPRETER:-python}
export AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-testing} AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-testing}
export AWS_REGION=${AWS_REGION:-us-east-1} AWS_DEFAULT_REGION=${AWS_DEFAULT_REGION:-us-east-1}
if [ -z "${EFS_EMULATOR_URL:-}" ]; then
  _port=$("$_py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  "$_py" "$COLLECTION_ROOT/tests/emulator/efs_emulator.py" --port "$_port" > "${OUTPUT_DIR:-/tmp}/efs-emulator.log" 2>&1 &
  _emulator_pid=$!
  trap 'kill "$_emulator_pid" 2>/dev/null || true' EXIT
  EFS_EMULATOR_URL="http://127.0.0.1:$_port"
  for _ in $(seq 1 100); do
    "$_py" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1] + "/_emulator/health", timeout=1)' \
      "$EFS_EMULATOR_URL" 2>/dev/null && break
    kill -0 "$_emulator_pid" 2>/dev/null || { cat "${OUTPUT_DIR:-/tmp}/efs-emulator.log" >&2; exit 1; }
    sleep 0.2
  done
fi
export EFS_EMULATOR_URL

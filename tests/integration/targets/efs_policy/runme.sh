#!/usr/bin/env bash
# ansible-test integration efs_policy: the policy playbooks of tests/integration/policy (create,
# idempotence, check, diff, presets, merge, purge, absent, bad input, throttling, failed Put,
# lockout) against the EFS emulator.
set -eu
. ../setup_efs_emulator/emulator.sh
for book in basic presets merge errors resilience; do
  ansible-playbook "$COLLECTION_ROOT/tests/integration/policy/$book.yml" -e "emulator_url=$EFS_EMULATOR_URL" "$@"
done

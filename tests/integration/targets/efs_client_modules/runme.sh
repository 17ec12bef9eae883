#!/usr/bin/env bash
# ansible-test integration efs_client_modules: efs_utils_config (atomic in-place edits, check and
# diff mode, bad input) and efs_client_info on scratch files (tests/integration/role_vars/modules.yml).
set -eu
# ansible-test runs a copy of the target; the collection itself is on ANSIBLE_COLLECTIONS_PATH.
COLLECTION_ROOT="${ANSIBLE_COLLECTIONS_PATH%%:*}/ansible_collections/aws_efs/transit"
scratch="${OUTPUT_DIR:-$(mktemp -d)}/efs_client_modules"
rm -rf "$scratch" && mkdir -p "$scratch/pkg"
ansible-playbook "$COLLECTION_ROOT/tests/integration/role_vars/modules.yml" -e "role_vars_out=$scratch" "$@"

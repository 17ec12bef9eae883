# Sourced by every test and sandbox script: one place that knows where things live.
# shellcheck shell=bash
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export REPO
export VENV="${AWS_EFS_TRANSIT_VENV:-$REPO/.venv}"
export BUILD="$REPO/.build"
export CACHE="${AWS_EFS_TRANSIT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/aws-efs-transit}"
mkdir -p "$BUILD" "$CACHE"
# ansible_collections/aws_efs/transit must resolve to this checkout.
_coll="$BUILD/collections/ansible_collections/aws_efs"
mkdir -p "$_coll"
[ -L "$_coll/transit" ] || ln -sfn "$REPO" "$_coll/transit"
export ANSIBLE_COLLECTIONS_PATH="$BUILD/collections"
export ANSIBLE_ROLES_PATH="$REPO/roles"
export ANSIBLE_HOST_KEY_CHECKING=False
export ANSIBLE_RETRY_FILES_ENABLED=False
export ANSIBLE_NOCOLOR=1
# One SSH round trip per task instead of three: under TCG each costs seconds.
export ANSIBLE_PIPELINING=True
export PATH="$VENV/bin:$PATH"
export PYTHONPATH="$BUILD/collections${PYTHONPATH:+:$PYTHONPATH}"
# Prints "[tier] message" with the elapsed time since the tier began.
log() { printf '[%s +%ss] %s\n' "${TIER:-main}" "$(( SECONDS - ${TIER_START:-0} ))" "$*" >&2; }
die() { log "FAIL: $*"; exit 1; }
# The one callback for execution counts and task times (tests and benchmarks); it writes only
# when EXEC_COUNTER_FILE or EXEC_TASK_TIMES is set.
export ANSIBLE_CALLBACK_PLUGINS="$REPO/tests/lib/callback_plugins"
export ANSIBLE_CALLBACKS_ENABLED="exec_counter"

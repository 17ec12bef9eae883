#!/usr/bin/env bash
# The ansible-core matrix: the collection's unit tests on every supported ansible-core but the default, and the
# sanity tests that change between ansible-core releases on the versions the sanity tier does not
# cover (the sanity tier runs every sanity test on the shared venv's ansible-core).
# One venv per version under .build/matrix/ (Python 3.11 up to 2.19; 2.20 and 2.21 need >= 3.12,
# found on PATH as python3.12/python3.13 or under pyenv).
#   MATRIX_VERSIONS="2.17 2.21"   a subset      MATRIX_SANITY_TESTS="..."   other sanity tests
set -euo pipefail
. "$(dirname "$0")/../lib/env.sh"
# In pairs on two Pythons (see below): 2.17 (3.11) with 2.20 (3.12), 2.18 (3.11) with 2.21 (3.13).
read -r -a VERSIONS <<< "${MATRIX_VERSIONS:-2.17 2.20 2.18 2.21 2.19}"
# Version-sensitive: module docs/argspec schema, ansible-doc, imports under that core's rules,
# meta/runtime.yml (requires_ansible, action groups), Python syntax. pylint, pep8, yamllint and the
# rest do not change with ansible-core in ways that matter here and cost most of the time.
read -r -a SANITY_TESTS <<< "${MATRIX_SANITY_TESTS:-validate-modules ansible-doc import compile runtime-metadata}"
default_core=$(python -c 'import ansible; print(".".join(ansible.__version__.split(".")[:2]))')
M="$BUILD/matrix"
mkdir -p "$M"

# python_for 2.20 -> an interpreter that ansible-core 2.20 supports.
python_for() {
  local want cand
  case $1 in 2.17|2.18|2.19) want="3.11 3.12" ;; 2.20) want="3.12 3.13" ;; *) want="3.13 3.12" ;; esac
  for v in $want; do
    # pyenv's versions before PATH: a pyenv shim for a version that is not selected fails to run.
    for cand in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$v".*/bin/python"$v" "python$v"; do
      cand=$(command -v "$cand" 2>/dev/null) || continue
      "$cand" -c 'import sys' >/dev/null 2>&1 && { echo "$cand"; return 0; }
    done
  done
  return 1
}

# The collections tree each venv imports from: this checkout, and amazon.aws from the shared venv.
coll="$M/collections/ansible_collections"
mkdir -p "$coll/aws_efs" "$coll/amazon"
ln -sfn "$REPO" "$coll/aws_efs/transit"
ln -sfn "$(python -c 'import ansible_collections.amazon.aws as m; print(list(m.__path__)[0])')" "$coll/amazon/aws"

. "$REPO/tests/lib/collection_copy.sh"

# run_core CORE: venv, unit tests and sanity for one ansible-core; its row goes to $M/row-CORE.
# Each version has its own collection copy (ansible-test writes tests/output/ in it).
run_core() {
  local core=$1 t0=$SECONDS py pyv venv got verdict="" work args=() t row="$M/row-$1"
  py=$(python_for "$core") || { printf '%-6s %-8s %s\n' "$core" "-" "FAILED: no Python for ansible-core $core (install python3.12/3.13, e.g. pyenv install 3.13)" > "$row"; return 1; }
  pyv=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
  venv="$M/core-$core"
  if [ ! -x "$venv/bin/ansible-test" ] || [ "$REPO/tests/unit/requirements.txt" -nt "$venv/.installed" ]; then
    log "ansible-core $core: creating $venv (Python $pyv)"
    rm -rf "$venv" && "$py" -m venv "$venv"
    "$venv/bin/pip" install -q "ansible-core==$core.*" -r "$REPO/tests/unit/requirements.txt" 2> >(grep -v "is ignored" >&2) \
      || { printf '%-6s %-8s %s\n' "$core" "$pyv" "FAILED: pip install ansible-core==$core.*" > "$row"; return 1; }
    touch "$venv/.installed"
  fi
  got=$("$venv/bin/python" -c 'import ansible; print(ansible.__version__)')
  log "ansible-core $got (Python $pyv): unit tests (tests/unit/plugins, tests/unit/meta)"
  if PYTHONPATH="$M/collections" "$venv/bin/python" -m pytest -q -p no:cacheprovider \
    tests/unit/plugins tests/unit/meta --rootdir "$REPO" > "$M/units-$core.log" 2>&1; then
    verdict="units $(tail -n 1 "$M/units-$core.log" | grep -oE '[0-9]+ passed' || echo '?')"
  else
    tail -n 30 "$M/units-$core.log" >&2; verdict="units FAILED"
  fi
  work=$(collection_copy "$M/sanity-$core")
  log "ansible-core $got: ansible-test sanity --test ${SANITY_TESTS[*]}"
  for t in "${SANITY_TESTS[@]}"; do args+=(--test "$t"); done
  if (cd "$work" && PATH="$venv/bin:$PATH" ANSIBLE_COLLECTIONS_PATH='' PYTHONPATH='' \
    "$venv/bin/ansible-test" sanity --venv --requirements --python "$pyv" --color no "${args[@]}") > "$M/sanity-$core.log" 2>&1; then
    verdict+="; sanity ${SANITY_TESTS[*]} passed"
  else
    tail -n 30 "$M/sanity-$core.log" >&2; verdict+="; sanity FAILED (log $M/sanity-$core.log)"
  fi
  printf '%-6s %-8s %5ss  %s\n' "$got" "$pyv" "$(( SECONDS - t0 ))" "$verdict" > "$row"
  [[ $verdict != *FAILED* ]]
}

# Two versions at a time (2 cores; each run is mostly one process), never two on one Python:
# ansible-test's sanity venvs under ~/.ansible/test are per Python version.
declare -a rows=() batch=() pids=()
declare -A batch_py=()
failed=0
flush() {
  local i
  for i in "${!pids[@]}"; do
    wait "${pids[$i]}" || failed=1
    rows+=("$(cat "$M/row-${batch[$i]}" 2>/dev/null || printf '%-6s %-8s %6s  FAILED (stopped early: see the log above)' "${batch[$i]}" - -)")
  done
  batch=(); pids=(); batch_py=()
}
for core in "${VERSIONS[@]}"; do
  if [ "$core" = "$default_core" ]; then
    # The shared venv's ansible-core: the unit and sanity tiers run everything on it.
    rows+=("$(printf '%-6s %-8s %5ss  %s' "$core" "3.11" 0 "units: all, in the unit tier; sanity: all tests, in the sanity tier")")
    continue
  fi
  py=$(python_for "$core" || echo "none-$core")
  if [ "${#pids[@]}" -ge 2 ] || [ -n "${batch_py[$py]:-}" ]; then flush; fi
  rm -f "$M/row-$core"
  run_core "$core" & pids+=($!); batch+=("$core"); batch_py[$py]=1
done
flush
printf '\n%-6s %-8s %6s  %s\n' "core" "python" "time" "what ran" >&2
printf '%s\n' "${rows[@]}" | sort -V >&2
[ "$failed" = 0 ] || die "ansible-core matrix: failures above"
log "ansible-core matrix passed: ${VERSIONS[*]}"

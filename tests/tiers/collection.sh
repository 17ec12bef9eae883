#!/usr/bin/env bash
# The collection as others consume it: changelog fragments (antsibull-changelog lint), the Galaxy
# artifact (ansible-galaxy collection build: what it holds and leaves out, its metadata) and
# execution environments (ansible-builder create on the sample definition, ansible-builder
# introspect on the installed artifact). No network, ~20 s.
set -euo pipefail
. "$(dirname "$0")/../lib/env.sh"
out="$BUILD/collection"
rm -rf "$out" && mkdir -p "$out"

log "antsibull-changelog lint (modules and roles are announced from version_added, not fragments)"
(cd "$REPO" && antsibull-changelog lint) || die "antsibull-changelog lint"
if grep -rniE '\bnew (module|role|plugin)s?\b' "$REPO/changelogs/fragments" | grep -vE ':[0-9]+:\s*#'; then
  die "a fragment announces a new module or role (above): antsibull-changelog does that from version_added"
fi

log "ansible-galaxy collection build"
(cd "$REPO" && ansible-galaxy collection build --output-path "$out" >/dev/null) || die "collection build"
tarball=$(ls "$out"/aws_efs-transit-*.tar.gz)
tar -tzf "$tarball" | sed 's|/$||' | sort > "$out/files.txt"
for f in MANIFEST.json FILES.json README.md LICENSE meta/runtime.yml meta/execution-environment.yml \
  bindep.txt requirements.txt plugins/modules/efs_policy.py roles/efs_client/tasks/main.yml \
  playbooks/site.yml docs/execution-environment.yml changelogs/changelog.yaml tests/sanity \
  tests/unit/plugins tests/emulator/efs_emulator.py tests/integration/targets/efs_policy/aliases \
  tests/integration/policy/basic.yml tests/integration/role_vars/modules.yml; do
  grep -qx "$f" "$out/files.txt" || die "the artifact lacks $f"
done
harness='^(\.|Makefile$|pyproject\.toml$|benchmarks|BENCHMARKS|tests/(sandbox|standin|tiers|lib|run\.sh|setup\.sh|requirements\.txt|unit/standin|integration/adversarial|integration/pull/(pull|local)\.sh|output)|.*/\.)'
if grep -E "$harness" "$out/files.txt"; then
  die "the artifact holds harness files (above): extend build_ignore in galaxy.yml"
fi
python - "$tarball" <<'PY' || die "galaxy.yml metadata"
import json, sys, tarfile
tar = tarfile.open(sys.argv[1])
info = json.load(tar.extractfile("MANIFEST.json"))["collection_info"]
missing = [k for k in ("repository", "documentation", "issues", "tags", "license", "description", "readme") if not info.get(k)]
deps = info.get("dependencies") or {}
missing += ["dependency " + d for d in ("amazon.aws", "community.general") if d not in deps]
if missing:
    sys.exit("MANIFEST.json lacks " + ", ".join(missing))
files = json.load(tar.extractfile("FILES.json"))["files"]
print("    %s: %d entries; depends on %s" % (sys.argv[1].rsplit("/", 1)[1], len(files), ", ".join("%s %s" % kv for kv in deps.items())), file=sys.stderr)
PY

log "ansible-builder create on docs/execution-environment.yml"
ansible-builder create -f "$REPO/docs/execution-environment.yml" -c "$out/ee-context" >"$out/ee-create.log" 2>&1 \
  || { cat "$out/ee-create.log" >&2; die "ansible-builder create"; }
containerfile=
for f in "$out"/ee-context/Containerfile "$out"/ee-context/Dockerfile; do [ -f "$f" ] && containerfile=$f; done
[ -n "$containerfile" ] || die "ansible-builder wrote no Containerfile"
grep -q 'ansible-galaxy collection install' "$containerfile" || die "the build installs no collections"
grep -q 'AWS_EFS_TRANSIT_CACHE_DIR' "$containerfile" || die "the image sets no AWS_EFS_TRANSIT_CACHE_DIR"
python - "$out/ee-context/_build/requirements.yml" <<'PY' || die "the EE's galaxy requirements"
import sys, yaml
names = [c["name"] for c in yaml.safe_load(open(sys.argv[1]))["collections"]]
assert "aws_efs.transit" in names, names
PY

log "ansible-builder introspect on the installed artifact (what an EE build adds for this collection)"
ansible-galaxy collection install --force --no-deps -p "$out/installed" "$tarball" >/dev/null 2>&1 || die "install the artifact"
ansible-builder introspect "$out/installed" > "$out/introspect.txt" 2>&1 || { cat "$out/introspect.txt" >&2; die "introspect"; }
sed 's/^/    /' "$out/introspect.txt" >&2
python - "$out/introspect.txt" <<'PY' || die "ansible-builder does not pick up the collection's EE requirements"
import sys, yaml
text = open(sys.argv[1]).read()
# The output has a python and a system section, each with 'requirement  # from collection X' lines.
data = yaml.safe_load(text.split("---", 1)[-1]) if "---" in text else yaml.safe_load(text)
py = " ".join(data.get("python") or [])
system = " ".join(data.get("system") or [])
for want, where in (("boto3", py), ("botocore", py), ("git", system)):
    assert want in where and "aws_efs.transit" in where, (want, where)
PY
log "ansible-test integration: the targets, and efs_client_modules run as a downstream user would"
. "$REPO/tests/lib/collection_copy.sh"
work=$(collection_copy "$out/integration")
targets=$(cd "$work" && ansible-test integration --list-targets 2>/dev/null | tr '\n' ' ')
[ "$targets" = "efs_client_modules efs_policy " ] || die "ansible-test integration lists: $targets"
(cd "$work" && ansible-test integration --local --color no efs_client_modules) > "$out/integration.log" 2>&1 \
  || { tail -n 40 "$out/integration.log" >&2; die "ansible-test integration efs_client_modules"; }
grep -A1 'PLAY RECAP' "$out/integration.log" | tail -n 1 | sed 's/^/    /' >&2
log "changelog, artifact, execution environment and integration targets checked (efs_policy's target: tests/run.sh policy runs the same playbooks)"

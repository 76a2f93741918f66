#!/usr/bin/env bash
# The golden-image flow on the bundled fixtures, with no registry and no network:
# build evidence (signature, SBOM and scan attestations), two release managers approve,
# promote from a "test" OCI layout to a "prod" one, verify in prod, and show that an image
# without evidence is refused. README.md walks through the same commands.
#
#   scripts/golden-image-demo.sh [ASSAY_BINARY]     # default: assay from PATH
# Works in a temporary directory; exits non-zero if any step does not do what it should.
set -euo pipefail
cd "$(dirname "$0")/.."
assay=${1:-assay}
work=$(mktemp -d "${TMPDIR:-/tmp}/assay-golden.XXXXXX")
trap 'rm -rf "$work"' EXIT
step() { printf '\n$ %s\n' "$*"; "$@"; }

# The demo keys are encrypted with the password in fixtures/keys/PASSWORD.
ASSAY_PASSWORD=$(cat fixtures/keys/PASSWORD)
export ASSAY_PASSWORD
cp -R fixtures/images/demo-app "$work/test"
test=oci:$work/test:1.0
prod=oci:$work/prod:1.0

step "$assay" db build --from fixtures/osv --output "$work/assay.db"
# 1. The build signs the image and attests its SBOM and its scan.
step "$assay" sign "$test" --key fixtures/keys/build.key
step "$assay" sbom "$test" --output "$work/sbom.cdx.json" --attest --key fixtures/keys/build.key
step "$assay" scan "$test" --db "$work/assay.db" --fail-on none --attest --key fixtures/keys/build.key
# 2. Without approvals the promotion is denied (exit 4) and nothing is written.
rc=0
step "$assay" promote "$test" "$prod" --policy policies/golden-image.yaml --key fixtures/keys/build.key || rc=$?
[ "$rc" -eq 4 ] && [ ! -e "$work/prod" ] || { echo "expected a denial (4) and no prod layout, got $rc" >&2; exit 1; }
# 3. Two release managers approve; the promotion goes through.
step "$assay" approve "$test" --key fixtures/keys/release-manager-1.key --comment "reviewed the scan"
step "$assay" approve "$test" --key fixtures/keys/release-manager-2.key
step "$assay" promote "$test" "$prod" --policy policies/golden-image.yaml --key fixtures/keys/build.key \
  --audit-log "$work/audit.jsonl"
# 4. In prod: the same digest, the build signature verifies, the record is attached.
step "$assay" verify "$prod" --key fixtures/keys/build.pub > /dev/null
step "$assay" tree "$prod"
step "$assay" history "$prod"
# 5. A second promotion copies nothing.
step "$assay" promote "$test" "$prod" --policy policies/golden-image.yaml --key fixtures/keys/build.key
echo
echo "golden-image demo: ok"

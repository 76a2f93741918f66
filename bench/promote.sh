#!/bin/bash
# Promotion benchmark: `assay promote` against `skopeo copy --all` between the same two local
# registries (distribution 2.8, test 127.0.0.1:5000 -> prod 127.0.0.1:5001) on the bench images
# (debian-min, debian-py), set up by ../shared/bench (registries.sh start; push-images.sh).
#
#   cold:  a full copy into a new repository each run (skopeo: ../shared/bench/promote.sh, which
#          also drops skopeo's blob-info cache; assay: a new repository name, nothing to skip);
#   again: re-promotion of an unchanged image into a repository that already holds it.
#
# assay runs with an empty policy (`version: 1`: no evidence required) so both tools do the
# same work: the copy. It still signs and attaches its promotion record on a cold run.
# usage: bench/promote.sh [RUNS]          env: ASSAY (binary), B (shared bench dir)
set -euo pipefail
cd "$(dirname "$0")/.."
B=${B:-../shared/bench}
. "$B/env.sh"
ASSAY=${ASSAY:-$(pwd)/target/release/assay}
RUNS=${1:-5}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
printf 'version: 1\n' > "$W/policy.yaml"
export ASSAY_PASSWORD=bench-only
"$ASSAY" key generate --output-key-prefix "$W/promoter" >/dev/null 2>&1
cat > "$W/assay-cold.sh" <<SH
#!/bin/bash
exec "$ASSAY" promote "$TEST_REG/bench/\$1:latest" "$PROD_REG/assay-cold/\$1-\$(date +%s%N):latest" \
  --policy "$W/policy.yaml" --key "$W/promoter.key" >/dev/null
SH
chmod +x "$W/assay-cold.sh"
for n in debian-min debian-py; do
  echo "## $n: cold (full copy)"
  hyperfine -w 1 -r "$RUNS" -n "skopeo copy --all" "$B/promote.sh $n --all" \
    -n "assay promote" "$W/assay-cold.sh $n"
  echo "## $n: again (unchanged image, already in the target repository)"
  PROMOTE_REPO=promo/$n-again "$B/promote.sh" "$n" --all
  "$ASSAY" promote "$TEST_REG/bench/$n:latest" "$PROD_REG/assay-again/$n:latest" \
    --policy "$W/policy.yaml" --key "$W/promoter.key" >/dev/null
  hyperfine -w 1 -r "$RUNS" -n "skopeo copy --all" "PROMOTE_REPO=promo/$n-again $B/promote.sh $n --all" \
    -n "assay promote" "$ASSAY promote $TEST_REG/bench/$n:latest $PROD_REG/assay-again/$n:latest --policy $W/policy.yaml --key $W/promoter.key >/dev/null"
done

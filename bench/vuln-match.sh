#!/usr/bin/env bash
# Vulnerability matching speed: open the database and match an image-sized inventory.
# Inputs come from bench/vuln-gen.py (this machine's dpkg status and Python distributions as a
# rootfs, a generated 60,000-record OSV export). Results: docs/benchmarks.md.
#
#   bench/vuln-match.sh            # generate, build the DB, time with hyperfine
# Needs: hyperfine, python3, a release build of assay at $ASSAY
# (default $P/target/release/assay, built with
#  CARGO_TARGET_DIR=$P/target cargo build --release -p assay).
set -euo pipefail
P=${P:-$HOME/assay-bench}
ASSAY=${ASSAY:-$P/target/release/assay}
RECORDS=${RECORDS:-60000}
W=$P/vuln
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$W"
python3 "$here/vuln-gen.py" "$W" "$RECORDS"
cd "$W"
export SOURCE_DATE_EPOCH=1767225600
/usr/bin/time -f 'db build: %e s, %M KiB peak' "$ASSAY" db build --from all.zip -o bench.db > build.txt
ls -l bench.db
"$ASSAY" scan dir:rootfs --db bench.db --scanners vuln -f json -o scan.json || true
python3 - <<'PY'
import json
r = json.load(open("scan.json"))
print(f"findings: {len(r['findings'])}")
PY
# Only os-release: the process, DB open and an empty match (the fixed cost).
mkdir -p empty/etc && cp rootfs/etc/os-release empty/etc/
hyperfine -N --warmup 3 --runs 30 --export-markdown vuln-match.md \
  -n 'scan rootfs (dpkg + python, DB open + match)' "$ASSAY scan dir:rootfs --db bench.db --scanners vuln -f json -o /dev/null --exit-code 0" \
  -n 'scan os-release only (DB open, nothing to match)' "$ASSAY scan dir:empty --db bench.db --scanners vuln -f json -o /dev/null --exit-code 0" \
  -n 'db info (open + metadata)' "$ASSAY db info --db bench.db"
cat vuln-match.md

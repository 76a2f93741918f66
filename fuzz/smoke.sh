#!/usr/bin/env bash
# The CI fuzz smoke run: every target for a few seconds (default 10) on the seed corpus, so
# a parser change that panics on a seed or on an easy mutation fails the build. The long
# runs are fuzz/run.sh. Needs the nightly toolchain and cargo-fuzz.
#
#   fuzz/smoke.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-10}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/root/.cache/assay/fuzz-target}
./seed.sh >/dev/null
cargo +nightly fuzz build -s none
for t in $(cargo +nightly fuzz list); do
    echo "fuzz smoke: $t (${seconds}s)"
    cargo +nightly fuzz run -s none "$t" "corpus/$t" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 2>&1 | tail -n 2
done

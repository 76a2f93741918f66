#!/usr/bin/env bash
# Runs fuzz targets one after another, each for SECONDS (default 600, the issue's 10
# minutes), on the seeded corpus, and prints one summary line per target: executions,
# coverage, corpus size, peak RSS and wall time, as recorded in docs/reliability.md.
#
#   fuzz/run.sh [SECONDS] [TARGET...]         (default: every target)
#
# Logs go to $FUZZ_LOGS (default /root/.cache/assay/fuzz-logs); a crash stops that target
# with its input in fuzz/artifacts/<target>/ and a non-zero exit at the end.
# Builds without a sanitizer (-s none): the crates forbid unsafe code, and on a shared 2-core
# machine the uninstrumented allocator gives several times the executions; overflow checks and
# debug assertions are on.
set -uo pipefail
cd "$(dirname "$0")"
seconds=${1:-600}
shift || true
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/root/.cache/assay/fuzz-target}
logs=${FUZZ_LOGS:-/root/.cache/assay/fuzz-logs}
mkdir -p "$logs"
[ -d corpus ] || ./seed.sh >/dev/null
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo +nightly fuzz list)
cargo +nightly fuzz build -s none >/dev/null || exit 1
failed=0
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t"
    start=$(date +%s)
    cargo +nightly fuzz run -s none "$t" "corpus/$t" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        >"$logs/$t.log" 2>&1
    rc=$?
    end=$(date +%s)
    [ $rc -eq 0 ] || failed=1
    done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$logs/$t.log" | tail -1)
    execs=$(grep -oE 'stat::number_of_executed_units:[[:space:]]+[0-9]+' "$logs/$t.log" | grep -oE '[0-9]+$' | tail -1)
    rss=$(grep -oE 'stat::peak_rss_mb:[[:space:]]+[0-9]+' "$logs/$t.log" | grep -oE '[0-9]+$' | tail -1)
    cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[0-9]+[a-zA-Z]*' <<<"$done_line")
    printf '%-18s exit=%d wall=%ss execs=%s %s peak_rss=%sMB\n' "$t" "$rc" "$((end - start))" \
        "${execs:-?}" "${cov:-?}" "${rss:-?}"
done
exit $failed

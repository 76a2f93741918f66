#!/usr/bin/env bash
# assay vs cargo-audit on the same RustSec advisories and the same Cargo.lock files: findings
# compared one by one, then both timed in the same hyperfine invocation per lock.
# Results and the discussion: docs/benchmarks.md ("Rust lock files: assay vs cargo-audit").
#
#   bench/cargo-audit.sh            # env + data + findings + time
#   bench/cargo-audit.sh findings   # only regenerate the data and compare findings
#   bench/cargo-audit.sh time       # only the timings (data from a previous run)
#   bench/cargo-audit.sh mem        # only peak memory (data from a previous run)
#
# The advisories are synthetic (the RustSec advisory-db cannot be fetched here): see
# bench/rustsec/gen.py, which writes them in RustSec's format (a git repository, for
# cargo-audit) and as the OSV records RustSec's export makes of them (for `assay db build`),
# from one source of truth. Locks: the repository's own Cargo.lock, bench/rustsec/locks/big.lock.gz
# (`cargo generate-lockfile` of bench/rustsec/locks/big.toml, 1233 packages) and the edge-case
# lock gen.py writes.
#
# Needs: hyperfine, python3 (3.11, tomllib), git, cargo-audit (`cargo install cargo-audit
# --locked`), a release build of assay at $ASSAY (default $P/target/release/assay, built with
# CARGO_TARGET_DIR=$P/target cargo build --release -p assay).
# Knobs: P (work root, default $HOME/assay-bench), W (this benchmark's directory, $P/rustsec),
# SEED (20261127), COUNT (advisories, 1000), LOCKS (default "assay big edge"),
# MIN_RUNS/MAX_RUNS (hyperfine, 10/100), CARGO_AUDIT (default cargo-audit on PATH),
# QUIET_LOAD/QUIET_WAIT (see quiet()).
set -euo pipefail
P=${P:-$HOME/assay-bench}
ASSAY=${ASSAY:-$P/target/release/assay}
CARGO_AUDIT=${CARGO_AUDIT:-$(command -v cargo-audit || echo "$HOME/.cargo/bin/cargo-audit")}
SEED=${SEED:-20261127}
COUNT=${COUNT:-1000}
MIN_RUNS=${MIN_RUNS:-10}
MAX_RUNS=${MAX_RUNS:-100}
W=${W:-$P/rustsec}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
read -r -a LOCKS <<< "${LOCKS:-assay big edge}"
# The database is stamped with the current time (no SOURCE_DATE_EPOCH), so that assay's
# age warning does not fire during the runs.
unset SOURCE_DATE_EPOCH

for tool in "$ASSAY" "$CARGO_AUDIT"; do
  [ -x "$tool" ] || { echo "cargo-audit.sh: $tool: not found (see the header of this script)" >&2; exit 2; }
done

# cargo-audit, offline, on the local advisory repository: no fetch, no staleness error (the
# repository's commit is dated 2025-11-01), no yanked check (it needs the crates.io index, and
# assay has no equivalent; yanked warnings carry no advisory anyway).
audit() { "$CARGO_AUDIT" audit --db "$W/advisory-db" --no-fetch --stale --no-yanked --json -f "$1"; }
# assay on the directory holding the lock, vulnerability scanner only, never failing.
scan() { "$ASSAY" scan "$1" --db "$W/rustsec.db" --scanners vuln -f json --fail-on none; }

env_report() {
  mkdir -p "$W"
  {
    echo "date: $(date -u +%FT%TZ)"
    echo "machine: $(nproc) cpu, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "assay: $("$ASSAY" --version) ($ASSAY)"
    echo "cargo-audit: $("$CARGO_AUDIT" --version) ($CARGO_AUDIT)"
    echo "hyperfine: $(hyperfine --version)"
    echo "repository HEAD: $(git -C "$repo" rev-parse --short HEAD) ($(git -C "$repo" status --porcelain | wc -l) uncommitted paths)"
  } | tee "$W/env.txt"
}

data() {
  mkdir -p "$W/locks/assay" "$W/locks/big"
  cp "$repo/Cargo.lock" "$W/locks/assay/Cargo.lock"
  gunzip -c "$here/rustsec/locks/big.lock.gz" > "$W/locks/big/Cargo.lock"
  # The advisories are drawn from the pinned big lock only, so the data does not change when
  # the repository's own lock does (327 of its 424 crates are in the big lock too).
  python3 "$here/rustsec/gen.py" "$W" "$SEED" "$COUNT" "$W/locks/big/Cargo.lock" | tee "$W/gen.txt"
  "$ASSAY" db build --from "$W/osv" -o "$W/rustsec.db" > "$W/db-build.txt"
  for l in "${LOCKS[@]}"; do
    echo "lock $l: $(grep -c '^\[\[package\]\]' "$W/locks/$l/Cargo.lock") packages" | tee -a "$W/gen.txt"
  done
}

findings() {
  data
  local args=()
  for l in "${LOCKS[@]}"; do
    audit "$W/locks/$l/Cargo.lock" > "$W/cargo-audit-$l.json" || true   # exit 1: vulnerabilities
    (cd "$W/locks" && scan "$l") > "$W/assay-$l.json"
    args+=("$l" "$W/locks/$l/Cargo.lock" "$W/cargo-audit-$l.json" "$W/assay-$l.json")
  done
  python3 "$here/rustsec/compare.py" "$W/truth.json" "${args[@]}" | tee "$W/findings.md"
}

# With QUIET_LOAD set: wait (at most QUIET_WAIT s, default 120) for the 1-minute load average
# to drop below it, so that a shared machine's other jobs disturb the timings less.
quiet() {
  [ -n "${QUIET_LOAD:-}" ] || return 0
  local waited=0
  while awk -v max="$QUIET_LOAD" '{ exit !($1 >= max) }' /proc/loadavg && [ "$waited" -lt "${QUIET_WAIT:-120}" ]; do
    sleep 5; waited=$((waited + 5))
  done
  echo "load before timing: $(cut -d' ' -f1-3 /proc/loadavg) (waited ${waited}s)"
}

timing() {
  for l in "${LOCKS[@]}"; do
    quiet
    (cd "$W/locks" && hyperfine -N -i --warmup 3 --min-runs "$MIN_RUNS" --max-runs "$MAX_RUNS" \
      --export-json "$W/time-$l.json" --export-markdown "$W/time-$l.md" \
      -n "cargo-audit ($l)" "$CARGO_AUDIT audit --db $W/advisory-db --no-fetch --stale --no-yanked --json -f $W/locks/$l/Cargo.lock" \
      -n "assay ($l)" "$ASSAY scan $l --db $W/rustsec.db --scanners vuln -f json --fail-on none") \
      | tee "$W/time-$l.txt"
  done
  python3 - "$W" "${LOCKS[@]}" <<'PY' | tee "$W/summary.md"
import json, sys
w, locks = sys.argv[1], sys.argv[2:]
print("| lock | cargo-audit mean ± sd (min) | assay mean ± sd (min) | cargo-audit / assay (mean) | (min) | CPU user+sys cargo-audit / assay |")
print("|---|---|---|---|---|---|")
for l in locks:
    r = {x["command"].split(" ")[0]: x for x in json.load(open(f"{w}/time-{l}.json"))["results"]}
    ca, a = r["cargo-audit"], r["assay"]
    ms = lambda x: f"{x['mean']*1e3:.1f} ± {x['stddev']*1e3:.1f} ms ({x['min']*1e3:.1f})"
    cpu = lambda x: x["user"] + x["system"]
    print(f"| {l} | {ms(ca)} | {ms(a)} | **{ca['mean']/a['mean']:.1f}x** | {ca['min']/a['min']:.1f}x | "
          f"{cpu(ca)*1e3:.1f} / {cpu(a)*1e3:.1f} ms = {cpu(ca)/cpu(a):.1f}x |")
PY
}

# Peak memory of one run of each tool per lock (GNU time, maximum resident set size).
memory() {
  for l in "${LOCKS[@]}"; do
    ca=$( { /usr/bin/time -f %M "$CARGO_AUDIT" audit --db "$W/advisory-db" --no-fetch --stale --no-yanked --json \
      -f "$W/locks/$l/Cargo.lock" > /dev/null || true; } 2>&1 | tail -1)
    as=$(cd "$W/locks" && { /usr/bin/time -f %M "$ASSAY" scan "$l" --db "$W/rustsec.db" --scanners vuln -f json \
      --fail-on none > /dev/null; } 2>&1 | tail -1)
    echo "$l: peak RSS cargo-audit $ca KiB, assay $as KiB"
  done | tee "$W/memory.txt"
}

case "${1:-all}" in
  all) env_report; findings; timing; memory ;;
  mem) memory ;;
  env) env_report ;;
  findings) findings ;;
  time) timing ;;
  *) echo "usage: bench/cargo-audit.sh [all|env|findings|time|mem]" >&2; exit 2 ;;
esac

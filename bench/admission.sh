#!/bin/bash
# Benchmark of the admission webhook (`assay admission serve`): decisions per second and
# p50/p99 latency for five-container pods, with a cold cache (every signature and promotion
# check goes to the local registry) and a warm one. Not a test: it runs the ignored
# `benchmark_decisions` test of cli/tests/admission.rs in a release build, which pushes 100
# signed and promoted images to a Debian docker-registry on loopback (assay-testkit), starts
# the webhook in its own process and posts 20 pods once cold and 25 rounds warm, each request
# on a new TLS connection.
#
# usage: bench/admission.sh            -> prints the two result lines and writes them to
#                                         $P/results/bench-admission.txt
# Environment: P (default $HOME/assay-bench), CARGO_TARGET_DIR (default $P/target, so that the
#   release build does not disturb debug builds). Needs `docker-registry` (apt-get install
#   docker-registry); the test skips (and this script fails) without it.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
P=${P:-$HOME/assay-bench}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$P/target}
mkdir -p "$P/results"
out=$P/results/bench-admission.txt

cd "$ROOT"
{
  echo "# $(date -u +%Y-%m-%dT%H:%MZ) $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "# $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
  cargo test -p assay --release --test admission -- --ignored --nocapture --exact \
    benchmark_decisions 2>&1 | grep -E '^(cold|warm):'
} | tee "$out"
if ! grep -q '^warm:' "$out"; then
  echo "admission.sh: no result (is docker-registry installed?)" >&2
  exit 1
fi

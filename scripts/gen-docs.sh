#!/usr/bin/env bash
# Regenerates the documentation that is generated from code (checked by cli/tests/rules_docs.rs).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p docs/rules
cargo run -q -p assay -- rules --format markdown --target dockerfile > docs/rules/dockerfile.md
cargo run -q -p assay -- rules --format markdown --target kubernetes > docs/rules/kubernetes.md
cargo run -q -p assay -- rules --format markdown --target secret > docs/rules/secret.md
cargo run -q -p assay -- rules --format markdown --target audit > docs/rules/audit.md
cargo run -q -p assay -- rules --format markdown --target license > docs/rules/licenses.md
cargo run -q -p assay -- rules --format markdown --target baseline > docs/rules/baselines.md

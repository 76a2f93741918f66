#!/usr/bin/env bash
# Puts the output of the README's first command into README.md (checked by cli/tests/rules_docs.rs).
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(NO_COLOR=1 cargo run -q -p assay -- scan fixtures/demo || true)
python3 - "$out" <<'PY'
import re, sys
text = open("README.md").read()
block = "<!-- demo-output:start -->\n```\n" + sys.argv[1].rstrip("\n") + "\n```\n<!-- demo-output:end -->"
text = re.sub(r"<!-- demo-output:start -->.*?<!-- demo-output:end -->", lambda _: block, text, flags=re.S)
open("README.md", "w").write(text)
PY

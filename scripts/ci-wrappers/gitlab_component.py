#!/usr/bin/env python3
"""Render a GitLab CI/CD component (spec header + body) the way GitLab would for given inputs.

usage: gitlab_component.py COMPONENT_YML OUT_DIR [--input NAME=VALUE]...
                           [--same-scripts-as TEMPLATE [--template-job .JOB]]

Writes OUT_DIR/spec.yml (the header, for the schema) and OUT_DIR/body.yml (the body with
every $[[ inputs.NAME ]] replaced: defaults, then --input values; a whole value keeps its
type, and a string in a double-quoted or whole value is written as one YAML string, so the
jobs equal those gitlab-ci-local interpolates). Fails on an unknown input, a missing required
input, a value outside `options`, a value not of the input's `type`, or a leftover $[[ ]]. With
--same-scripts-as, also checks that the rendered job's before_script equals the template's
.assay-install one, and its script and artifacts those of the template's hidden job: the one
given with --template-job, else the one named by the script's first line (`# assay-sbom` ->
`.assay-sbom`), which every assay template job starts with.
"""
import argparse
import json
import os
import re
import sys

import yaml

REF = re.compile(r"\$\[\[\s*inputs\.([A-Za-z0-9_-]+)\s*\]\]")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("component")
    ap.add_argument("out_dir")
    ap.add_argument("--input", action="append", default=[])
    ap.add_argument("--same-scripts-as")
    ap.add_argument("--template-job", help="hidden job of the template to compare (default: from the script's marker)")
    args = ap.parse_args()

    with open(args.component, encoding="utf-8") as f:
        text = f.read()
    head, sep, body = text.partition("\n---\n")
    if not sep:
        sys.exit(f"{args.component}: no '---' between the spec header and the body")
    spec = yaml.safe_load(head)
    inputs_spec = spec["spec"]["inputs"]
    values = {}
    for name, decl in inputs_spec.items():
        decl = decl or {}
        if "default" in decl:
            values[name] = decl["default"]
    for item in args.input:
        name, sep, value = item.partition("=")
        if not sep:
            sys.exit(f"--input {item}: expected NAME=VALUE")
        if name not in inputs_spec:
            sys.exit(f"unknown input {name}")
        kind = (inputs_spec[name] or {}).get("type", "string")
        try:
            if kind == "boolean":
                value = {"true": True, "false": False}[value]
            elif kind == "number":
                value = int(value)
        except (KeyError, ValueError):
            sys.exit(f"input {name}: {value!r} is not a {kind}")
        values[name] = value
    types = {"string": str, "boolean": bool, "number": int}
    for name, decl in inputs_spec.items():
        if name not in values:
            sys.exit(f"input {name} is required")
        kind = (decl or {}).get("type", "string")
        if kind not in types:
            sys.exit(f"input {name}: unsupported type {kind}")
        # bool is an int in Python: a number input must not take true/false.
        if not isinstance(values[name], types[kind]) or (kind == "number" and isinstance(values[name], bool)):
            sys.exit(f"input {name}: {values[name]!r} is not a {kind}")
        options = (decl or {}).get("options")
        if options is not None and values[name] not in options:
            sys.exit(f"input {name}: {values[name]!r} is not one of {options}")

    def scalar(value):
        # JSON is YAML: a string stays one string whatever it holds (": ", "true", "#").
        return json.dumps(value)

    def whole(match):
        # `key: $[[ inputs.x ]]` with nothing else on the value: keep the type.
        return match.group(1) + scalar(values[match.group(2)])

    body = re.sub(r"(:\s)\$\[\[\s*inputs\.([A-Za-z0-9_-]+)\s*\]\]\s*$", whole, body, flags=re.M)

    def text(match):
        value = values[match.group(1)]
        return str(value).lower() if isinstance(value, bool) else str(value)

    # `"$[[ inputs.x ]]"`: the value as one double-quoted YAML string (quotes and backslashes escaped).
    body = re.sub(r'"(\$\[\[\s*inputs\.[A-Za-z0-9_-]+\s*\]\])"', lambda m: json.dumps(REF.sub(text, m.group(1))), body)
    body = REF.sub(text, body)
    if "$[[" in body:
        sys.exit("a $[[ ]] expression is left after rendering")
    os.makedirs(args.out_dir, exist_ok=True)
    with open(os.path.join(args.out_dir, "spec.yml"), "w", encoding="utf-8") as f:
        f.write(head + "\n")
    with open(os.path.join(args.out_dir, "body.yml"), "w", encoding="utf-8") as f:
        f.write(body)

    if args.same_scripts_as:
        rendered = yaml.safe_load(body)
        (job,) = rendered.values()
        with open(args.same_scripts_as, encoding="utf-8") as f:
            template = yaml.safe_load(f)
        name = args.template_job
        if name is None:
            first = job["script"][0].split("\n", 1)[0].strip() if job.get("script") else ""
            if not first.startswith("# assay-"):
                sys.exit("the component's script does not start with a `# assay-JOB` line: give --template-job")
            name = "." + first[2:]
        hidden = template.get(name)
        if not isinstance(hidden, dict) or "script" not in hidden:
            jobs = sorted(k for k, v in template.items() if isinstance(v, dict) and "script" in v)
            sys.exit(f"{args.same_scripts_as} has no job {name} with a script (jobs with one: {jobs})")
        if job.get("before_script") != template[".assay-install"]["before_script"]:
            sys.exit("the component's before_script differs from the template's .assay-install")
        if job["script"] != hidden["script"]:
            sys.exit(f"the component's script differs from the template's {name}")
        if job.get("artifacts") != hidden.get("artifacts"):
            sys.exit(f"the component's artifacts differ from the template's {name}")
        print(f"same before_script, script and artifacts as {args.same_scripts_as} .assay-install + {name}")
    print(f"rendered {args.component} into {args.out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

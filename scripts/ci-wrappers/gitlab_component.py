#!/usr/bin/env python3
"""Render a GitLab CI/CD component (spec header + body) the way GitLab would for given inputs.

usage: gitlab_component.py COMPONENT_YML OUT_DIR [--input NAME=VALUE]... [--same-scripts-as TEMPLATE]

Writes OUT_DIR/spec.yml (the header, for the schema) and OUT_DIR/body.yml (the body with
every $[[ inputs.NAME ]] replaced: defaults, then --input values; booleans and numbers keep
their type when they make up a whole value). Fails on an unknown input, a missing required
input, a value outside `options`, or a leftover $[[ ]]. With --same-scripts-as, also checks that
the rendered job's before_script and script equal those of the template's .assay-install and
.assay-scan jobs.
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
        name, value = item.split("=", 1)
        if name not in inputs_spec:
            sys.exit(f"unknown input {name}")
        kind = (inputs_spec[name] or {}).get("type", "string")
        if kind == "boolean":
            value = {"true": True, "false": False}[value]
        elif kind == "number":
            value = int(value)
        values[name] = value
    for name, decl in inputs_spec.items():
        if name not in values:
            sys.exit(f"input {name} is required")
        options = (decl or {}).get("options")
        if options is not None and values[name] not in options:
            sys.exit(f"input {name}: {values[name]!r} is not one of {options}")

    def scalar(value):
        return json.dumps(value) if isinstance(value, (bool, int)) else str(value)

    def whole(match):
        # `key: $[[ inputs.x ]]` with nothing else on the value: keep the type.
        return match.group(1) + scalar(values[match.group(2)])

    body = re.sub(r"(:\s)\$\[\[\s*inputs\.([A-Za-z0-9_-]+)\s*\]\]\s*$", whole, body, flags=re.M)
    body = REF.sub(lambda m: str(values[m.group(1)]).lower() if isinstance(values[m.group(1)], bool) else str(values[m.group(1)]), body)
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
        if job["before_script"] != template[".assay-install"]["before_script"]:
            sys.exit("the component's before_script differs from the template's .assay-install")
        if job["script"] != template[".assay-scan"]["script"]:
            sys.exit("the component's script differs from the template's .assay-scan")
        if job["artifacts"] != template[".assay-scan"]["artifacts"]:
            sys.exit("the component's artifacts differ from the template's .assay-scan")
    print(f"rendered {args.component} into {args.out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

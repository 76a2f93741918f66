#!/usr/bin/env python3
"""Run a composite GitHub Action's `run:` steps locally, the way the runner would.

usage: composite.py ACTION_YML [--input NAME=VALUE]... [--workdir DIR] [--summary FILE]
                    [--outputs-json FILE] [--env NAME=VALUE]...

Each `run:` step gets its `env:` (with `${{ inputs.* }}`, `${{ steps.*.outputs.* }}`,
`${{ github.* }}` and `${{ runner.* }}` expanded), fresh GITHUB_OUTPUT and GITHUB_ENV files,
the shared GITHUB_STEP_SUMMARY and GITHUB_PATH, and runs as `bash --noprofile --norc -eo
pipefail FILE`. `uses:` steps are skipped (for actions/cache: a cache miss). A `run:` script
that contains `${{` fails the run: inputs must reach scripts through `env:` only.
Exits with the exit code of the first failing step (0 if none) and writes the action's outputs
as JSON to --outputs-json.
"""
import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile

import yaml

EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
TOKEN = re.compile(r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<op>==|!=|&&|\|\||!|\(|\))|(?P<num>\d+)|(?P<name>[A-Za-z_][A-Za-z0-9_.-]*(?:\(\))?))")


def lookup(ctx, path):
    value = ctx
    for part in path.split("."):
        if isinstance(value, dict):
            value = value.get(part, "")
        else:
            return ""
    return value if value is not None else ""


def evaluate(expr, ctx, status):
    """A small subset of the GitHub expression language: property paths, string and number
    literals, == != && || ! ( ), and the status functions."""
    out = []
    pos = 0
    expr = expr.strip()
    while pos < len(expr):
        m = TOKEN.match(expr, pos)
        if not m or m.end() == pos:
            raise ValueError(f"unsupported expression: {expr!r}")
        pos = m.end()
        if m.group("str") is not None:
            out.append(repr(m.group("str")[1:-1].replace("''", "'")))
        elif m.group("num") is not None:
            out.append(repr(m.group("num")))
        elif m.group("op") is not None:
            out.append({"&&": " and ", "||": " or ", "!": " not "}.get(m.group("op"), m.group("op")))
        else:
            name = m.group("name")
            if name == "always()":
                out.append("True")
            elif name == "success()":
                out.append(repr(status == "success"))
            elif name == "failure()":
                out.append(repr(status == "failure"))
            elif name == "cancelled()":
                out.append("False")
            elif name in ("true", "false"):
                out.append(repr(name))
            else:
                out.append(repr(str(lookup(ctx, name))))
    return eval("".join(out), {"__builtins__": {}}, {})  # noqa: S307 - built from our tokens only


def expand(text, ctx, status="success"):
    return EXPR.sub(lambda m: str(evaluate(m.group(1), ctx, status)), str(text))


def truthy(value):
    return value not in (False, "", "false", 0, None)


def parse_file_commands(path):
    """KEY=VALUE lines and KEY<<DELIM heredocs, as GITHUB_OUTPUT and GITHUB_ENV use them."""
    result = {}
    if not os.path.exists(path):
        return result
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line:
            continue
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            key, delim = line.split("<<", 1)
            value = []
            while i < len(lines) and lines[i] != delim:
                value.append(lines[i])
                i += 1
            i += 1
            result[key] = "\n".join(value)
        elif "=" in line:
            key, value = line.split("=", 1)
            result[key] = value
        else:
            raise ValueError(f"{path}: malformed line {line!r}")
    return result


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("action")
    ap.add_argument("--input", action="append", default=[])
    ap.add_argument("--env", action="append", default=[])
    ap.add_argument("--workdir", default=os.getcwd())
    ap.add_argument("--summary")
    ap.add_argument("--outputs-json")
    args = ap.parse_args()

    with open(args.action, encoding="utf-8") as f:
        action = yaml.safe_load(f)
    runs = action.get("runs", {})
    if runs.get("using") != "composite":
        sys.exit(f"{args.action}: not a composite action")

    declared = action.get("inputs") or {}
    inputs = {name: str(spec.get("default", "")) for name, spec in declared.items()}
    for item in args.input:
        name, value = item.split("=", 1)
        if name not in declared:
            sys.exit(f"{args.action}: no input named {name}")
        inputs[name] = value

    scratch = tempfile.mkdtemp(prefix="composite-")
    runner_temp = os.path.join(scratch, "runner-temp")
    os.makedirs(runner_temp)
    summary = args.summary or os.path.join(scratch, "summary.md")
    path_file = os.path.join(scratch, "github-path")
    open(path_file, "a").close()
    open(summary, "a").close()

    base_env = dict(os.environ)
    for item in args.env:
        name, value = item.split("=", 1)
        base_env[name] = value
    machine = platform.machine().lower()
    base_env.setdefault("RUNNER_OS", {"Linux": "Linux", "Darwin": "macOS"}.get(platform.system(), platform.system()))
    base_env.setdefault("RUNNER_ARCH", {"x86_64": "X64", "amd64": "X64", "aarch64": "ARM64", "arm64": "ARM64"}.get(machine, machine))
    base_env.setdefault("RUNNER_TEMP", runner_temp)
    base_env.setdefault("RUNNER_TOOL_CACHE", os.path.join(scratch, "tool-cache"))
    base_env["GITHUB_ACTIONS"] = "true"
    base_env["GITHUB_STEP_SUMMARY"] = summary
    base_env["GITHUB_PATH"] = path_file
    action_path = os.path.dirname(os.path.abspath(args.action))
    base_env["GITHUB_ACTION_PATH"] = action_path
    base_env["GITHUB_WORKSPACE"] = args.workdir

    ctx = {
        "inputs": inputs,
        "steps": {},
        "env": base_env,
        "github": {"action_path": action_path, "workspace": args.workdir, "token": "", "action_repository": ""},
        "runner": {"os": base_env["RUNNER_OS"], "arch": base_env["RUNNER_ARCH"], "temp": base_env["RUNNER_TEMP"],
                   "tool_cache": base_env["RUNNER_TOOL_CACHE"]},
    }
    exported = {}
    status, rc = "success", 0
    for n, step in enumerate(runs.get("steps") or []):
        name = step.get("name") or step.get("id") or f"step {n + 1}"
        cond = step.get("if", "success()")
        whole = EXPR.fullmatch(str(cond).strip())
        cond = whole.group(1) if whole else cond
        if not truthy(evaluate(str(cond), ctx, status)):
            print(f"composite: skip {name} (if: {cond})", flush=True)
            continue
        if "uses" in step:
            print(f"composite: skip {name} (uses: {step['uses']})", flush=True)
            if step.get("id"):
                ctx["steps"][step["id"]] = {"outputs": {}, "outcome": "skipped"}
            continue
        script = step.get("run", "")
        if "${{" in script:
            print(f"composite: {name}: the run script contains an expression; pass it through env:", file=sys.stderr)
            return 98
        if step.get("shell") != "bash":
            print(f"composite: {name}: only shell: bash is supported", file=sys.stderr)
            return 98
        env = dict(base_env)
        env.update(exported)
        with open(path_file, encoding="utf-8") as f:
            extra = [p for p in f.read().splitlines() if p]
        if extra:
            env["PATH"] = os.pathsep.join(list(reversed(extra)) + [env.get("PATH", "")])
        for key, value in (step.get("env") or {}).items():
            env[key] = expand(value, ctx, status)
        out_file = os.path.join(scratch, f"output-{n}")
        env_file = os.path.join(scratch, f"env-{n}")
        env["GITHUB_OUTPUT"] = out_file
        env["GITHUB_ENV"] = env_file
        script_file = os.path.join(scratch, f"step-{n}.sh")
        with open(script_file, "w", encoding="utf-8") as f:
            f.write(script)
        workdir = os.path.join(args.workdir, expand(step.get("working-directory", ""), ctx, status))
        print(f"composite: run {name}", flush=True)
        code = subprocess.call(["bash", "--noprofile", "--norc", "-eo", "pipefail", script_file], env=env, cwd=workdir)
        outputs = parse_file_commands(out_file)
        exported.update(parse_file_commands(env_file))
        if step.get("id"):
            ctx["steps"][step["id"]] = {"outputs": outputs, "outcome": "success" if code == 0 else "failure"}
        if code != 0:
            print(f"composite: {name} exited {code}", flush=True)
            if status == "success":
                rc = code
            status = "failure"

    result = {name: expand(spec.get("value", ""), ctx, status) for name, spec in (action.get("outputs") or {}).items()}
    with open(path_file, encoding="utf-8") as f:
        result_path = [p for p in f.read().splitlines() if p]
    if args.outputs_json:
        with open(args.outputs_json, "w", encoding="utf-8") as f:
            json.dump({"outputs": result, "path": result_path, "env": exported, "exit_code": rc}, f, indent=2)
    return rc


if __name__ == "__main__":
    sys.exit(main())

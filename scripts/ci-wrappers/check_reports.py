#!/usr/bin/env python3
"""Check the report files a CI wrapper wrote.

usage: check_reports.py KIND FILE [--min-findings N]
KIND: gitlab-sast | gitlab-container-scanning | gitlab-dependency-scanning | junit | sarif | assay-json
Checks the keys and values each platform needs to show the report (GitLab security report
schema 15.x: scan.analyzer/scanner/type/status/times, each vulnerability's id, identifiers,
severity and location; JUnit: testsuites > testsuite > testcase; SARIF 2.1.0: runs[].tool.driver
and results). Prints "ok KIND FILE (N findings)"; exits 1 with the reasons otherwise.
"""
import json
import sys
import xml.etree.ElementTree as ET

SEVERITIES = {"Critical", "High", "Medium", "Low", "Info", "Unknown"}


def gitlab_report(path, scan_type):
    errors = []
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    if not str(doc.get("version", "")).startswith("15."):
        errors.append(f"version {doc.get('version')!r} is not a 15.x security report schema")
    scan = doc.get("scan") or {}
    if scan.get("type") != scan_type:
        errors.append(f"scan.type is {scan.get('type')!r}, not {scan_type!r}")
    for key in ("analyzer", "scanner"):
        part = scan.get(key) or {}
        for field in ("id", "name", "version"):
            if not part.get(field):
                errors.append(f"scan.{key}.{field} is missing")
        if not (part.get("vendor") or {}).get("name"):
            errors.append(f"scan.{key}.vendor.name is missing")
    for field in ("start_time", "end_time"):
        if not scan.get(field):
            errors.append(f"scan.{field} is missing")
    if scan.get("status") not in ("success", "failure"):
        errors.append(f"scan.status is {scan.get('status')!r}")
    vulns = doc.get("vulnerabilities")
    if not isinstance(vulns, list):
        return ["vulnerabilities is not a list"], 0
    seen = set()
    for i, v in enumerate(vulns):
        where = f"vulnerabilities[{i}]"
        if not v.get("id") or v["id"] in seen:
            errors.append(f"{where}.id is missing or repeated")
        seen.add(v.get("id"))
        if v.get("severity") not in SEVERITIES:
            errors.append(f"{where}.severity {v.get('severity')!r}")
        idents = v.get("identifiers") or []
        if not idents or not all(x.get("type") and x.get("name") and x.get("value") for x in idents):
            errors.append(f"{where}.identifiers needs type, name and value")
        loc = v.get("location") or {}
        if scan_type != "sast" and not ((loc.get("dependency") or {}).get("package") or {}).get("name"):
            errors.append(f"{where}.location.dependency.package.name is missing")
        if scan_type == "container_scanning":
            if not loc.get("image") or not loc.get("operating_system"):
                errors.append(f"{where}.location needs image and operating_system")
        elif not loc.get("file"):
            errors.append(f"{where}.location.file is missing")
        elif loc["file"].startswith("/"):
            errors.append(f"{where}.location.file {loc['file']!r} is absolute; GitLab wants repository paths")
    return errors, len(vulns)


def junit(path):
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    if root.tag not in ("testsuites", "testsuite") or not suites:
        return [f"root element is {root.tag}, with no testsuite"], 0
    cases = [c for s in suites for c in s.findall("testcase")]
    errors = [] if cases else ["no testcase"]
    failures = [c for c in cases if c.find("failure") is not None]
    for c in cases:
        if not c.get("name") or not c.get("classname"):
            errors.append("a testcase has no name or classname")
            break
    return errors, len(failures)


def sarif(path):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    errors = []
    if doc.get("version") != "2.1.0":
        errors.append(f"version {doc.get('version')!r}")
    runs = doc.get("runs") or []
    if not runs or not runs[0].get("tool", {}).get("driver", {}).get("name"):
        errors.append("runs[0].tool.driver.name is missing")
    results = [r for run in runs for r in run.get("results", [])]
    for r in results:
        if not r.get("ruleId") or not (r.get("message") or {}).get("text"):
            errors.append("a result has no ruleId or message.text")
            break
    return errors, len(results)


def assay_json(path):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    errors = [f"{k} is missing" for k in ("schema_version", "findings", "targets") if k not in doc]
    return errors, len(doc.get("findings") or [])


def main():
    args = sys.argv[1:]
    minimum = 0
    if "--min-findings" in args:
        i = args.index("--min-findings")
        minimum = int(args[i + 1])
        del args[i : i + 2]
    if len(args) != 2:
        sys.exit(__doc__)
    kind, path = args
    check = {
        "gitlab-sast": lambda p: gitlab_report(p, "sast"),
        "gitlab-container-scanning": lambda p: gitlab_report(p, "container_scanning"),
        "gitlab-dependency-scanning": lambda p: gitlab_report(p, "dependency_scanning"),
        "junit": junit,
        "sarif": sarif,
        "assay-json": assay_json,
    }[kind]
    errors, count = check(path)
    if count < minimum:
        errors.append(f"{count} findings, expected at least {minimum}")
    for e in errors:
        print(f"{path}: {e}")
    if errors:
        return 1
    print(f"ok {kind} {path} ({count} findings)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Compares what cargo-audit and assay report on the same lock files and advisories.

    compare.py TRUTH_JSON NAME LOCK CARGO_AUDIT_JSON ASSAY_JSON [NAME LOCK CARGO_AUDIT_JSON ASSAY_JSON ...]

A finding is (crate, version, RustSec id). cargo-audit's side is its `vulnerabilities.list`
plus the informational advisories it lists under `warnings` (unmaintained, unsound, notice;
`yanked` warnings carry no advisory and are left out; the benchmark runs with `--no-yanked`). assay's side is the
`vulnerability` findings of `assay scan -f json`: assay shows a finding under its CVE alias
when there is one, so the RustSec id is taken from the finding's first reference
(`https://osv.dev/vulnerability/<record id>`) and checked against the advisory's aliases
in TRUTH_JSON. Both sides are multisets: a lock may list the same crate and version twice
(different sources), and each listing is a finding. LOCK (the Cargo.lock scanned) gives the
sources of each crate version, to explain findings on crates that do not come from crates.io.

A third column is what the OSV evaluation says (gen.py's `affected`: introduced <= version <
fixed over the ranges RustSec's export computes, SemVer precedence, crates.io packages only,
withdrawn advisories left out), so a difference shows which side departs from the data.

Every difference is classified (the reasons are explained in docs/benchmarks.md); the
exit status is 1 when a difference has no known reason.
"""
import json
import sys
import os
import tomllib
from collections import Counter

sys.dont_write_bytecode = True  # no __pycache__ in the repository
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen import affected  # noqa: E402

CRATES_IO = {"registry+https://github.com/rust-lang/crates.io-index", "sparse+https://index.crates.io/"}


def lock_sources(path):
    """{(name, version): [source or "path"]} of a Cargo.lock."""
    with open(path, "rb") as f:
        lock = tomllib.load(f)
    out = {}
    for p in lock.get("package", []):
        out.setdefault((p["name"], p["version"]), []).append(p.get("source", "path"))
    return out


def cargo_audit(path):
    with open(path) as f:
        r = json.load(f)
    found = Counter()
    kinds = {}
    yanked = 0
    for v in r["vulnerabilities"]["list"]:
        key = (v["package"]["name"], v["package"]["version"], v["advisory"]["id"])
        found[key] += 1
        kinds[key] = "vulnerability"
    for kind, warnings in (r.get("warnings") or {}).items():
        for w in warnings:
            if not w.get("advisory"):
                yanked += kind == "yanked"
                continue
            key = (w["package"]["name"], w["package"]["version"], w["advisory"]["id"])
            found[key] += 1
            kinds[key] = kind
    return found, kinds, yanked


def assay(path, truth):
    with open(path) as f:
        r = json.load(f)
    found = Counter()
    for f_ in r["findings"]:
        if f_["kind"] != "vulnerability":
            continue
        record = f_["references"][0].rsplit("/", 1)[-1]
        adv = truth[record]
        shown = f_["rule_id"]
        assert shown == record or shown in adv["aliases"], (shown, record)
        found[(f_["package"]["name"], f_["package"]["version"], record)] += 1
    return found


def expected(lock_path, truth):
    """The findings the OSV evaluation of the advisories gives for the crates.io packages."""
    with open(lock_path, "rb") as f:
        lock = tomllib.load(f)
    by_crate = {}
    for adv in truth.values():
        if not adv["withdrawn"]:
            by_crate.setdefault(adv["package"], []).append(adv)
    found = Counter()
    for p in lock.get("package", []):
        if p.get("source") not in CRATES_IO:
            continue
        for adv in by_crate.get(p["name"], []):
            if affected(adv, p["version"]):
                found[(p["name"], p["version"], adv["id"])] += 1
    return found


def coverage(lock_path, truth):
    """What the lock exercises: for each requirement shape, how many (package, advisory)
    pairs of crates.io packages the OSV evaluation says affected and not affected; plus the
    withdrawn advisories that would match (both tools must skip them), the informational
    ones and those limited to an OS (neither tool filters by target here) that do match."""
    with open(lock_path, "rb") as f:
        lock = tomllib.load(f)
    by_crate = {}
    for adv in truth.values():
        by_crate.setdefault(adv["package"], []).append(adv)
    shapes = {}
    extra = Counter()
    for p in lock.get("package", []):
        if p.get("source") not in CRATES_IO:
            continue
        for adv in by_crate.get(p["name"], []):
            hit = affected(adv, p["version"])
            if adv["withdrawn"]:
                extra["withdrawn, would match"] += hit
                continue
            yes_no = shapes.setdefault(adv["shape"], [0, 0])
            yes_no[0 if hit else 1] += 1
            if hit and adv["informational"]:
                extra[f"informational ({adv['informational']}), matching"] += 1
            if hit and adv["os"]:
                extra["limited to an OS, matching"] += 1
    return shapes, extra


def main():
    with open(sys.argv[1]) as f:
        truth = {a["id"]: a for a in json.load(f)}
    args = sys.argv[2:]
    unexplained = 0
    rows = []
    details = []
    for i in range(0, len(args), 4):
        name, lock_path, ca_path, assay_path = args[i : i + 4]
        sources = lock_sources(lock_path)
        ca, kinds, _ = cargo_audit(ca_path)
        asy = assay(assay_path, truth)
        want = expected(lock_path, truth)
        both = ca & asy
        only_ca = ca - asy
        only_assay = asy - ca
        info = sum(n for k, n in both.items() if kinds[k] != "vulnerability")
        rows.append((name, sum(want.values()), f"{sum(ca.values())} ({info})", sum(asy.values()),
                     sum(both.values()), sum(only_ca.values()), sum(only_assay.values()),
                     "yes" if ca == want else "no", "yes" if asy == want else "no"))
        for (crate, version, adv_id), n in sorted(only_assay.items()):
            adv = truth[adv_id]
            why = "unexplained"
            listed = sources.get((crate, version), [])
            if listed and all(s == "sparse+https://index.crates.io/" for s in listed):
                # rustsec's Query::matches compares the package's source with the advisory's
                # (default: the crates.io git index) by kind: SparseRegistry != Registry, so
                # the crates.io sparse form never matches (the OSV evaluation says affected).
                why = "crates.io through its sparse index: cargo-audit compares source kinds"
            elif listed and not any(s in CRATES_IO for s in listed):
                # cargo-audit matches only packages from crates.io (`is_default_registry`);
                # assay matches every package with a source.
                why = "source not crates.io: " + ", ".join(s.split("+")[0] for s in listed)
            details.append(f"{name}: assay only: {crate} {version} {adv_id} x{n} "
                           f"({adv['shape']}): {why}")
            unexplained += why == "unexplained"
        for (crate, version, adv_id), n in sorted(only_ca.items()):
            adv = truth[adv_id]
            details.append(f"{name}: cargo-audit only: {crate} {version} {adv_id} x{n} "
                           f"({adv['shape']}, {kinds[(crate, version, adv_id)]}): unexplained")
            unexplained += 1
    print("| lock | expected (OSV evaluation) | cargo-audit (of which informational warnings) | "
          "assay | same | cargo-audit only | assay only | cargo-audit = expected | assay = expected |")
    print("|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(str(x) for x in row) + " |")
    for d in details:
        print(f"- {d}")
    for i in range(0, len(args), 4):
        name, lock_path = args[i : i + 2]
        shapes, extra = coverage(lock_path, truth)
        print(f"{name}: (package, advisory) pairs affected/not affected by requirement shape: "
              + ", ".join(f"{k} {a}/{n}" for k, (a, n) in sorted(shapes.items()))
              + "; " + ", ".join(f"{k} {v}" for k, v in sorted(extra.items())))
    print(f"unexplained differences: {unexplained}")
    sys.exit(1 if unexplained else 0)


if __name__ == "__main__":
    main()

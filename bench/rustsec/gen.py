#!/usr/bin/env python3
"""The same advisory data for cargo-audit and assay, from one source of truth.

The RustSec advisory-db cannot be fetched from this workplace (GitHub is unreachable and no
registry carries it), so this writes a synthetic but well-formed one: COUNT advisories
(bench/cargo-audit.sh uses 1000) over the crates of the given Cargo.lock files (two thirds)
and over other real crate names (the rest), deterministic for a given SEED. Every advisory is one Python dict
(`make_advisories`); from it come

* OUT/advisory-db/crates/<crate>/RUSTSEC-YYYY-NNNN.md: RustSec's format (a ```toml front
  matter with [advisory], optional [affected], [versions] patched/unaffected, then `# title`
  and the description), made a git repository with a fixed commit date, as cargo-audit wants;
* OUT/osv/RUSTSEC-YYYY-NNNN.json: the OSV record RustSec's own export (rustsec crate 0.33,
  `OsvAdvisory::from_rustsec`) makes of it: one `affected` entry with one `SEMVER` range whose
  events come from `ranges_for_advisory` (ported below: the unaffected/patched requirements
  become unaffected intervals, sorted, and the gaps between them are the affected ranges;
  `introduced: 0.0.0-0` when unbounded below, exclusive bounds bumped with rustsec's
  `increment`); `informational`, `categories`, `cvss` under `database_specific`, aliases,
  severity, references, `withdrawn`;
* OUT/truth.json: the advisories as written (id, package, aliases, informational, withdrawn);
* OUT/locks/edge/Cargo.lock: the edge cases of `edge_lock` (source kinds, build metadata,
  pre-releases next to a fix) over crates the advisories affect.

The version requirements are chosen around the versions the locks pin, so that matches and
near misses (fixed exactly at the pinned version, a backport line just above or below it,
`<=`/`=`/`~`/`^` bounds, pre-release fixes) are all exercised. Usage:

    gen.py OUT SEED COUNT LOCK...
"""
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tomllib

CRATES_IO = "registry+https://github.com/rust-lang/crates.io-index"

# ---------------------------------------------------------------------------------------------
# SemVer (precedence as SemVer 2.0 / the semver crate without build metadata)

VERSION_RE = re.compile(r"^(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+([0-9A-Za-z.-]+))?$")


class V:
    def __init__(self, major, minor, patch, pre=""):
        self.major, self.minor, self.patch, self.pre = major, minor, patch, pre

    @staticmethod
    def parse(text):
        m = VERSION_RE.match(text)
        if not m:
            raise ValueError(f"not a semver version: {text}")
        return V(int(m[1]), int(m[2]), int(m[3]), m[4] or "")

    def key(self):
        # SemVer 2.0 precedence: a pre-release sorts before the release; identifiers compare
        # numerically when numeric (and below alphanumerics), else in ASCII order; more
        # identifiers win when all before are equal.
        if not self.pre:
            pre = (1,)
        else:
            ids = []
            for part in self.pre.split("."):
                ids.append((0, int(part), "") if part.isdigit() else (1, 0, part))
            pre = (0, tuple(ids))
        return (self.major, self.minor, self.patch, pre)

    def __lt__(self, o):
        return self.key() < o.key()

    def __le__(self, o):
        return self.key() <= o.key()

    def __eq__(self, o):
        return self.key() == o.key()

    def __hash__(self):
        return hash(self.key())

    def __str__(self):
        return f"{self.major}.{self.minor}.{self.patch}" + (f"-{self.pre}" if self.pre else "")


def increment(v):
    """rustsec's `increment`: the smallest version above `v`."""
    if not v.pre:
        return V(v.major, v.minor, v.patch + 1, "0")
    return V(v.major, v.minor, v.patch, v.pre + ".0")


# ---------------------------------------------------------------------------------------------
# rustsec's conversion of [versions] to OSV ranges (src/osv/unaffected_range.rs and
# ranges_for_advisory.rs), for the requirement shapes this generator writes.

COMP_RE = re.compile(r"^(>=|<=|>|<|=|\^|~)?\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?$")


def comparator(text):
    m = COMP_RE.match(text.strip())
    if not m:
        raise ValueError(f"unsupported comparator: {text}")
    op = m[1] or "^"
    major = int(m[2])
    minor = None if m[3] is None else int(m[3])
    patch = None if m[4] is None else int(m[4])
    return op, major, minor, patch, m[5] or ""


def unaffected_interval(req):
    """(start, end) bounds of one requirement: None, ('inc', V) or ('exc', V)."""
    comps = [comparator(c) for c in req.split(",")]
    assert len(comps) <= 2, req
    start = end = None
    for op, major, minor, patch, pre in comps:
        v = V(major, minor or 0, patch or 0, pre)
        if op == ">":
            start = ("exc", v)
        elif op == ">=":
            start = ("inc", v)
        elif op == "<":
            end = ("exc", v)
        elif op == "<=":
            end = ("inc", v)
        elif op == "=":
            assert len(comps) == 1
            start, end = ("inc", v), ("inc", v)
        elif op == "^":
            assert len(comps) == 1
            if major == 0:
                if minor == 0 and patch is not None:
                    e = V(0, 0, patch + 1, "0")
                elif minor is not None:
                    e = V(0, minor + 1, 0, "0")
                else:
                    e = V(1, 0, 0, "0")
            else:
                e = V(major + 1, 0, 0, "0")
            start, end = ("inc", v), ("exc", e)
        elif op == "~":
            assert len(comps) == 1
            e = V(major + 1, 0, 0, "0") if minor is None else V(major, minor + 1, 0, "0")
            start, end = ("inc", v), ("exc", e)
    return start, end


def less_or_equal(start, end):
    if start is None or end is None:
        return True
    if start[1] < end[1]:
        return True
    return start[0] == "inc" and end[0] == "inc" and start[1] == end[1]


def osv_ranges(patched, unaffected):
    """[(introduced or None, fixed or None)] as rustsec computes them."""
    intervals = [unaffected_interval(r) for r in unaffected + patched]
    if not intervals:
        return [(None, None)]
    for i, a in enumerate(intervals):
        for b in intervals[i + 1 :]:
            if less_or_equal(a[0], b[1]) and less_or_equal(b[0], a[1]):
                raise ValueError(f"overlapping requirements {unaffected + patched}")
    intervals.sort(key=lambda iv: (0,) if iv[0] is None else (1, iv[0][1].key()))
    out = []
    first = intervals[0][0]
    if first is not None:
        out.append((None, increment(first[1]) if first[0] == "exc" else first[1]))
    for a, b in zip(intervals, intervals[1:]):
        start = a[1][1] if a[1][0] == "exc" else increment(a[1][1])
        end = increment(b[0][1]) if b[0][0] == "exc" else b[0][1]
        out.append((start, end))
    last = intervals[-1][1]
    if last is not None:
        out.append((last[1] if last[0] == "exc" else increment(last[1]), None))
    return out


# ---------------------------------------------------------------------------------------------
# The advisories

CATEGORIES = [
    "code-execution", "crypto-failure", "denial-of-service", "file-disclosure",
    "format-injection", "memory-corruption", "memory-exposure", "privilege-escalation",
    "thread-safety",
]
CVSS = [
    "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
    "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H",
    "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N",
    "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H",
    "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N",
    "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:L/A:N",
    "CVSS:3.1/AV:L/AC:H/PR:N/UI:N/S:U/C:L/I:N/A:N",
]
TITLES = [
    "Use after free in {c}", "Data race in {c}", "Denial of service via unbounded allocation in {c}",
    "Out-of-bounds read in {c}", "Panic on malformed input in {c}", "Timing side channel in {c}",
    "Path traversal in {c}", "Stack overflow on deeply nested input in {c}",
    "Uninitialized memory exposure in {c}", "Integer overflow leads to heap corruption in {c}",
]
INFO_TITLES = {
    "unmaintained": "{c} is unmaintained",
    "unsound": "Unsound `Send` implementation in {c}",
    "notice": "{c} has been renamed",
}


def read_locks(paths):
    """{name: set(V)} of the crates.io packages of the locks."""
    crates = {}
    for path in paths:
        with open(path, "rb") as f:
            lock = tomllib.load(f)
        for p in lock.get("package", []):
            if p.get("source") != CRATES_IO:
                continue
            try:
                v = V.parse(p["version"])
            except ValueError:
                continue
            crates.setdefault(p["name"], set()).add(v)
    return crates


def requirements(rng, pinned):
    """(patched, unaffected) around `pinned` (a version a lock holds), in one of the shapes
    RustSec advisories use. Build metadata never appears in requirements."""
    ma, mi, pa = pinned.major, pinned.minor, pinned.patch
    nxt = V(ma, mi, pa + 1)
    below = V(ma, mi, pa - 1) if pa > 0 else (V(ma, mi - 1, 3) if mi > 0 else V(ma, 0, 0, "alpha.1"))
    shape = rng.choice([
        "fixed_above", "fixed_above", "fixed_at", "fixed_below", "backport_hit", "backport_miss",
        "introduced_later", "introduced_window", "no_fix", "no_fix_introduced", "tilde",
        "le_unaffected", "exact_unaffected", "pre_fix_below", "pre_fix_above", "caret_partial",
        "next_minor", "two_comparators",
    ])
    if shape == "fixed_above":
        return shape, [f">= {nxt}"], []
    if shape == "fixed_at":
        return shape, [f">= {pinned.major}.{mi}.{pa}"], []
    if shape == "fixed_below":
        return shape, [f">= {below}"], []
    if shape == "backport_hit":
        # The pinned line got a backport one patch above the pinned version; the next line
        # (minor or major) is fixed from its start.
        upper = V(ma + 1, 0, 0) if ma > 0 else V(0, mi + 1, 0)
        return shape, [f"^{nxt}", f">= {upper}"], []
    if shape == "backport_miss":
        upper = V(ma + 1, 0, 0) if ma > 0 else V(0, mi + 1, 0)
        return shape, [f"^{ma}.{mi}.{pa}", f">= {upper}"], []
    if shape == "introduced_later":
        intro = V(ma, mi + 1, 0)
        return shape, [f">= {ma}.{mi + 1}.4"], [f"< {intro}"]
    if shape == "introduced_window":
        lo = V(ma, mi, 0) if pa > 0 else V(ma, max(mi - 1, 0), 0)
        if lo == pinned:
            lo = V(ma, mi, 0, "beta.1")
        return shape, [f">= {nxt}"], [f"< {lo}"]
    if shape == "no_fix":
        return shape, [], []
    if shape == "no_fix_introduced":
        return shape, [], [f"< {rng.choice([pinned, nxt, below])}"]
    if shape == "tilde":
        upper = V(ma, mi + 1, 0)
        return shape, [f"~{ma}.{mi}.{rng.choice([pa, pa + 1])}", f">= {upper}"], []
    if shape == "le_unaffected":
        # `<= X` is unaffected: introduced at rustsec's increment(X), X.patch+1-0.
        return shape, [f">= {V(ma, mi, pa + 2)}"], [f"<= {rng.choice([pinned, below])}"]
    if shape == "exact_unaffected":
        # One release was never affected (`= X`): the range restarts at increment(X).
        return shape, [f">= {V(ma, mi, pa + 1)}"], [f"= {rng.choice([pinned, below])}"]
    if shape == "pre_fix_below":
        # Fixed in a pre-release of the pinned version: the release is fixed.
        return shape, [f">= {ma}.{mi}.{pa}-rc.1"], []
    if shape == "pre_fix_above":
        return shape, [f">= {ma}.{mi}.{pa + 1}-alpha.2"], []
    if shape == "caret_partial":
        # `^0.N` / `^N` written without patch, as older advisories do.
        if ma == 0:
            return shape, [f"^0.{mi}" if rng.random() < 0.5 else f"^0.{mi + 1}", f">= 0.{mi + 2}.0"], []
        return shape, [f"^{ma}" if rng.random() < 0.5 else f"^{ma + 1}", f">= {ma + 2}.0.0"], []
    if shape == "next_minor":
        return shape, [f">= {ma}.{mi + 1}.0"], []
    # two_comparators: a window written with two comparators that was never affected (the
    # pinned release alone, or the releases just below it), then a fix.
    if rng.random() < 0.5:
        window = f">= {ma}.{mi}.{pa}, < {ma}.{mi}.{pa + 1}"
    else:
        window = f"> {below}, < {ma}.{mi}.{pa}"
    return shape, [f">= {ma}.{mi}.{pa + 3}"], [window]


def make_advisories(crates, fillers, seed, count):
    rng = random.Random(seed)
    names = sorted(crates)
    per_year = {}
    out = []
    for i in range(count):
        in_lock = i < count * 2 // 3 and names
        if in_lock:
            name = rng.choice(names)
            pinned = rng.choice(sorted(crates[name], key=V.key))
        else:
            name = fillers[i % len(fillers)]
            pinned = V(rng.randrange(0, 3), rng.randrange(0, 12), rng.randrange(0, 9))
        year = rng.randrange(2017, 2026)
        per_year[year] = per_year.get(year, 0) + 1
        adv_id = f"RUSTSEC-{year}-{per_year[year]:04d}"
        informational = rng.choices([None, "unmaintained", "unsound", "notice"], [85, 8, 5, 2])[0]
        shape, patched, unaffected = requirements(rng, pinned)
        if informational == "unmaintained":
            shape, patched, unaffected = "no_fix", [], []
        osv_ranges(patched, unaffected)  # rejects overlaps before anything is written
        aliases = []
        if informational is None and rng.random() < 0.6:
            aliases.append(f"CVE-{year}-{10000 + 37 * i + rng.randrange(30)}")
        if informational is None and rng.random() < 0.5:
            g = "".join(rng.choice("23456789cfghjmpqrvwx") for _ in range(12))
            aliases.append(f"GHSA-{g[:4]}-{g[4:8]}-{g[8:]}")
        adv = {
            "id": adv_id,
            "package": name,
            "date": f"{year}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}",
            "url": f"https://github.com/rustsec/advisory-db/issues/{1000 + i}",
            "title": (INFO_TITLES[informational] if informational else rng.choice(TITLES)).format(c=name),
            "description": (f"The maintainers of `{name}` no longer answer; consider alternatives."
                            if informational == "unmaintained" else
                            f"Affected versions of `{name}` have this issue; upgrade to a patched "
                            "version.") + f" (Synthetic advisory, requirement shape: {shape}.)",
            "categories": [] if informational else sorted(set(rng.sample(CATEGORIES, rng.randrange(1, 3)))),
            "keywords": ["synthetic", shape.replace("_", "-")],
            "aliases": aliases,
            "cvss": rng.choice(CVSS) if informational is None and rng.random() < 0.6 else None,
            "informational": informational,
            "withdrawn": f"{min(year + 1, 2025)}-06-01" if rng.random() < 0.02 else None,
            "os": ["windows"] if rng.random() < 0.04 else [],
            "functions": {f"{name.replace('-', '_')}::parse": patched or ["*"]} if rng.random() < 0.1 and patched else {},
            "patched": patched,
            "unaffected": unaffected,
            "shape": shape,
            "in_lock": bool(in_lock),
        }
        out.append(adv)
    return out


def toml_list(items):
    return "[" + ", ".join(json.dumps(x) for x in items) + "]"


def write_rustsec(adv, root):
    lines = ["```toml", "[advisory]", f'id = "{adv["id"]}"', f'package = "{adv["package"]}"',
             f'date = "{adv["date"]}"', f'url = "{adv["url"]}"']
    if adv["categories"]:
        lines.append(f"categories = {toml_list(adv['categories'])}")
    lines.append(f"keywords = {toml_list(adv['keywords'])}")
    if adv["aliases"]:
        lines.append(f"aliases = {toml_list(adv['aliases'])}")
    if adv["cvss"]:
        lines.append(f'cvss = "{adv["cvss"]}"')
    if adv["informational"]:
        lines.append(f'informational = "{adv["informational"]}"')
    if adv["withdrawn"]:
        lines.append(f'withdrawn = "{adv["withdrawn"]}"')
    if adv["os"] or adv["functions"]:
        lines += ["", "[affected]"]
        if adv["os"]:
            lines.append(f"os = {toml_list(adv['os'])}")
        if adv["functions"]:
            lines.append("functions = { " + ", ".join(
                f'"{k}" = {toml_list(v)}' for k, v in adv["functions"].items()) + " }")
    lines += ["", "[versions]", f"patched = {toml_list(adv['patched'])}"]
    if adv["unaffected"]:
        lines.append(f"unaffected = {toml_list(adv['unaffected'])}")
    lines += ["```", "", f"# {adv['title']}", "", adv["description"], ""]
    d = os.path.join(root, "crates", adv["package"])
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, adv["id"] + ".md"), "w") as f:
        f.write("\n".join(lines))


def osv_record(adv):
    events = []
    for introduced, fixed in osv_ranges(adv["patched"], adv["unaffected"]):
        events.append({"introduced": str(introduced) if introduced else "0.0.0-0"})
        if fixed:
            events.append({"fixed": str(fixed)})
    refs = [
        {"type": "PACKAGE", "url": f"https://crates.io/crates/{adv['package']}"},
        {"type": "ADVISORY", "url": f"https://rustsec.org/advisories/{adv['id']}.html"},
        {"type": "REPORT", "url": adv["url"]},
    ]
    rec = {
        "id": adv["id"],
        "modified": "2025-11-01T00:00:00Z",
        "published": f"{adv['date']}T12:00:00Z",
        "aliases": adv["aliases"],
        "related": [],
        "summary": adv["title"],
        "details": adv["description"],
        "severity": [{"type": "CVSS_V3", "score": adv["cvss"]}] if adv["cvss"] else [],
        "affected": [{
            "package": {"ecosystem": "crates.io", "name": adv["package"],
                        "purl": f"pkg:cargo/{adv['package']}"},
            "ecosystem_specific": {"affects": {"arch": [], "os": adv["os"],
                                               "functions": sorted(adv["functions"])},
                                   "affected_functions": None},
            "database_specific": {"categories": adv["categories"], "cvss": adv["cvss"],
                                  "informational": adv["informational"]},
            "ranges": [{"type": "SEMVER", "events": events}],
            "versions": [],
        }],
        "references": refs,
        "database_specific": {"license": "CC0-1.0"},
    }
    if adv["withdrawn"]:
        rec["withdrawn"] = f"{adv['withdrawn']}T12:00:00Z"
    return rec


def affected(adv, version):
    """Whether `version` is inside one of the advisory's OSV ranges (introduced <= v < fixed,
    SemVer precedence): what both tools should say, used to choose the edge lock's cases."""
    v = V.parse(version)
    return any((i is None or i <= v) and (f is None or v < f)
               for i, f in osv_ranges(adv["patched"], adv["unaffected"]))


def edge_lock(advisories, crates):
    """A Cargo.lock of the cases where the tools' rules could differ: affected versions of
    crates.io crates listed only from a git repository, an alternative registry, the sparse
    crates.io index or as a path (workspace) crate (one crate per source kind, plus two from
    crates.io as controls); build metadata on an affected version; a pre-release of the fixed
    version (below the fix, so affected) and the fixed version itself."""
    sources = [
        CRATES_IO,
        "git+https://github.com/example/{n}?rev=0123456#0123456789abcdef0123456789abcdef01234567",
        "registry+https://registry.example.com/index",
        "sparse+https://index.crates.io/",
        None,
        CRATES_IO,
    ]
    chosen = []
    seen = set()
    for adv in advisories:
        if adv["informational"] or adv["withdrawn"] or adv["package"] in seen or not adv["in_lock"]:
            continue
        hits = sorted((v for v in crates.get(adv["package"], ()) if affected(adv, str(v))), key=V.key)
        if not hits:
            continue
        fixes = sorted((f for _, f in osv_ranges(adv["patched"], adv["unaffected"])
                        if f and not f.pre and hits[0] < f), key=V.key)
        if fixes:
            chosen.append((adv, hits[0], fixes[0]))
            seen.add(adv["package"])
        if len(chosen) == len(sources):
            break
    pkgs = []
    for (adv, hit, fix), src in zip(chosen, sources):
        n = adv["package"]
        pkgs.append((n, str(hit), src.format(n=n) if src else None))
        pkgs.append((n, f"{hit}+vendor.1", CRATES_IO))
        pkgs.append((n, f"{fix.major}.{fix.minor}.{fix.patch}-rc.1", CRATES_IO))
        pkgs.append((n, str(fix), CRATES_IO))
    lines = ["# Generated by bench/rustsec/gen.py: source kinds and version edge cases.", "version = 3", ""]
    for n, v, src in sorted(set(pkgs), key=lambda p: (p[0], V.parse(p[1]).key(), p[1], p[2] or "")):
        lines += ["[[package]]", f'name = "{n}"', f'version = "{v}"']
        if src:
            lines.append(f'source = "{src}"')
        lines.append("")
    return "\n".join(lines)


def git(root, *args):
    env = dict(os.environ, GIT_AUTHOR_NAME="bench", GIT_AUTHOR_EMAIL="bench@localhost",
               GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="bench@localhost",
               GIT_AUTHOR_DATE="2025-11-01T00:00:00Z", GIT_COMMITTER_DATE="2025-11-01T00:00:00Z")
    subprocess.run(["git", "-C", root, *args], check=True, env=env, stdout=subprocess.DEVNULL)


def main():
    out, seed, count, locks = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
    crates = read_locks(locks)
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "filler-crates.txt")) as f:
        fillers = [n.strip() for n in f if n.strip() and not n.startswith("#") and n.strip() not in crates]
    advisories = make_advisories(crates, fillers, seed, count)

    db = os.path.join(out, "advisory-db")
    osv = os.path.join(out, "osv")
    shutil.rmtree(db, ignore_errors=True)
    shutil.rmtree(osv, ignore_errors=True)
    os.makedirs(db)
    os.makedirs(osv)
    for adv in advisories:
        write_rustsec(adv, db)
        with open(os.path.join(osv, adv["id"] + ".json"), "w") as f:
            json.dump(osv_record(adv), f, indent=2)
            f.write("\n")
    with open(os.path.join(db, "README.md"), "w") as f:
        f.write(f"Synthetic RustSec advisory database (bench/rustsec/gen.py, seed {seed}).\n")
    git(db, "init", "-q", "-b", "main")
    git(db, "add", "-A")
    git(db, "commit", "-q", "-m", f"synthetic advisories, seed {seed}")
    os.makedirs(os.path.join(out, "locks", "edge"), exist_ok=True)
    with open(os.path.join(out, "locks", "edge", "Cargo.lock"), "w") as f:
        f.write(edge_lock(advisories, crates))
    with open(os.path.join(out, "truth.json"), "w") as f:
        json.dump(advisories, f, indent=1, sort_keys=True)
    shapes = {}
    for a in advisories:
        shapes[a["shape"]] = shapes.get(a["shape"], 0) + 1
    print(f"{len(advisories)} advisories ({sum(a['in_lock'] for a in advisories)} on crates of the locks, "
          f"{sum(1 for a in advisories if a['informational'])} informational, "
          f"{sum(1 for a in advisories if a['withdrawn'])} withdrawn) over {len(crates)} crates; shapes: "
          + ", ".join(f"{k} {v}" for k, v in sorted(shapes.items())))


if __name__ == "__main__":
    main()

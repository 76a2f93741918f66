//! Go module ordering: golang.org/x/mod `semver/semver_test.go`, plus OSV's `v`-less form,
//! `+incompatible` and pseudo-versions.
#![allow(clippy::unwrap_used)]

mod common;

use std::cmp::Ordering;

use assay_vuln::Scheme;
use common::{check, check_all, check_invalid};

/// `tests` of semver_test.go: `(in, canonical)`, in increasing order; `""` marks invalid.
const TESTS: &[(&str, &str)] = &[
    ("bad", ""),
    ("v1-alpha.beta.gamma", ""),
    ("v1-pre", ""),
    ("v1+meta", ""),
    ("v1-pre+meta", ""),
    ("v1.2-pre", ""),
    ("v1.2+meta", ""),
    ("v1.2-pre+meta", ""),
    ("v1.0.0-alpha", "v1.0.0-alpha"),
    ("v1.0.0-alpha.1", "v1.0.0-alpha.1"),
    ("v1.0.0-alpha.beta", "v1.0.0-alpha.beta"),
    ("v1.0.0-beta", "v1.0.0-beta"),
    ("v1.0.0-beta.2", "v1.0.0-beta.2"),
    ("v1.0.0-beta.11", "v1.0.0-beta.11"),
    ("v1.0.0-rc.1", "v1.0.0-rc.1"),
    ("v1", "v1.0.0"),
    ("v1.0", "v1.0.0"),
    ("v1.0.0", "v1.0.0"),
    ("v1.2", "v1.2.0"),
    ("v1.2.0", "v1.2.0"),
    ("v1.2.3-456", "v1.2.3-456"),
    ("v1.2.3-456.789", "v1.2.3-456.789"),
    ("v1.2.3-456-789", "v1.2.3-456-789"),
    ("v1.2.3-456a", "v1.2.3-456a"),
    ("v1.2.3-pre", "v1.2.3-pre"),
    ("v1.2.3-pre+meta", "v1.2.3-pre"),
    ("v1.2.3-pre.1", "v1.2.3-pre.1"),
    ("v1.2.3-zzz", "v1.2.3-zzz"),
    ("v1.2.3", "v1.2.3"),
    ("v1.2.3+meta", "v1.2.3"),
    ("v1.2.3+meta-pre", "v1.2.3"),
    ("v1.2.3+meta-pre.sha.256a", "v1.2.3"),
];

/// TestCompare: every valid pair, equal when canonical forms are equal, else by position.
#[test]
fn semver_test_go_compare() {
    let valid: Vec<(usize, &(&str, &str))> = TESTS
        .iter()
        .enumerate()
        .filter(|(_, t)| !t.1.is_empty())
        .collect();
    for (i, (a, ca)) in &valid {
        for (j, (b, cb)) in &valid {
            let want = if ca == cb { Ordering::Equal } else { i.cmp(j) };
            check(Scheme::Go, a, want, b);
        }
    }
    check_all(
        Scheme::Go,
        &[("v1", "=", "v1"), ("v2", ">", "v1"), ("v1", "<", "v2")],
    );
}

/// The stored copy of semver_test.go also lists `{"v1.19", "v1.2", -1}`, which contradicts
/// `compareInt` (numeric: 19 > 2) in the same package; we follow the code, not that line.
#[test]
fn minor_compares_numerically() {
    check(Scheme::Go, "v1.19", Ordering::Greater, "v1.2");
}

#[test]
fn semver_test_go_invalid() {
    let invalid: Vec<&str> = TESTS
        .iter()
        .filter(|t| t.1.is_empty())
        .map(|t| t.0)
        .collect();
    check_invalid(Scheme::Go, &invalid);
    check_invalid(
        Scheme::Go,
        &[
            "", "v", "v01.2.3", "v1.02.3", "1.2.3-01", "v1.2.3-", "v1.2.3+", "v1.2.3.4",
        ],
    );
}

/// OSV Go records omit the `v`; `+incompatible` is build metadata; pseudo-versions order
/// by their timestamp (module reference: go.dev/ref/mod#pseudo-versions).
#[test]
fn module_versions() {
    check_all(
        Scheme::Go,
        &[
            ("1.2.3", "=", "v1.2.3"),
            ("v2.0.0+incompatible", "=", "v2.0.0"),
            ("v2.0.1+incompatible", ">", "v2.0.0+incompatible"),
            (
                "v0.0.0-20191109021931-daa7c04131f5",
                "<",
                "v0.0.0-20200101000000-aaaaaaaaaaaa",
            ),
            ("v0.0.0-20191109021931-daa7c04131f5", "<", "v0.1.0"),
            ("v1.2.4-0.20191109021931-daa7c04131f5", ">", "v1.2.3"),
            ("v1.2.4-0.20191109021931-daa7c04131f5", "<", "v1.2.4"),
            (
                "v1.2.4-pre.0.20191109021931-daa7c04131f5",
                ">",
                "v1.2.4-pre",
            ),
            (
                "0.0.0-20220722155217-630584e8d5aa",
                "<",
                "0.0.0-20220906165146-f3363e06e74c",
            ),
            ("1.10.0", ">", "1.9.9"),
        ],
    );
}

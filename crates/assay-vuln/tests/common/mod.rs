//! Shared assertions for the version-ordering vector tests.
#![allow(clippy::unwrap_used, dead_code)]

use std::cmp::Ordering;

use assay_vuln::{Scheme, compare};

/// Parses `<`, `=`/`==`, `>` (and rpm's -1/0/1) into an ordering.
pub fn op(s: &str) -> Ordering {
    match s {
        "<" | "-1" => Ordering::Less,
        "=" | "==" | "0" => Ordering::Equal,
        ">" | "1" => Ordering::Greater,
        other => panic!("bad operator {other:?}"),
    }
}

/// Asserts `a op b` under `scheme`, and that the reverse comparison is the reverse.
pub fn check(scheme: Scheme, a: &str, expected: Ordering, b: &str) {
    let got = compare(scheme, a, b).unwrap_or_else(|e| panic!("{scheme}: {a:?} vs {b:?}: {e}"));
    assert_eq!(got, expected, "{scheme}: {a:?} vs {b:?}");
    let back = compare(scheme, b, a).unwrap_or_else(|e| panic!("{scheme}: {b:?} vs {a:?}: {e}"));
    assert_eq!(
        back,
        expected.reverse(),
        "{scheme}: antisymmetry of {a:?} vs {b:?}"
    );
}

/// Runs `(a, op, b)` triples.
pub fn check_all(scheme: Scheme, cases: &[(&str, &str, &str)]) -> usize {
    for (a, o, b) in cases {
        check(scheme, a, op(o), b);
    }
    cases.len()
}

/// Asserts every earlier version in `sorted` is below every later one (both directions).
pub fn check_sorted(scheme: Scheme, sorted: &[&str]) -> usize {
    let mut n = 0;
    for (i, a) in sorted.iter().enumerate() {
        check(scheme, a, Ordering::Equal, a);
        for b in &sorted[i + 1..] {
            check(scheme, a, Ordering::Less, b);
            n += 1;
        }
    }
    n
}

/// Asserts each version is rejected.
pub fn check_invalid(scheme: Scheme, versions: &[&str]) {
    for v in versions {
        assert!(
            compare(scheme, v, v).is_err(),
            "{scheme}: {v:?} should be invalid"
        );
    }
}

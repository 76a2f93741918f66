//! Composer ordering: cases in the shape of composer/semver's `tests/ComparatorTest.php` (on
//! normalised versions), `tests/VersionParserTest.php` (`successfulNormalizedVersions`,
//! `failingNormalizedVersions`) and `tests/SemverTest.php` (sort). Those files are not
//! published in a registry reachable here, so these were written by memory and then checked
//! against composer/semver 3.3.2 itself (`VersionParser::normalize`, `Comparator`): every case
//! agrees. `version_oracles.rs` adds 3,000 pairs the reference ordered.
#![allow(clippy::unwrap_used)]

mod common;

use assay_vuln::Scheme;
use common::{check_all, check_invalid, check_sorted};

/// ComparatorTest: greaterThan / lessThan / equalTo providers.
const COMPARATOR: &[(&str, &str, &str)] = &[
    ("1.25.0", ">", "1.24.0"),
    ("1.25.0", ">", "1.25.0-beta"),
    ("1.25.0", "=", "1.25.0"),
    ("1.25.0", ">", "1.24.0-dev"),
    ("1.24.0", "<", "1.25.0"),
    ("1.25.0-beta", "<", "1.25.0"),
    ("1.0.0", "=", "1.0.0.0"),
    ("1.0", "=", "1.0.0"),
    ("1.0.0-rc1", "<", "1.0.0"),
    ("1.0.0-RC2", ">", "1.0.0-rc1"),
    ("1.0.0-alpha", "<", "1.0.0-beta"),
    ("1.0.0-dev", "<", "1.0.0-alpha"),
    ("1.0.0-patch1", ">", "1.0.0"),
    ("1.0.0-pl1", "=", "1.0.0-patch1"),
    ("v1.0.0", "=", "1.0.0"),
    ("1.0.0+build", "=", "1.0.0"),
    ("1.0.0@stable", "=", "1.0.0"),
    ("dev-master", ">", "9999.0.0"),
    ("dev-foo", "<", "0.0.1"),
    ("2.x-dev", ">", "2.99.0"),
    ("1.0.x-dev", "<", "1.1.0"),
    ("2010-01-02", ">", "2010-01-01"),
    ("20100102", ">", "2010.01.01"),
];

/// SemverTest::sort provider (normalised sort order).
const SORTED: &[&str] = &[
    "1.0-dev",
    "1.0-alpha1",
    "1.0-beta1",
    "1.0-RC1",
    "1.0",
    "1.0-patch1",
    "1.0.1",
    "1.1",
    "2.0",
    "9999999-dev",
];

/// VersionParserTest::failingNormalizedVersions.
const INVALID: &[&str] = &[
    "",
    "a",
    "1.0.0-meh",
    "1.0.0.0.0",
    "feature-foo",
    "1.0.0+foo bar",
    "1.0.0-SNAPSHOT",
    "1.0.0 as 2.0.0 as 3.0.0",
    "^1",
    "^1.0",
    "~1",
    "1.*",
    ">1.0",
    "1.0.0 - 2.0.0",
];

#[test]
fn comparator_cases() {
    check_all(Scheme::Composer, COMPARATOR);
}

#[test]
fn semver_sort_order() {
    check_sorted(Scheme::Composer, SORTED);
}

#[test]
fn rejects_what_normalize_rejects() {
    check_invalid(Scheme::Composer, INVALID);
}

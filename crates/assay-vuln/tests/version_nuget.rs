//! NuGet ordering: cases of NuGet.Client's NuGet.Versioning tests
//! (`VersionComparerTests`, `NuGetVersionTest`, `SemanticVersionTest` parse cases).
#![allow(clippy::unwrap_used)]

mod common;

use assay_vuln::Scheme;
use common::{check_all, check_invalid, check_sorted};

/// VersionComparerTests.VersionComparisonDefaultEqual / Less.
const CASES: &[(&str, &str, &str)] = &[
    ("1.0.0", "=", "1.0.0"),
    ("1.0.0-BETA", "=", "1.0.0-beta"),
    ("1.0.0-BETA+AA", "=", "1.0.0-beta+aa"),
    ("1.0.0-BETA.X.y.5.77.0+AA", "=", "1.0.0-beta.x.y.5.77.0+aa"),
    ("1.0.0", "=", "1.0.0+beta"),
    ("1.0", "=", "1.0.0.0"),
    ("1", "=", "1.0.0"),
    ("1.0.0.0", "=", "1.0.0"),
    ("01.0.0", "=", "1.0.0"),
    ("1.0.0", "<", "1.0.1"),
    ("1.0.0-beta", "<", "1.0.0"),
    ("1.0.0-beta+AA", "<", "1.0.0+AA"),
    ("1.0.0-beta.1", "<", "1.0.0-beta.2"),
    ("1.0.0-beta.2", "<", "1.0.0-beta.10"),
    ("1.0.0-beta.1", "<", "1.0.0-beta.a"),
    ("1.0.0-beta", "<", "1.0.0-beta.1"),
    ("1.0.0.1", ">", "1.0.0"),
    ("1.0.0.1-alpha", ">", "1.0.0"),
    ("1.0.0-alpha", "<", "1.0.0-BETA"),
    ("  1.0.0  ", "=", "1.0.0"),
];

/// SemVer 2.0 precedence list, which NuGet follows for labels.
const SORTED: &[&str] = &[
    "1.0.0-alpha",
    "1.0.0-alpha.1",
    "1.0.0-alpha.beta",
    "1.0.0-beta",
    "1.0.0-beta.2",
    "1.0.0-beta.11",
    "1.0.0-rc.1",
    "1.0.0",
    "1.0.0.1",
    "1.0.1",
    "2.0.0",
];

/// NuGetVersionTest.NuGetVersionParseStrictReturnsFalseForInvalidStrings-style inputs.
const INVALID: &[&str] = &[
    "",
    "  ",
    "a",
    "1.2.3.4.5",
    "1.0.0-",
    "1.0.0+",
    "1.0.0-beta+",
    "1.0.0-beta.01",
    "1.0.0-beta..1",
    "1.0.0-be$ta",
    "-1.0.0",
    "1.-1.0",
    "v1.0.0",
    "1.0.0.0.0",
    "2147483648.0.0",
    "1..0",
];

#[test]
fn version_comparer_cases() {
    check_all(Scheme::NuGet, CASES);
}

#[test]
fn semver2_label_precedence() {
    check_sorted(Scheme::NuGet, SORTED);
}

#[test]
fn rejects_unparsable_versions() {
    check_invalid(Scheme::NuGet, INVALID);
}

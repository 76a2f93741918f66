//! NuGet ordering: cases of NuGet.Client's NuGet.Versioning tests
//! (`VersionComparerTests`, `NuGetVersionTest`, `SemanticVersionTest` parse cases). The first
//! tables were written from memory; `nuget_client_vectors` below holds the suites' own cases
//! as univers carries them (source named there), which found one bug: blanks inside a
//! version ("1.2. 3") were accepted.
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

// ---------------------------------------------------------------------------------------
// NuGet.Client's own vectors, as carried (converted to Python, Apache-2.0) by univers 32.0.1
// (PyPI sdist, tests/nuget/, extracted from NuGet.Client@588d5d5f
// test/NuGet.Core.Tests/NuGet.Versioning.Test): VersionComparerTests, NuGetVersionTest,
// SemVer201SpecTests. One case of VersionComparisonDefaultNotEqual ("1.0.0-BETA+AA" vs
// "1.0.0-beta") is left out: univers marks it FIXME, since NuGet's default comparer ignores
// metadata and the two are equal.

use assay_vuln::compare;

/// VersionComparisonDefaultEqual, ...EqualWithNuGetVersion, semverEqualsOperatorWorks,
/// EqualsIsTrueForEmptyRevision.
const NUGET_EQUAL: &[(&str, &str)] = &[
    ("1.0.0", "1.0.0"),
    ("1.0.0-BETA", "1.0.0-beta"),
    ("1.0.0-BETA+AA", "1.0.0-beta+aa"),
    ("1.0.0-BETA.X.y.5.77.0+AA", "1.0.0-beta.x.y.5.77.0+aa"),
    ("1.0.0", "1.0.0+beta"),
    ("1.0", "1.0.0.0"),
    ("1.0+test", "1.0.0.0"),
    ("1.0.0.1-1.2.A", "1.0.0.1-1.2.a+A"),
    ("1.0.01", "1.0.1.0"),
    ("1.23.01", "1.23.1"),
    ("1.45.6", "1.45.6.0"),
    ("1.45.6-Alpha", "1.45.6-Alpha"),
    ("1.6.2-BeTa", "1.6.02-beta"),
    ("22.3.07     ", "22.3.07"),
    ("1.0", "1.0.0.0+beta"),
    ("1.0.0.0+beta.2", "1.0.0.0+beta.1"),
    ("1.0.0.0", "1.0.0"),
];

/// VersionComparisonDefaultNotEqualWithNuGetVersion, VersionComparisonDefaultNotEqual.
const NUGET_NOT_EQUAL: &[(&str, &str)] = &[
    ("1.0", "1.0.0.1"),
    ("1.0+test", "1.0.0.1"),
    ("1.0.0.1-1.2.A", "1.0.0.1-1.2.a.A+A"),
    ("1.0.01", "1.0.1.2"),
    ("0.0.0", "1.0.0"),
    ("1.1.0", "1.0.0"),
    ("1.0.1", "1.0.0"),
    ("1.0.0-BETA", "1.0.0-beta2"),
    ("1.0.0+AA", "1.0.0-beta+aa"),
    ("1.0.0-BETA.X.y.5.77.0+AA", "1.0.0-beta.x.y.5.79.0+aa"),
];

/// semverLessThanAndGreaterThanOperatorsWorks: a < b.
const NUGET_LESS: &[(&str, &str)] = &[
    ("1.0", "1.0.1"),
    ("1.23", "1.231"),
    ("1.4.5.6", "1.45.6"),
    ("1.4.5.6", "1.4.5.60"),
    ("1.01", "1.10"),
    ("1.01-alpha", "1.10-beta"),
    ("1.01.0-RC-1", "1.10.0-rc-2"),
    ("1.01-RC-1", "1.01"),
    ("1.01", "1.2-preview"),
];

/// ParseThrowsIfStringIsNotAValidSemVer, SemVerVersionMustBeValid, ...NegativeNumbers,
/// ...InvalidReleaseId, ...InvalidReleaseLabelChars, ...ReleaseLabelZeros,
/// ...MetadataInvalidChars.
const NUGET_INVALID: &[&str] = &[
    "1beta",
    "1.2Av^c",
    "1.2..",
    "1.2.3.4.5",
    "1.2.3.Beta",
    "1.2.3.4This version is full of awesomeness!!",
    "So.is.this",
    "NotAVersion",
    "1.34.2Alpha",
    "1.34.2Release Candidate",
    "1.4.7-",
    "1.4.7-*",
    "1.4.7+*",
    "1.4.7-AA.01^",
    "1.4.7-AA.0A^",
    "1.4.7-A^A",
    "1.4.7+AA.01^",
    "1.2. 3",
    "1. 2.3",
    "X.2.3",
    "1.2.Z",
    "X.Y.Z",
    "-1.2.3",
    "1.-2.3",
    "1.2.-3",
    "0.1.2-Alpha..2",
    "0.1.2-Alpha.",
    "0.1.2-.AA",
    "0.1.2-",
    "0.1.2-alp=ha",
    "0.1.2-alp┐jj",
    "0.1.2-a&444",
    "0.1.2-a.&.444",
    "0.1.2-02",
    "0.1.2-2.02",
    "0.1.2-2.A.02",
    "0.1.2-02.A",
    "0.1.2+ÄÄ",
    "0.1.2+22.2ÄÄ",
    "0.1.2+2+A",
];

/// Inputs the same suites parse: legacy four-part and hybrid versions, surrounding
/// whitespace, leading zeros, label and metadata characters.
const NUGET_VALID: &[&str] = &[
    "1",
    "1.2",
    "13234.223.32222",
    "1.2.3.4",
    "1.022",
    "1.3.42.10133",
    "1.022-Beta",
    "1.3.42.200930-RC-2",
    "  1.022-Beta",
    "    1.3.42.10133-PreRelease  ",
    "01.2.3",
    "1.2.0030",
    "0.1.2-02A",
    "0.1.2-2.02B",
    "0.1.2-2.A.02-",
    "0.1.2-A02.A",
    "0.1.2+02A",
    "0.1.2+20349244.233.344.0",
    "0.1.2+203-49244.23-3.34-4.0-.-.-",
    "0.1.2+-",
    "0.1.2+----.-.-.-",
    "0.1.2----+----",
    "1.0.0-RC.X.35.A.3455+Meta-A-B-C",
];

#[test]
fn nuget_client_vectors() {
    use std::cmp::Ordering;
    for (a, b) in NUGET_EQUAL {
        assert_eq!(
            compare(Scheme::NuGet, a, b).unwrap(),
            Ordering::Equal,
            "{a} = {b}"
        );
    }
    for (a, b) in NUGET_NOT_EQUAL {
        assert_ne!(
            compare(Scheme::NuGet, a, b).unwrap(),
            Ordering::Equal,
            "{a} != {b}"
        );
    }
    for (a, b) in NUGET_LESS {
        assert_eq!(
            compare(Scheme::NuGet, a, b).unwrap(),
            Ordering::Less,
            "{a} < {b}"
        );
        assert_eq!(
            compare(Scheme::NuGet, b, a).unwrap(),
            Ordering::Greater,
            "{b} > {a}"
        );
    }
    for v in NUGET_VALID {
        assert!(compare(Scheme::NuGet, v, v).is_ok(), "{v:?} should parse");
    }
    check_invalid(Scheme::NuGet, NUGET_INVALID);
}

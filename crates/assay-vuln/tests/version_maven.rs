//! Maven ordering: apache/maven `ComparableVersionTest` (Maven 4 line, compat/maven-artifact).
#![allow(clippy::unwrap_used)]

mod common;

use std::cmp::Ordering;

use assay_vuln::{Scheme, compare};
use common::{check, check_all, check_sorted};

const VERSIONS_QUALIFIER: &[&str] = &[
    "1-alpha2snapshot",
    "1-alpha2",
    "1-alpha-123",
    "1-beta-2",
    "1-beta123",
    "1-m2",
    "1-m11",
    "1-rc",
    "1-cr2",
    "1-rc123",
    "1-SNAPSHOT",
    "1",
    "1-sp",
    "1-sp2",
    "1-sp123",
    "1-abc",
    "1-def",
    "1-pom-1",
    "1-1-snapshot",
    "1-1",
    "1-2",
    "1-123",
];

const VERSIONS_NUMBER: &[&str] = &[
    "2.0", "2.0.a", "2-1", "2.0.2", "2.0.123", "2.1.0", "2.1-a", "2.1b", "2.1-c", "2.1-1",
    "2.1.0.1", "2.2", "2.123", "11.a2", "11.a11", "11.b2", "11.b11", "11.m2", "11.m11", "11",
    "11.a", "11b", "11c", "11m",
];

/// testVersionsEqual and testVersionsHaveSameOrderButAreNotEqual.
const EQUAL: &[(&str, &str, &str)] = &[
    ("1", "=", "1"),
    ("1", "=", "1.0"),
    ("1", "=", "1.0.0"),
    ("1.0", "=", "1.0.0"),
    ("1", "=", "1-0"),
    ("1", "=", "1.0-0"),
    ("1.0", "=", "1.0-0"),
    ("1a", "=", "1-a"),
    ("1a", "=", "1.0-a"),
    ("1a", "=", "1.0.0-a"),
    ("1.0a", "=", "1-a"),
    ("1.0.0a", "=", "1-a"),
    ("1x", "=", "1-x"),
    ("1x", "=", "1.0-x"),
    ("1x", "=", "1.0.0-x"),
    ("1.0x", "=", "1-x"),
    ("1.0.0x", "=", "1-x"),
    ("1cr", "=", "1rc"),
    ("1a1", "=", "1-alpha-1"),
    ("1b2", "=", "1-beta-2"),
    ("1m3", "=", "1-milestone-3"),
    ("1X", "=", "1x"),
    ("1A", "=", "1a"),
    ("1B", "=", "1b"),
    ("1M", "=", "1m"),
    ("1Cr", "=", "1Rc"),
    ("1cR", "=", "1rC"),
    ("1m3", "=", "1Milestone3"),
    ("1m3", "=", "1MileStone3"),
    ("1m3", "=", "1MILESTONE3"),
    ("1ga", "=", "1"),
    ("1release", "=", "1"),
    ("1final", "=", "1"),
    ("1Ga", "=", "1"),
    ("1GA", "=", "1"),
    ("1RELEASE", "=", "1"),
    ("1RELeaSE", "=", "1"),
    ("1Final", "=", "1"),
    ("1FinaL", "=", "1"),
    ("1FINAL", "=", "1"),
    (
        "1-abcdefghijklmnopqrstuvwxyz",
        "=",
        "1-ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    ),
    ("1.0.0-alpha1", "=", "1.0.0-ALPHA1"),
    ("1.a", "=", "1.A"),
    ("1.é", "=", "1.É"),
];

/// testVersionComparing, testLeadingZeroes, testMng5568, testMng6572, testMng6964,
/// testMng7714, digit/letter and non-ASCII cases.
const ORDER: &[(&str, &str, &str)] = &[
    ("1", "<", "2"),
    ("1.5", "<", "2"),
    ("1", "<", "2.5"),
    ("1.0", "<", "1.1"),
    ("1.1", "<", "1.2"),
    ("1.0.0", "<", "1.1"),
    ("1.0.1", "<", "1.1"),
    ("1.1", "<", "1.2.0"),
    ("1.0-alpha-1", "<", "1.0"),
    ("1.0-alpha-1", "<", "1.0-alpha-2"),
    ("1.0-alpha-1", "<", "1.0-beta-1"),
    ("1.0-beta-1", "<", "1.0-SNAPSHOT"),
    ("1.0-SNAPSHOT", "<", "1.0"),
    ("1.0-alpha-1-SNAPSHOT", "<", "1.0-alpha-1"),
    ("1.0", "<", "1.0-1"),
    ("1.0-1", "<", "1.0-2"),
    ("1.0.0", "<", "1.0-1"),
    ("2.0-1", "<", "2.0.1"),
    ("2.0.1-klm", "<", "2.0.1-lmn"),
    ("2.0.1", "<", "2.0.1-xyz"),
    ("2.0.1", "<", "2.0.1-123"),
    ("2.0.1-xyz", "<", "2.0.1-123"),
    ("0.7", "<", "2"),
    ("0.2", "<", "1.0.7"),
    ("1", ">", "é"),
    ("1", ">", "\u{1D7E4}"),
    ("7", ">", "J"),
    ("7", ">", "c"),
    ("1", ">", "\u{0668}"),
    ("9", ">", "\u{0668}"),
    ("zebra", ">", "aardvark"),
    ("ζέβρα", ">", "zebra"),
    ("6.1.0rc3", "<", "6.1.0"),
    ("6.1.0rc3", "<", "6.1H.5-beta"),
    ("6.1.0", "<", "6.1H.5-beta"),
    ("20190126.230843", "<", "1234567890.12345"),
    ("1234567890.12345", "<", "123456789012345.1H.5-beta"),
    ("20190126.230843", "<", "123456789012345.1H.5-beta"),
    (
        "123456789012345.1H.5-beta",
        "<",
        "12345678901234567890.1H.5-beta",
    ),
    ("1234567890.12345", "<", "12345678901234567890.1H.5-beta"),
    ("20190126.230843", "<", "12345678901234567890.1H.5-beta"),
    ("1-0.alpha", "<", "1"),
    ("1-0.beta", "<", "1"),
    ("1-0.alpha", "<", "1-0.beta"),
    ("1.0.final-redhat", "<", "1.0-sp1-redhat"),
    ("1.0.final-redhat", "<", "1.0-sp-1-redhat"),
    ("1.0.final-redhat", "<", "1.0-sp.1-redhat"),
];

#[test]
fn versions_qualifier_order() {
    check_sorted(Scheme::Maven, VERSIONS_QUALIFIER);
}

#[test]
fn versions_number_order() {
    check_sorted(Scheme::Maven, VERSIONS_NUMBER);
}

#[test]
fn versions_equal() {
    check_all(Scheme::Maven, EQUAL);
}

#[test]
fn versions_order() {
    check_all(Scheme::Maven, ORDER);
}

#[test]
fn leading_zeroes_are_equal() {
    for digit in ["1", "0"] {
        let all: Vec<String> = (0..19)
            .map(|n| format!("{}{digit}", "0".repeat(n)))
            .collect();
        for a in &all {
            for b in &all {
                check(Scheme::Maven, a, Ordering::Equal, b);
            }
        }
    }
}

#[test]
fn mng_7644_dot_qualifier_before_dash_qualifier() {
    for x in [
        "abc",
        "alpha",
        "a",
        "beta",
        "b",
        "def",
        "milestone",
        "m",
        "RC",
    ] {
        check(
            Scheme::Maven,
            &format!("1.0.0.{x}1"),
            Ordering::Less,
            &format!("1.0.0-{x}2"),
        );
        check(
            Scheme::Maven,
            &format!("2-{x}"),
            Ordering::Equal,
            &format!("2.0.{x}"),
        );
        check(
            Scheme::Maven,
            &format!("2-{x}"),
            Ordering::Equal,
            &format!("2.0.0.{x}"),
        );
        check(
            Scheme::Maven,
            &format!("2.0.{x}"),
            Ordering::Equal,
            &format!("2.0.0.{x}"),
        );
    }
}

#[test]
fn rejects_versions_over_256_characters() {
    assert!(compare(Scheme::Maven, &"1".repeat(257), "1").is_err());
    assert!(compare(Scheme::Maven, &"1".repeat(256), "1").is_ok());
}

//! PEP 440 ordering: packaging's `tests/test_version.py` `VERSIONS` list (sorted order) and
//! equality/invalid cases from the same file.
#![allow(clippy::unwrap_used)]

mod common;

use assay_vuln::Scheme;
use common::{check_all, check_invalid, check_sorted};

/// packaging `tests/test_version.py`: `VERSIONS`, "a list of versions, sorted".
const VERSIONS: &[&str] = &[
    // Implicit epoch of 0
    "1.0.dev456",
    "1.0a1",
    "1.0a2.dev456",
    "1.0a12.dev456",
    "1.0a12",
    "1.0b1.dev456",
    "1.0b2",
    "1.0b2.post345.dev456",
    "1.0b2.post345",
    "1.0b2-346",
    "1.0c1.dev456",
    "1.0c1",
    "1.0rc2",
    "1.0c3",
    "1.0",
    "1.0.post456.dev34",
    "1.0.post456",
    "1.1.dev1",
    "1.2+123abc",
    "1.2+123abc456",
    "1.2+abc",
    "1.2+abc123",
    "1.2+abc123def",
    "1.2+1234.abc",
    "1.2+123456",
    "1.2.r32+123456",
    "1.2.rev33+123456",
    // Explicit epoch of 1
    "1!1.0.dev456",
    "1!1.0a1",
    "1!1.0a2.dev456",
    "1!1.0a12.dev456",
    "1!1.0a12",
    "1!1.0b1.dev456",
    "1!1.0b2",
    "1!1.0b2.post345.dev456",
    "1!1.0b2.post345",
    "1!1.0b2-346",
    "1!1.0c1.dev456",
    "1!1.0c1",
    "1!1.0rc2",
    "1!1.0c3",
    "1!1.0",
    "1!1.0.post456.dev34",
    "1!1.0.post456",
    "1!1.1.dev1",
    "1!1.2+123abc",
    "1!1.2+123abc456",
    "1!1.2+abc",
    "1!1.2+abc123",
    "1!1.2+abc123def",
    "1!1.2+1234.abc",
    "1!1.2+123456",
    "1!1.2.r32+123456",
    "1!1.2.rev33+123456",
];

/// Normalisation equalities from test_version.py (`test_normalized_versions` and friends).
const EQUAL: &[(&str, &str, &str)] = &[
    ("1.0a", "=", "1.0a0"),
    ("1.0alpha1", "=", "1.0a1"),
    ("1.0-a1", "=", "1.0a1"),
    ("1.0.beta.1", "=", "1.0b1"),
    ("1.0c1", "=", "1.0rc1"),
    ("1.0pre1", "=", "1.0rc1"),
    ("1.0preview1", "=", "1.0rc1"),
    ("1.0-1", "=", "1.0.post1"),
    ("1.0.r1", "=", "1.0.post1"),
    ("1.0rev1", "=", "1.0.post1"),
    ("1.0.post", "=", "1.0.post0"),
    ("1.0.dev", "=", "1.0.dev0"),
    ("1.0", "=", "1.0.0"),
    ("1.0", "=", "1.0.0.0"),
    ("v1.0", "=", "1.0"),
    ("  1.0  ", "=", "1.0"),
    ("1.0+ubuntu-1", "=", "1.0+ubuntu.1"),
    ("1.0+ubuntu_1", "=", "1.0+ubuntu.1"),
    ("0!1.0", "=", "1.0"),
    ("1.0RC1", "=", "1.0rc1"),
    ("01.02", "=", "1.2"),
];

/// `INVALID_VERSIONS` style cases: not PEP 440.
const INVALID: &[&str] = &[
    "french toast",
    "1.0+a+",
    "1.0++",
    "1.0+_foobar",
    "1.0+foo&asd",
    "1.0+1+1",
    "",
    "1.0.",
    "*",
    "1.*",
];

#[test]
fn test_version_py_sorted_versions() {
    check_sorted(Scheme::Pep440, VERSIONS);
}

#[test]
fn normalised_forms_are_equal() {
    check_all(Scheme::Pep440, EQUAL);
}

#[test]
fn rejects_invalid_versions() {
    check_invalid(Scheme::Pep440, INVALID);
}

//! RubyGems ordering: cases in the shape of rubygems' `test/rubygems/test_gem_version.rb`
//! (`test_spaceship`, `test_eql_eh`/`test_equals2`, `test_semver`, `test_initialize_invalid`).
//! That file is not published in a registry reachable here, so these were written from it by
//! memory and then checked against the reference itself, `Gem::Version` of rubygems 3.3.15:
//! every case agrees. `version_oracles.rs` adds 3,000 pairs the reference ordered.
#![allow(clippy::unwrap_used)]

mod common;

use assay_vuln::Scheme;
use common::{check_all, check_invalid};

const CASES: &[(&str, &str, &str)] = &[
    // test_spaceship
    ("1.0", "=", "1.0.0"),
    ("1", "=", "1.0.0"),
    ("1.0", ">", "1.0.a"),
    ("1.8.2", ">", "0.0.0"),
    ("1.8.2", ">", "1.8.2.a"),
    ("1.8.2.b", ">", "1.8.2.a"),
    ("1.8.2.a", "<", "1.8.2"),
    ("1.8.2.a10", ">", "1.8.2.a9"),
    ("", "=", "0"),
    ("0.beta.1", "<", "0.0.beta.2"),
    ("0.0.beta", "<", "0.0.beta.1"),
    ("0.0.beta", "<", "0.beta.1"),
    ("5.a", "<", "5.0.0.rc2"),
    ("5.x", ">", "5.0.0.rc2"),
    ("1.9.3", "=", "1.9.3.0"),
    ("1.9.3.0", "=", "1.9.3"),
    // test_semver / prerelease via '-'
    ("1.0.0-alpha", "<", "1.0.0-alpha.1"),
    ("1.0.0-alpha.1", "<", "1.0.0-beta.2"),
    ("1.0.0-beta.2", "<", "1.0.0-beta.11"),
    ("1.0.0-beta.11", "<", "1.0.0-rc.1"),
    ("1.0.0-rc1", "<", "1.0.0"),
    ("1.0.0-1", "<", "1"),
    ("1.0.0-1", "=", "1.0.0.pre.1"),
    // test_eql_eh: different strings, equal ordering
    ("1.2", "=", "1.2.0"),
    ("1.2.b1", "=", "1.2.b.1"),
    ("1.2", "<", "1.3"),
    (" 1.2 ", "=", "1.2"),
    ("1.10", ">", "1.9"),
    ("12345678901234567890", "<", "12345678901234567891"),
];

/// test_initialize_invalid: "Malformed version number string".
const INVALID: &[&str] = &[
    "1.0\n2.0",
    "junk",
    "1.0\n2.0\n",
    "1..2",
    "1.2\\ 3.4",
    "2.3422222.222.222222222.22222.ads0as.dasd0.ddd2222.2.qd3e.",
    "1.2 3.4",
    "-1",
    "1-",
];

#[test]
fn test_gem_version_cases() {
    check_all(Scheme::RubyGems, CASES);
}

#[test]
fn rejects_malformed_versions() {
    check_invalid(Scheme::RubyGems, INVALID);
}

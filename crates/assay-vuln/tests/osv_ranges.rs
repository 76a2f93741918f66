//! OSV range evaluation (the OSV schema's algorithm), ecosystem mapping and the CLI helper.
#![allow(clippy::unwrap_used)]

use assay_vuln::{Event, Scheme, compare_cli, is_affected};

fn intro(v: &str) -> Event {
    Event::Introduced(v.to_owned())
}
fn fixed(v: &str) -> Event {
    Event::Fixed(v.to_owned())
}
fn last(v: &str) -> Event {
    Event::LastAffected(v.to_owned())
}
fn limit(v: &str) -> Event {
    Event::Limit(v.to_owned())
}

#[test]
fn introduced_zero_and_fixed() {
    // RUSTSEC-2021-0124-style: introduced 0, fixed 1.8.4 (crates.io, SEMVER range).
    let ev = [intro("0"), fixed("1.8.4")];
    assert!(is_affected(Scheme::Semver, "1.8.3", &ev).unwrap());
    assert!(is_affected(Scheme::Semver, "0.0.1", &ev).unwrap());
    assert!(!is_affected(Scheme::Semver, "1.8.4", &ev).unwrap());
    assert!(!is_affected(Scheme::Semver, "2.0.0", &ev).unwrap());
}

#[test]
fn several_introduced_fixed_pairs_in_any_order() {
    // tokio-style multi-branch fixes; events unsorted on purpose.
    let ev = [
        fixed("1.18.4"),
        intro("1.19.0"),
        fixed("1.20.1"),
        intro("0"),
        intro("1.21.0"),
        fixed("1.23.1"),
    ];
    let s = Scheme::Semver;
    assert!(is_affected(s, "1.18.3", &ev).unwrap());
    assert!(!is_affected(s, "1.18.4", &ev).unwrap());
    assert!(!is_affected(s, "1.18.9", &ev).unwrap());
    assert!(is_affected(s, "1.19.0", &ev).unwrap());
    assert!(!is_affected(s, "1.20.1", &ev).unwrap());
    assert!(is_affected(s, "1.22.0", &ev).unwrap());
    assert!(!is_affected(s, "1.23.1", &ev).unwrap());
}

#[test]
fn last_affected_is_inclusive() {
    let ev = [intro("2.0"), last("2.5.1")];
    assert!(is_affected(Scheme::Pep440, "2.5.1", &ev).unwrap());
    assert!(is_affected(Scheme::Pep440, "2.0", &ev).unwrap());
    assert!(!is_affected(Scheme::Pep440, "2.5.2", &ev).unwrap());
    assert!(!is_affected(Scheme::Pep440, "1.9", &ev).unwrap());
    assert!(!is_affected(Scheme::Pep440, "2.5.2.dev0", &ev).unwrap());
}

#[test]
fn limit_caps_the_range() {
    let ev = [intro("0"), limit("2.0.0")];
    assert!(is_affected(Scheme::Semver, "1.9.9", &ev).unwrap());
    assert!(!is_affected(Scheme::Semver, "2.0.0", &ev).unwrap());
}

#[test]
fn no_introduced_means_not_affected() {
    assert!(!is_affected(Scheme::Semver, "1.0.0", &[fixed("2.0.0")]).unwrap());
    assert!(!is_affected(Scheme::Semver, "1.0.0", &[]).unwrap());
}

#[test]
fn ecosystem_orderings_drive_ranges() {
    // Debian: the fixed version has a ~ backport suffix.
    let ev = [intro("0"), fixed("1.1.1n-0+deb11u5")];
    assert!(is_affected(Scheme::Deb, "1.1.1n-0+deb11u4", &ev).unwrap());
    assert!(!is_affected(Scheme::Deb, "1.1.1n-0+deb11u5", &ev).unwrap());
    // Red Hat EVRs (RHSA records in OSV's test data).
    let ev = [intro("0"), fixed("0:2.9.7-9.el8_4.2")];
    assert!(is_affected(Scheme::Rpm, "0:2.9.7-9.el8", &ev).unwrap());
    assert!(!is_affected(Scheme::Rpm, "2.9.7-9.el8_4.2", &ev).unwrap());
    // Alpine.
    let ev = [intro("0"), fixed("1.1.1q-r0")];
    assert!(is_affected(Scheme::Apk, "1.1.1k-r0", &ev).unwrap());
    assert!(!is_affected(Scheme::Apk, "3.0.8-r0", &ev).unwrap());
    // Maven (jackson-databind style).
    let ev = [intro("2.13.0"), fixed("2.13.4.1")];
    assert!(is_affected(Scheme::Maven, "2.13.4", &ev).unwrap());
    assert!(!is_affected(Scheme::Maven, "2.13.4.1", &ev).unwrap());
    assert!(!is_affected(Scheme::Maven, "2.12.7", &ev).unwrap());
    // Go pseudo-versions (golang.org/x/net style, OSV without "v").
    let ev = [intro("0"), fixed("0.7.0")];
    assert!(is_affected(Scheme::Go, "0.0.0-20220722155237-a158d28d115b", &ev).unwrap());
    assert!(!is_affected(Scheme::Go, "0.7.0", &ev).unwrap());
}

#[test]
fn invalid_versions_are_errors() {
    assert!(is_affected(Scheme::Semver, "not-a-version", &[intro("0")]).is_err());
    assert!(is_affected(Scheme::Semver, "1.0.0", &[intro("1.0")]).is_err());
}

#[test]
fn ecosystem_names_map_to_schemes() {
    let cases = [
        ("Debian:12", Scheme::Deb),
        ("Ubuntu:22.04:LTS", Scheme::Deb),
        ("Ubuntu:Pro:18.04:LTS", Scheme::Deb),
        ("Alpine:v3.19", Scheme::Apk),
        ("Wolfi", Scheme::Apk),
        ("Red Hat", Scheme::Rpm),
        ("Red Hat:enterprise_linux:9::appstream", Scheme::Rpm),
        ("Rocky Linux:8", Scheme::Rpm),
        ("AlmaLinux:9", Scheme::Rpm),
        ("SUSE:Linux Enterprise Server 15 SP5", Scheme::Rpm),
        ("openSUSE:Tumbleweed", Scheme::Rpm),
        ("PyPI", Scheme::Pep440),
        ("npm", Scheme::Semver),
        ("crates.io", Scheme::Semver),
        ("Hex", Scheme::Semver),
        ("Pub", Scheme::Semver),
        ("Go", Scheme::Go),
        ("Maven", Scheme::Maven),
        ("RubyGems", Scheme::RubyGems),
        ("NuGet", Scheme::NuGet),
        ("Packagist", Scheme::Composer),
    ];
    for (eco, scheme) in cases {
        assert_eq!(Scheme::for_ecosystem(eco), Some(scheme), "{eco}");
    }
    for eco in ["GIT", "Linux", "OSS-Fuzz", "pypi", ""] {
        assert_eq!(Scheme::for_ecosystem(eco), None, "{eco}");
    }
}

#[test]
fn compare_cli_prints_one_character() {
    assert_eq!(compare_cli("Debian:12", "1.0~rc1", "1.0").unwrap(), '<');
    assert_eq!(compare_cli("PyPI", "1.0", "1.0.0").unwrap(), '=');
    assert_eq!(compare_cli("Maven", "1.0-sp1", "1.0").unwrap(), '>');
    assert!(compare_cli("Nope", "1", "2").is_err());
    assert!(compare_cli("npm", "1", "2").is_err());
}

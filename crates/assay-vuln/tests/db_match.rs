//! Matching installed packages against the built database: OSV range semantics, explicit
//! versions, alias merging, name normalisation, release scoping and severity.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use assay_vuln::db::{Database, DbError, Level, Match, build_at, matches};

const EPOCH: i64 = 1_704_067_200;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/osv")
}

/// The fixture database, built once per test binary run into a temporary directory.
fn fixture_db() -> Database {
    static DB: std::sync::OnceLock<(tempfile::TempDir, PathBuf)> = std::sync::OnceLock::new();
    let (_, path) = DB.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("assay.db");
        build_at(&[fixtures()], &path, EPOCH).unwrap();
        (dir, path)
    });
    Database::open(path).unwrap()
}

/// A database of the given OSV records (JSON texts), for edge cases with no real record.
fn db_of(records: &[&str]) -> (tempfile::TempDir, Database) {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir(&src).unwrap();
    for (i, r) in records.iter().enumerate() {
        std::fs::write(src.join(format!("{i}.json")), r).unwrap();
    }
    let out = dir.path().join("assay.db");
    build_at(&[src], &out, EPOCH).unwrap();
    let db = Database::open(&out).unwrap();
    (dir, db)
}

/// A minimal record: one package with one range of `range_type` and `events` (JSON).
fn record(id: &str, ecosystem: &str, name: &str, range_type: &str, events: &str) -> String {
    format!(
        r#"{{"id": "{id}", "modified": "2024-01-01T00:00:00Z",
            "affected": [{{"package": {{"ecosystem": "{ecosystem}", "name": "{name}"}},
                          "ranges": [{{"type": "{range_type}", "events": {events}}}]}}]}}"#
    )
}

fn ids(found: &[Match]) -> Vec<&str> {
    found.iter().map(|m| m.id.as_str()).collect()
}

fn matched(db: &Database, ecosystem: &str, name: &str, version: &str) -> Vec<String> {
    matches(db, ecosystem, name, version)
        .unwrap()
        .into_iter()
        .map(|m| m.id)
        .collect()
}

#[test]
fn introduced_exactly_is_affected_and_fixed_exactly_is_not() {
    let db = fixture_db();
    // RUSTSEC-2018-0010: openssl introduced 0.10.8, fixed 0.10.9.
    assert!(matched(&db, "crates.io", "openssl", "0.10.7").is_empty());
    assert_eq!(
        matched(&db, "crates.io", "openssl", "0.10.8"),
        ["CVE-2018-20997"]
    );
    assert!(matched(&db, "crates.io", "openssl", "0.10.9").is_empty());
}

#[test]
fn last_affected_exactly_is_affected() {
    let db = fixture_db();
    // GHSA-35jh-r3h4-6jhm: lodash.template introduced 0, last_affected 4.5.0.
    assert_eq!(
        matched(&db, "npm", "lodash.template", "4.5.0"),
        ["CVE-2021-23337"]
    );
    assert!(matched(&db, "npm", "lodash.template", "4.5.1").is_empty());
    // The same record's lodash entry: fixed 4.17.21.
    assert_eq!(matched(&db, "npm", "lodash", "4.17.20"), ["CVE-2021-23337"]);
    assert!(matched(&db, "npm", "lodash", "4.17.21").is_empty());
}

#[test]
fn limit_caps_the_range() {
    let (_dir, db) = db_of(&[&record(
        "TEST-LIMIT",
        "crates.io",
        "demo",
        "SEMVER",
        r#"[{"introduced": "1.0.0"}, {"limit": "1.5.0"}]"#,
    )]);
    assert_eq!(matched(&db, "crates.io", "demo", "1.4.9"), ["TEST-LIMIT"]);
    assert!(matched(&db, "crates.io", "demo", "1.5.0").is_empty());
    assert!(matched(&db, "crates.io", "demo", "0.9.0").is_empty());
}

#[test]
fn one_of_several_ranges_of_a_package_matches_with_its_fix() {
    let db = fixture_db();
    // GHSA-9wv6-86v2-598j: path-to-regexp <0.1.10, 0.2.0-1.9.0, 2.0.0-3.3.0, 4.0.0-6.3.0, 7-8.
    let found = matches(&db, "npm", "path-to-regexp", "0.1.7").unwrap();
    assert_eq!(ids(&found), ["CVE-2024-45296"]);
    assert_eq!(found[0].fixed, ["0.1.10"]);
    assert!(
        found[0].explanation[0].contains("fixed 0.1.10"),
        "{:?}",
        found[0].explanation
    );
    // The explanation names each comparison and the one that decided.
    let why = &found[0].explanation[0];
    assert!(
        why.contains("introduced 0 (below every version): affected from here")
            && why.contains("0.1.7 < fixed 0.1.10: no effect")
            && why.contains("=> affected")
            && why.contains("SemVer ordering of npm"),
        "{why}"
    );
    assert!(matched(&db, "npm", "path-to-regexp", "0.1.10").is_empty());
    assert_eq!(
        matched(&db, "npm", "path-to-regexp", "6.2.2"),
        ["CVE-2024-45296"]
    );
    assert!(matched(&db, "npm", "path-to-regexp", "6.3.0").is_empty());
}

#[test]
fn explicit_versions_list_matches_exactly() {
    let (_dir, db) = db_of(&[
        r#"{"id": "TEST-VERSIONS", "modified": "2024-01-01T00:00:00Z",
        "affected": [{"package": {"ecosystem": "PyPI", "name": "demo"},
                      "versions": ["1.0", "1.2"]}]}"#,
    ]);
    assert_eq!(matched(&db, "PyPI", "demo", "1.2"), ["TEST-VERSIONS"]);
    assert!(matched(&db, "PyPI", "demo", "1.1").is_empty());
    // PEP 440 says 1.2.0 is 1.2.
    assert_eq!(matched(&db, "PyPI", "demo", "1.2.0"), ["TEST-VERSIONS"]);
    let found = matches(&db, "PyPI", "demo", "1.0").unwrap();
    assert!(
        found[0].explanation[0].contains("listed"),
        "{:?}",
        found[0].explanation
    );
}

#[test]
fn range_and_versions_list_together() {
    let db = fixture_db();
    // PYSEC-2023-112: cryptography introduced 40.0.0, fixed 41.0.2, versions listed too.
    let found = matches(&db, "PyPI", "cryptography", "41.0.1").unwrap();
    assert_eq!(ids(&found), ["CVE-2023-38325"]);
    assert_eq!(found[0].advisory.id, "PYSEC-2023-112");
    assert_eq!(found[0].fixed, ["41.0.2"]);
    assert!(matched(&db, "PyPI", "cryptography", "41.0.2").is_empty());
}

#[test]
fn aliases_merge_into_one_match_under_the_cve_id() {
    let db = fixture_db();
    // PYSEC-2023-74 and GHSA-j8r2-6x86-q33q both describe CVE-2023-32681 in requests.
    let found = matches(&db, "PyPI", "requests", "2.30.0").unwrap();
    assert_eq!(found.len(), 1, "{found:#?}");
    let m = &found[0];
    assert_eq!(m.id, "CVE-2023-32681");
    assert_eq!(m.aliases, ["GHSA-j8r2-6x86-q33q", "PYSEC-2023-74"]);
    assert_eq!(m.fixed, ["2.31.0"]);
    assert_eq!(m.installed, "2.30.0");
    // One line per reason: PYSEC's range and versions list, GHSA's range.
    for id in ["PYSEC-2023-74:", "GHSA-j8r2-6x86-q33q:"] {
        assert!(
            m.explanation.iter().any(|l| l.starts_with(id)),
            "{:?}",
            m.explanation
        );
    }
    // The GHSA record has a CVSS 3.1 vector (6.1): it decides the severity.
    assert_eq!(m.severity.level, Level::Medium);
    assert_eq!(m.severity.cvss.as_ref().unwrap().score, 6.1);
    assert!(matched(&db, "PyPI", "requests", "2.31.0").is_empty());
    assert!(matched(&db, "PyPI", "requests", "2.2.1").is_empty());
}

#[test]
fn a_record_without_cve_is_shown_under_its_own_id() {
    let db = fixture_db();
    // GO-2024-2978 has only a GHSA alias; Go versions carry a `v`.
    let found = matches(&db, "Go", "google.golang.org/grpc", "v1.64.0").unwrap();
    assert_eq!(ids(&found), ["GO-2024-2978"]);
    assert_eq!(found[0].aliases, ["GHSA-xr7q-jx4m-x55m"]);
    assert!(matched(&db, "Go", "google.golang.org/grpc", "v1.64.1").is_empty());
}

#[test]
fn pypi_names_are_normalised_per_pep_503() {
    let db = fixture_db();
    assert_eq!(
        matched(&db, "PyPI", "Requests", "2.30.0"),
        ["CVE-2023-32681"]
    );
    let (_dir, db) = db_of(&[&record(
        "TEST-PEP503",
        "PyPI",
        "Zope.Interface",
        "ECOSYSTEM",
        r#"[{"introduced": "0"}, {"fixed": "5.0"}]"#,
    )]);
    for name in [
        "zope.interface",
        "zope_interface",
        "ZOPE-INTERFACE",
        "zope.-_interface",
    ] {
        assert_eq!(matched(&db, "PyPI", name, "4.0"), ["TEST-PEP503"], "{name}");
    }
    assert!(matched(&db, "PyPI", "zopeinterface", "4.0").is_empty());
}

#[test]
fn npm_scoped_names_and_maven_coordinates_match_as_written() {
    let (_dir, db) = db_of(&[&record(
        "TEST-SCOPED",
        "npm",
        "@babel/traverse",
        "SEMVER",
        r#"[{"introduced": "0"}, {"fixed": "7.23.2"}]"#,
    )]);
    assert_eq!(
        matched(&db, "npm", "@babel/traverse", "7.23.1"),
        ["TEST-SCOPED"]
    );
    assert!(matched(&db, "npm", "traverse", "7.23.1").is_empty());

    let db = fixture_db();
    let found = matches(&db, "Maven", "io.netty:netty-handler", "3.9.1.Final").unwrap();
    assert_eq!(ids(&found), ["CVE-2014-3488"]);
    // GitHub's MODERATE label, no CVSS vector in the record.
    assert_eq!(found[0].severity.level, Level::Medium);
    assert_eq!(found[0].severity.label.as_deref(), Some("MODERATE"));
    assert!(matched(&db, "Maven", "io.netty:netty-handler", "3.9.2.Final").is_empty());
    assert!(matched(&db, "Maven", "netty-handler", "3.9.1.Final").is_empty());
}

#[test]
fn debian_release_records_match_that_release_only() {
    let db = fixture_db();
    // DEBIAN-CVE-2024-45490 is for Debian:12 expat, fixed in 2.5.0-1+deb12u1.
    assert_eq!(
        matched(&db, "Debian:12", "expat", "2.5.0-1"),
        ["CVE-2024-45490"]
    );
    assert!(matched(&db, "Debian:12", "expat", "2.5.0-1+deb12u1").is_empty());
    assert!(matched(&db, "Debian:11", "expat", "2.2.10-2").is_empty());
    assert!(matched(&db, "Debian:13", "expat", "2.5.0-1").is_empty());
}

#[test]
fn debian_records_without_release_match_every_release() {
    let db = fixture_db();
    // DEBIAN-CVE-2018-25032 is for plain `Debian`; DEBIAN-CVE-2022-37434 for Debian:12.
    assert_eq!(
        matched(&db, "Debian:12", "zlib", "1:1.2.11.dfsg-2"),
        ["CVE-2018-25032", "CVE-2022-37434"]
    );
    assert_eq!(
        matched(&db, "Debian:11", "zlib", "1:1.2.11.dfsg-2"),
        ["CVE-2018-25032"]
    );
    // Between the two fixes; then the version bookworm ships.
    assert_eq!(
        matched(&db, "Debian:12", "zlib", "1:1.2.11.dfsg-4"),
        ["CVE-2022-37434"]
    );
    assert!(matched(&db, "Debian:12", "zlib", "1:1.2.13.dfsg-1").is_empty());
    // No score and an unassigned urgency: UNKNOWN.
    let found = matches(&db, "Debian:12", "tar", "1.34+dfsg-1.2").unwrap();
    assert_eq!(ids(&found), ["CVE-2023-39804"]);
    assert_eq!(found[0].severity.level, Level::Unknown);
}

#[test]
fn cvss_v3_vector_decides_severity_over_the_label() {
    let db = fixture_db();
    // RUSTSEC-2018-0010: CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H = 9.8.
    let found = matches(&db, "crates.io", "openssl", "0.10.8").unwrap();
    let severity = &found[0].severity;
    assert_eq!(severity.level, Level::Critical);
    let cvss = severity.cvss.as_ref().unwrap();
    assert_eq!((cvss.version, cvss.score), (3, 9.8));
    // GHSA-9wv6-86v2-598j has v3.1 (7.5) and v4.0 vectors: v3 is used.
    let found = matches(&db, "npm", "path-to-regexp", "0.1.7").unwrap();
    let cvss = found[0].severity.cvss.as_ref().unwrap();
    assert_eq!(
        (cvss.version, cvss.score, found[0].severity.level),
        (3, 7.5, Level::High)
    );
}

#[test]
fn cvss_v4_vector_alone_gives_severity() {
    let v4 = r#"{"id": "TEST-V4", "modified": "2024-01-01T00:00:00Z",
        "severity": [{"type": "CVSS_V4",
                      "score": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"}],
        "affected": [{"package": {"ecosystem": "npm", "name": "v4demo"},
                      "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}]}]}]}"#;
    let v2 = r#"{"id": "TEST-V2", "modified": "2024-01-01T00:00:00Z",
        "severity": [{"type": "CVSS_V2", "score": "AV:N/AC:L/Au:N/C:C/I:C/A:C"}],
        "database_specific": {"severity": "LOW"},
        "affected": [{"package": {"ecosystem": "npm", "name": "v2demo"},
                      "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}]}]}]}"#;
    let (_dir, db) = db_of(&[v4, v2]);
    let found = matches(&db, "npm", "v4demo", "1.0.0").unwrap();
    let severity = &found[0].severity;
    assert_eq!(severity.level, Level::Critical);
    let cvss = severity.cvss.as_ref().unwrap();
    assert_eq!((cvss.version, cvss.score), (4, 9.3));
    // CVSS v2 10.0 is HIGH (v2 has no critical band), and beats the source's LOW label.
    let found = matches(&db, "npm", "v2demo", "1.0.0").unwrap();
    assert_eq!(found[0].severity.level, Level::High);
    assert_eq!(found[0].severity.cvss.as_ref().unwrap().score, 10.0);
}

#[test]
fn ecosystem_label_is_used_without_a_vector() {
    let db = fixture_db();
    // GHSA-f9cm-p3w6-xvr3 (qs): GitHub severity HIGH, no vector.
    let found = matches(&db, "npm", "qs", "0.6.6").unwrap();
    assert_eq!(ids(&found), ["CVE-2014-10064"]);
    assert_eq!(found[0].severity.level, Level::High);
    assert!(found[0].severity.cvss.is_none());
}

#[test]
fn an_invalid_installed_version_is_an_error_naming_the_package() {
    let db = fixture_db();
    let err = matches(&db, "crates.io", "openssl", "not-a-version").unwrap_err();
    assert!(matches!(err, DbError::InvalidVersion { .. }));
    assert!(err.to_string().contains("openssl"), "{err}");
}

#[test]
fn a_range_with_invalid_advisory_versions_is_skipped() {
    let (_dir, db) = db_of(&[
        &record(
            "TEST-BAD",
            "npm",
            "demo",
            "SEMVER",
            r#"[{"introduced": "0"}, {"fixed": "x.y"}]"#,
        ),
        &record(
            "TEST-GOOD",
            "npm",
            "demo",
            "SEMVER",
            r#"[{"introduced": "0"}, {"fixed": "2.0.0"}]"#,
        ),
    ]);
    assert_eq!(matched(&db, "npm", "demo", "1.0.0"), ["TEST-GOOD"]);
}

#[test]
fn unknown_packages_have_no_match() {
    let db = fixture_db();
    assert!(matched(&db, "npm", "left-pad", "1.0.0").is_empty());
    assert!(matched(&db, "Hex", "phoenix", "1.0.0").is_empty());
}

#[test]
fn a_match_carries_summary_and_references_of_its_record() {
    let db = fixture_db();
    let found = matches(&db, "npm", "qs", "0.6.6").unwrap();
    let advisory = &found[0].advisory;
    assert_eq!(advisory.id, "GHSA-f9cm-p3w6-xvr3");
    assert_eq!(
        advisory.summary,
        "Denial-of-Service Extended Event Loop Blocking in qs"
    );
    assert!(
        advisory
            .references
            .contains(&"https://github.com/advisories/GHSA-f9cm-p3w6-xvr3".to_owned())
    );
    // Records without a summary get the first line of their details.
    let found = matches(&db, "Debian:12", "expat", "2.5.0-1").unwrap();
    assert!(
        found[0]
            .advisory
            .summary
            .starts_with("An issue was discovered in libexpat")
    );
}

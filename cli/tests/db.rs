//! `assay db build` and `assay db info` on the bundled OSV fixtures.
#![allow(clippy::unwrap_used)]

mod common;

use std::fs;

use common::{assay, run};

#[test]
fn build_then_info_reports_counts_and_is_reproducible() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.db");
    let b = dir.path().join("b.db");
    for path in [&a, &b] {
        let (code, stdout, stderr) = run(assay()
            .args(["db", "build", "--from", "fixtures/osv", "--output"])
            .arg(path));
        assert_eq!(code, 0, "{stderr}");
        assert!(stdout.contains("schema version:  1"), "{stdout}");
    }
    assert_eq!(
        fs::read(&a).unwrap(),
        fs::read(&b).unwrap(),
        "same input and SOURCE_DATE_EPOCH, same bytes"
    );
    let (code, stdout, _) = run(assay()
        .args(["db", "info", "--format", "json", "--db"])
        .arg(&a));
    assert_eq!(code, 0);
    let info: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(info["build_time"], "2026-01-01T00:00:00Z");
    assert!(info["ecosystems"]["Debian:12"].as_u64().unwrap() >= 1);
    assert_eq!(info["sources"][0]["withdrawn"], 1);
}

#[test]
fn info_reads_assay_db_from_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.db");
    run(assay()
        .args(["db", "build", "--from", "fixtures/osv", "--output"])
        .arg(&path));
    let (code, stdout, _) = run(assay().env("ASSAY_DB", &path).args(["db", "info"]));
    assert_eq!(code, 0);
    assert!(stdout.contains(&path.display().to_string()));
}

#[test]
fn bad_sources_and_files_are_exit_2_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    fs::write(&bad, "{ not json").unwrap();
    let out = dir.path().join("out.db");
    let (code, _, stderr) = run(assay()
        .args(["db", "build", "--from"])
        .arg(&bad)
        .arg("--output")
        .arg(&out));
    assert_eq!(code, 2);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("bad.json"), "{stderr}");
    assert!(!out.exists(), "nothing half-written");

    let (code, _, stderr) = run(assay().args(["db", "info", "--db"]).arg(&bad));
    assert_eq!(code, 2);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

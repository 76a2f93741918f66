//! `assay db build` and `assay db info` on the bundled OSV fixtures.
#![allow(clippy::unwrap_used)]

mod common;

use std::fs;

use common::{assay, assay_in, run};

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

// ---------------------------------------------------------------------------------------
// assay db update: a local HTTP server stands in for osv.dev (no internet in tests)

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// Serves `files` (path -> body) over HTTP/1.1 on 127.0.0.1 and records every path asked.
fn serve(files: BTreeMap<String, Vec<u8>>) -> (String, Arc<Mutex<Vec<String>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    let base = assay_testkit::http::serve(move |r| {
        log.lock().unwrap().push(r.target.clone());
        match files.get(&r.target) {
            Some(body) => assay_testkit::http::Response::new(200, body.clone()),
            None => assay_testkit::http::Response::new(404, "not found"),
        }
    });
    (base, seen)
}

/// A small all.zip like osv.dev's: one OSV record per entry.
fn export_zip(records: &[(&str, String)]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, json) in records {
        zip.start_file(*name, options).unwrap();
        zip.write_all(json.as_bytes()).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

fn pypi_record(id: &str, package: &str, fixed: &str) -> String {
    format!(
        r#"{{"schema_version":"1.6.0","id":"{id}","modified":"2025-06-01T00:00:00Z","summary":"test advisory","affected":[{{"package":{{"ecosystem":"PyPI","name":"{package}"}},"ranges":[{{"type":"ECOSYSTEM","events":[{{"introduced":"0"}},{{"fixed":"{fixed}"}}]}}]}}]}}"#
    )
}

fn write_config(dir: &Path, yaml: &str) -> std::path::PathBuf {
    let path = dir.join("assay.yaml");
    fs::write(&path, yaml).unwrap();
    path
}

#[test]
fn update_downloads_the_configured_exports_and_rebuilds() {
    let zip = export_zip(&[
        (
            "PYSEC-2099-1.json",
            pypi_record("PYSEC-2099-1", "flask", "2.3.2"),
        ),
        (
            "PYSEC-2099-2.json",
            pypi_record("PYSEC-2099-2", "jinja2", "3.1.4"),
        ),
    ]);
    let extra = pypi_record("GHSA-test-0000-0001", "requests", "2.31.0").into_bytes();
    let (base, seen) = serve(BTreeMap::from([
        ("/osv/PyPI/all.zip".to_string(), zip),
        ("/extra/one.json".to_string(), extra),
    ]));
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        &format!(
            "db:\n  osv-url: {base}/osv\n  ecosystems: [PyPI]\n  urls: [\"{base}/extra/one.json\"]\n"
        ),
    );
    let db = dir.path().join("db/assay.db");
    let (code, stdout, stderr) = run(assay()
        .args(["db", "update", "--config"])
        .arg(&config)
        .arg("--db")
        .arg(&db));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("vulnerabilities: 3"), "{stdout}");
    assert_eq!(
        *seen.lock().unwrap(),
        vec![
            "/osv/PyPI/all.zip".to_string(),
            "/extra/one.json".to_string()
        ]
    );
    let (_, info, _) = run(assay()
        .args(["db", "info", "--format", "json", "--db"])
        .arg(&db));
    let info: serde_json::Value = serde_json::from_str(&info).unwrap();
    assert_eq!(
        info["sources"][0]["path"],
        format!("{base}/osv/PyPI/all.zip")
    );
    assert_eq!(info["sources"][0]["records"], 2);
    assert_eq!(info["sources"][1]["path"], format!("{base}/extra/one.json"));

    // A failed download is a network error (exit 3) and leaves the database as it was.
    let before = fs::read(&db).unwrap();
    let broken = write_config(
        dir.path(),
        &format!("db:\n  urls: [\"{base}/osv/Missing/all.zip\"]\n"),
    );
    let (code, _, stderr) = run(assay()
        .args(["db", "update", "--config"])
        .arg(&broken)
        .arg("--db")
        .arg(&db));
    assert_eq!(code, 3, "{stderr}");
    assert!(
        stderr.contains("/osv/Missing/all.zip: HTTP 404"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1);
    assert_eq!(fs::read(&db).unwrap(), before);
}

#[test]
fn update_offline_names_what_it_would_fetch_and_touches_nothing() {
    let (base, seen) = serve(BTreeMap::new());
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        &format!("db:\n  osv-url: {base}/osv\n  ecosystems: [PyPI, Red Hat]\n"),
    );
    let (code, _, stderr) = run(assay()
        .args(["db", "update", "--offline", "--config"])
        .arg(&config)
        .arg("--db")
        .arg(dir.path().join("x.db")));
    assert_eq!(code, 2);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains(&format!("{base}/osv/PyPI/all.zip")),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("{base}/osv/Red%20Hat/all.zip")),
        "{stderr}"
    );
    assert!(seen.lock().unwrap().is_empty(), "no request made");
    assert!(!dir.path().join("x.db").exists());

    // Without configuration: osv.dev's exports are named, nothing is fetched.
    let empty = tempfile::tempdir().unwrap();
    let (code, _, stderr) = run(common::assay_in(empty.path())
        .env("ASSAY_OFFLINE", "true")
        .args(["db", "update", "--db", "x.db"]));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("https://osv-vulnerabilities.storage.googleapis.com/Debian/all.zip"),
        "{stderr}"
    );

    // A repository to pull is named the same way.
    let config = write_config(
        dir.path(),
        "db:\n  repository: registry.example.com/security/assay-db:1\n",
    );
    let (code, _, stderr) = run(assay()
        .args(["db", "update", "--offline", "--config"])
        .arg(&config));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("would pull registry.example.com/security/assay-db:1"),
        "{stderr}"
    );
}

#[test]
fn update_refuses_plain_http_to_other_hosts_and_bad_settings() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        "db:\n  urls: [\"http://osv.example.com/PyPI/all.zip\"]\n",
    );
    let (code, _, stderr) = run(assay()
        .args(["db", "update", "--config"])
        .arg(&config)
        .arg("--db")
        .arg(dir.path().join("x.db")));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("plain http is only allowed for loopback"),
        "{stderr}"
    );

    let config = write_config(dir.path(), "db:\n  max-age: a week\n");
    let (code, _, stderr) = run(assay().args(["db", "update", "--config"]).arg(&config));
    assert_eq!(code, 2);
    assert!(stderr.contains("max-age"), "{stderr}");

    let config = write_config(dir.path(), "db:\n  mirror: x\n");
    let (code, _, stderr) = run(assay().args(["db", "update", "--config"]).arg(&config));
    assert_eq!(code, 2);
    assert!(stderr.contains("assay.yaml:2"), "{stderr}");
}

const LOCK: &str = r#"{"name":"web","lockfileVersion":3,"requires":true,"packages":{"":{"name":"web"},"node_modules/lodash":{"version":"4.17.20"}}}"#;

#[test]
fn scans_warn_once_when_the_database_is_older_than_max_age() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("a.db");
    run(assay()
        .args(["db", "build", "--from", "fixtures/osv", "--output"])
        .arg(&db));
    let project = dir.path().join("project");
    fs::create_dir_all(&project).unwrap();
    fs::write(project.join("package-lock.json"), LOCK).unwrap();
    // Built at 2026-01-01 (the tests' SOURCE_DATE_EPOCH); scanned 8 days later.
    let later = (common::EPOCH.parse::<i64>().unwrap() + 8 * 86400).to_string();
    let scan = |config: Option<&str>| {
        let mut cmd = assay();
        cmd.env("SOURCE_DATE_EPOCH", &later)
            .args(["scan"])
            .arg(&project)
            .args(["-f", "json", "--db"])
            .arg(&db);
        if let Some(yaml) = config {
            cmd.arg("--config").arg(write_config(dir.path(), yaml));
        }
        run(&mut cmd)
    };
    let (code, _, stderr) = scan(None);
    assert_eq!(code, 1, "{stderr}");
    let warnings: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("database was built"))
        .collect();
    assert_eq!(warnings.len(), 1, "{stderr}");
    assert!(warnings[0].contains("8 days ago, limit 7d"), "{stderr}");
    assert!(warnings[0].contains("assay db update"), "{stderr}");

    let (_, _, stderr) = scan(Some("db:\n  max-age: 30d\n"));
    assert!(!stderr.contains("database was built"), "{stderr}");
    let (_, _, stderr) = scan(Some("db:\n  max-age: \"0\"\n"));
    assert!(!stderr.contains("database was built"), "{stderr}");
    let (code, _, stderr) = scan(Some("db:\n  max-age: soon\n"));
    assert_eq!(code, 2);
    assert!(stderr.contains("max-age"), "{stderr}");
}

#[test]
fn explain_shows_the_lookup_the_range_events_and_each_comparison() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("a.db");
    run(assay()
        .args(["db", "build", "--from", "fixtures/osv", "--output"])
        .arg(&db));
    let project = dir.path().join("project");
    fs::create_dir_all(&project).unwrap();
    fs::write(
        project.join("package-lock.json"),
        r#"{"name":"web","lockfileVersion":3,"packages":{"":{"name":"web"},"node_modules/path-to-regexp":{"version":"0.1.7"},"node_modules/lodash":{"version":"4.17.20"}}}"#,
    )
    .unwrap();
    // Asked by alias: the finding is shown under its CVE.
    let (code, stdout, stderr) = run(assay_in(dir.path()).args([
        "scan",
        "project",
        "--db",
        "a.db",
        "--explain",
        "GHSA-9wv6-86v2-598j",
    ]));
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        stdout,
        "CVE-2024-45296 in project/package-lock.json
  aliases:   GHSA-9wv6-86v2-598j
  package:   path-to-regexp 0.1.7 (pkg:npm/path-to-regexp@0.1.7)
  looked up: npm path-to-regexp 0.1.7 (SemVer ordering)
  fixed in:  0.1.10
  status:    reported
  why:
    GHSA-9wv6-86v2-598j: 0.1.7 is in the SEMVER range [introduced 0, fixed 0.1.10] (SemVer ordering of npm)
      introduced 0 (below every version): affected from here
      0.1.7 < fixed 0.1.10: no effect
      => affected

"
    );
    assert!(!stdout.contains("lodash"), "only the asked vulnerability");

    let (code, _, stderr) = run(assay_in(dir.path()).args([
        "scan",
        "project",
        "--db",
        "a.db",
        "--explain",
        "CVE-1999-0001",
    ]));
    assert_eq!(code, 2);
    assert!(stderr.contains("no vulnerability finding"), "{stderr}");
}

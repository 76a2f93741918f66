//! Building the database file, opening it, and refusing files it cannot read.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use assay_vuln::db::{self, Database, DbError, SCHEMA_VERSION, build_at};

/// 2024-01-01T00:00:00Z, as a `SOURCE_DATE_EPOCH` would give it.
const EPOCH: i64 = 1_704_067_200;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/osv")
}

fn build_fixtures(dir: &Path) -> PathBuf {
    let out = dir.join("assay.db");
    build_at(&[fixtures()], &out, EPOCH).unwrap();
    out
}

#[test]
fn build_then_open_reports_sources_and_counts_per_ecosystem() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("nested/dir/assay.db");
    let summary = build_at(&[fixtures()], &out, EPOCH).unwrap();
    assert!(summary.bytes > 0);
    assert_eq!(std::fs::metadata(&out).unwrap().len(), summary.bytes);

    let db = Database::open(&out).unwrap();
    let info = db.info();
    assert_eq!(info, &summary.info);
    assert_eq!(info.schema_version, SCHEMA_VERSION);
    assert_eq!(info.build_time, "2024-01-01T00:00:00Z");
    assert_eq!(info.sources.len(), 1);
    let source = &info.sources[0];
    assert_eq!((source.files, source.records), (14, 13));
    assert_eq!((source.withdrawn, source.git_ranges), (1, 1));
    assert_eq!(info.vulnerabilities, 13);
    let count = |e: &str| info.ecosystems.get(e).copied().unwrap_or(0);
    assert_eq!(count("Debian:12"), 3);
    assert_eq!(count("Debian"), 1);
    assert_eq!(count("PyPI"), 3);
    assert_eq!(count("npm"), 3);
    assert_eq!(count("crates.io"), 1);
    assert_eq!(count("Go"), 1);
    assert_eq!(count("Maven"), 1);
}

#[test]
fn same_inputs_give_a_byte_identical_file() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.db");
    let b = dir.path().join("b.db");
    build_at(&[fixtures()], &a, EPOCH).unwrap();
    build_at(&[fixtures()], &b, EPOCH).unwrap();
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
}

#[test]
fn a_record_given_twice_is_stored_once() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("assay.db");
    let npm = fixtures().join("npm");
    let summary = build_at(
        &[npm.clone(), npm.join("GHSA-f9cm-p3w6-xvr3.json")],
        &out,
        EPOCH,
    )
    .unwrap();
    assert_eq!(summary.info.duplicates, 1);
    assert_eq!(summary.info.vulnerabilities, 3);
    let db = Database::open(&out).unwrap();
    assert_eq!(db.lookup("npm", "qs").unwrap().len(), 1);
}

#[test]
fn build_error_names_the_bad_file_and_leaves_the_old_database() {
    let dir = tempfile::tempdir().unwrap();
    let out = build_fixtures(dir.path());
    let before = std::fs::read(&out).unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{").unwrap();
    let err = build_at(&[fixtures(), bad], &out, EPOCH).unwrap_err();
    assert!(err.to_string().contains("bad.json"), "{err}");
    assert_eq!(std::fs::read(&out).unwrap(), before);
}

#[test]
fn opening_a_file_of_another_schema_says_to_rebuild() {
    let dir = tempfile::tempdir().unwrap();
    let out = build_fixtures(dir.path());
    let mut bytes = std::fs::read(&out).unwrap();
    bytes[8..12].copy_from_slice(&2u32.to_le_bytes());
    std::fs::write(&out, &bytes).unwrap();
    let err = Database::open(&out).unwrap_err();
    assert!(matches!(
        err,
        DbError::Schema {
            found: 2,
            expected: 1,
            ..
        }
    ));
    assert!(
        err.to_string()
            .contains("database schema 2, this assay reads 1: run assay db build/update"),
        "{err}"
    );
}

#[test]
fn opening_something_else_is_not_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.db");
    std::fs::write(
        &path,
        b"SQLite format 3\0 and then some more bytes to pass the header length",
    )
    .unwrap();
    assert!(matches!(
        Database::open(&path),
        Err(DbError::NotADatabase { .. })
    ));
    std::fs::write(&path, b"short").unwrap();
    assert!(matches!(
        Database::open(&path),
        Err(DbError::NotADatabase { .. })
    ));
}

#[test]
fn a_truncated_file_is_corrupt_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let out = build_fixtures(dir.path());
    let bytes = std::fs::read(&out).unwrap();
    for len in [64, 100, bytes.len() / 2, bytes.len() - 1] {
        std::fs::write(&out, &bytes[..len]).unwrap();
        let err = Database::open(&out).unwrap_err();
        assert!(matches!(err, DbError::Corrupt { .. }), "{len}: {err}");
    }
}

#[test]
fn flipped_bytes_never_panic_on_open_or_lookup() {
    let dir = tempfile::tempdir().unwrap();
    let out = build_fixtures(dir.path());
    let bytes = std::fs::read(&out).unwrap();
    for at in (12..bytes.len()).step_by(97) {
        let mut broken = bytes.clone();
        broken[at] ^= 0xff;
        std::fs::write(&out, &broken).unwrap();
        if let Ok(db) = Database::open(&out) {
            let _ = db.lookup("npm", "qs");
            let _ = db.lookup("Debian:12", "zlib");
        }
    }
}

#[test]
fn default_path_follows_assay_db_then_xdg_cache_home_then_home() {
    let os = |s: &str| Some(std::ffi::OsString::from(s));
    assert_eq!(
        db::path_from(os("/data/my.db"), os("/xdg"), os("/home/u")),
        PathBuf::from("/data/my.db")
    );
    assert_eq!(
        db::path_from(None, os("/xdg"), os("/home/u")),
        PathBuf::from("/xdg/assay/db/assay.db")
    );
    assert_eq!(
        db::path_from(os(""), os("relative"), os("/home/u")),
        PathBuf::from("/home/u/.cache/assay/db/assay.db")
    );
}

#[test]
fn open_and_lookup_are_fast() {
    let dir = tempfile::tempdir().unwrap();
    let out = build_fixtures(dir.path());
    let start = std::time::Instant::now();
    let db = Database::open(&out).unwrap();
    let found = db.lookup("npm", "lodash").unwrap();
    let elapsed = start.elapsed();
    assert_eq!(found.len(), 1);
    // Generous bound for a debug build on a loaded CI machine; typical is well under 1 ms.
    assert!(
        elapsed < std::time::Duration::from_millis(500),
        "{elapsed:?}"
    );
}

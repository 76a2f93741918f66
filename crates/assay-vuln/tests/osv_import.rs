//! Importing OSV records: single files, directory trees, zip exports, and what is skipped.
#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::path::{Path, PathBuf};

use assay_vuln::osv::{ImportError, ImportStats, Vulnerability, import};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/osv")
}

fn import_all(path: &Path) -> Result<(ImportStats, Vec<Vulnerability>), ImportError> {
    let mut records = Vec::new();
    let stats = import(path, &mut |r| records.push(r))?;
    Ok((stats, records))
}

fn ids(records: &[Vulnerability]) -> Vec<&str> {
    records.iter().map(|r| r.id.as_str()).collect()
}

/// A zip archive at `path` with `(entry name, content)` entries, deflated like osv.dev's.
fn write_zip(path: &Path, entries: &[(&str, &[u8])]) {
    let file = std::fs::File::create(path).unwrap();
    let mut zip = zip::ZipWriter::new(file);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, content) in entries {
        zip.start_file(*name, options).unwrap();
        zip.write_all(content).unwrap();
    }
    zip.finish().unwrap();
}

#[test]
fn imports_one_record_file_with_its_fields() {
    let (stats, records) =
        import_all(&fixtures().join("crates.io/RUSTSEC-2018-0010.json")).unwrap();
    assert_eq!(stats.files, 1);
    assert_eq!(stats.records, 1);
    let r = &records[0];
    assert_eq!(r.id, "RUSTSEC-2018-0010");
    assert_eq!(r.aliases, ["CVE-2018-20997", "GHSA-xjxc-vfw2-cg96"]);
    assert_eq!(r.severity[0].kind, "CVSS_V3");
    let affected = &r.affected[0];
    let package = affected.package.as_ref().unwrap();
    assert_eq!(
        (package.ecosystem.as_str(), package.name.as_str()),
        ("crates.io", "openssl")
    );
    assert_eq!(affected.ranges[0].kind, "SEMVER");
    assert_eq!(
        affected.ranges[0].events[0].introduced.as_deref(),
        Some("0.10.8")
    );
    assert_eq!(
        affected.ranges[0].events[1].fixed.as_deref(),
        Some("0.10.9")
    );
}

#[test]
fn imports_a_directory_tree_in_sorted_path_order() {
    let (stats, records) = import_all(&fixtures()).unwrap();
    assert_eq!(stats.files, 14);
    assert_eq!(stats.withdrawn, 1);
    assert_eq!(stats.records, 13);
    let got = ids(&records);
    // crates.io/ < debian/ < go/ < maven/ < npm/ < pypi/, files sorted within.
    assert_eq!(got[0], "RUSTSEC-2018-0010");
    assert_eq!(got[1], "DEBIAN-CVE-2018-25032");
    assert_eq!(got.last().copied(), Some("PYSEC-2023-74"));
}

#[test]
fn imports_a_zip_export_entry_by_entry() {
    let dir = tempfile::tempdir().unwrap();
    let zip_path = dir.path().join("all.zip");
    let qs = std::fs::read(fixtures().join("npm/GHSA-f9cm-p3w6-xvr3.json")).unwrap();
    let go = std::fs::read(fixtures().join("go/GO-2024-2978.json")).unwrap();
    write_zip(
        &zip_path,
        &[
            ("GHSA-f9cm-p3w6-xvr3.json", &qs),
            ("README.txt", b"not a record"),
            ("GO-2024-2978.json", &go),
        ],
    );
    let (stats, records) = import_all(&zip_path).unwrap();
    assert_eq!(ids(&records), ["GHSA-f9cm-p3w6-xvr3", "GO-2024-2978"]);
    assert_eq!(stats.files, 2);
}

#[test]
fn imports_zip_exports_found_in_a_directory() {
    let dir = tempfile::tempdir().unwrap();
    let qs = std::fs::read(fixtures().join("npm/GHSA-f9cm-p3w6-xvr3.json")).unwrap();
    std::fs::create_dir(dir.path().join("npm")).unwrap();
    write_zip(&dir.path().join("npm/all.zip"), &[("a.json", &qs)]);
    let (_, records) = import_all(dir.path()).unwrap();
    assert_eq!(ids(&records), ["GHSA-f9cm-p3w6-xvr3"]);
}

#[test]
fn skips_withdrawn_records_and_counts_them() {
    let (stats, records) = import_all(&fixtures().join("go")).unwrap();
    assert_eq!(ids(&records), ["GO-2024-2978"]);
    assert_eq!(stats.withdrawn, 1);
}

#[test]
fn drops_git_ranges_and_counts_them() {
    let (stats, records) = import_all(&fixtures().join("pypi/PYSEC-2023-74.json")).unwrap();
    assert_eq!(stats.git_ranges, 1);
    let ranges = &records[0].affected[0].ranges;
    assert_eq!(ranges.len(), 1);
    assert_eq!(ranges[0].kind, "ECOSYSTEM");
}

#[test]
fn reads_a_json_array_of_records() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vulns.json");
    std::fs::write(
        &path,
        r#"[{"id": "TEST-1", "modified": "2024-01-01T00:00:00Z"},
            {"id": "TEST-2", "modified": "2024-01-01T00:00:00Z", "withdrawn": "2024-02-01T00:00:00Z"}]"#,
    )
    .unwrap();
    let (stats, records) = import_all(&path).unwrap();
    assert_eq!(ids(&records), ["TEST-1"]);
    assert_eq!(stats.withdrawn, 1);
}

#[test]
fn tolerates_unknown_fields_and_nulls() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("TEST-3.json");
    std::fs::write(
        &path,
        r#"{"id": "TEST-3", "modified": "2024-01-01T00:00:00Z", "schema_version": "9.9.9",
            "aliases": null, "credits": [{"name": "x"}], "future_field": {"a": 1},
            "affected": [{"package": {"ecosystem": "npm", "name": "x", "new": true},
                          "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}], "x": 1}],
                          "versions": null}]}"#,
    )
    .unwrap();
    let (_, records) = import_all(&path).unwrap();
    assert!(records[0].aliases.is_empty());
    assert!(records[0].affected[0].versions.is_empty());
}

#[test]
fn bad_json_error_names_the_file_and_position() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("BROKEN-1.json");
    std::fs::write(&path, "{\"id\": \"BROKEN-1\", \"affected\": [}").unwrap();
    let err = import_all(&path).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("BROKEN-1.json"), "{text}");
    assert!(text.contains("line 1"), "{text}");
}

#[test]
fn record_without_id_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("NOID.json");
    std::fs::write(&path, r#"{"modified": "2024-01-01T00:00:00Z"}"#).unwrap();
    let text = import_all(&path).unwrap_err().to_string();
    assert!(text.contains("NOID.json") && text.contains("id"), "{text}");
}

#[test]
fn bad_json_in_a_zip_names_the_archive_and_the_entry() {
    let dir = tempfile::tempdir().unwrap();
    let zip_path = dir.path().join("all.zip");
    write_zip(&zip_path, &[("GHSA-bad.json", b"{ nope")]);
    let text = import_all(&zip_path).unwrap_err().to_string();
    assert!(
        text.contains("all.zip") && text.contains("GHSA-bad.json"),
        "{text}"
    );
}

#[test]
fn a_file_that_is_not_a_zip_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let zip_path = dir.path().join("all.zip");
    std::fs::write(&zip_path, b"this is not a zip").unwrap();
    let text = import_all(&zip_path).unwrap_err().to_string();
    assert!(text.contains("all.zip") && text.contains("zip"), "{text}");
}

#[test]
fn a_missing_source_is_an_error_naming_it() {
    let text = import_all(Path::new("/nonexistent/osv-dir"))
        .unwrap_err()
        .to_string();
    assert!(text.contains("/nonexistent/osv-dir"), "{text}");
}

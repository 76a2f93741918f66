//! Images as targets: packages catalogued from generated images, matched against a database
//! built from the bundled OSV fixtures, reported in every format; the same image pulled from a
//! real registry gives the same findings.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use assay_oci::testing::{ImageSpec, LayerSpec, LayoutBuilder};
use common::{assay, run};

const BOOKWORM: &str = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\n\
VERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nVERSION_CODENAME=bookworm\nID=debian\n";

/// expat 2.5.0-1 (fixed for CVE-2024-45490 in 2.5.0-1+deb12u1) and tar already fixed.
const STATUS: &str = "Package: libexpat1\nStatus: install ok installed\nPriority: optional\nSection: libs\n\
Installed-Size: 403\nMaintainer: Laszlo Boszormenyi (GCS) <gcs@debian.org>\nArchitecture: amd64\n\
Multi-Arch: same\nSource: expat\nVersion: 2.5.0-1\nDepends: libc6 (>= 2.25)\nDescription: XML parsing C library - runtime library\n\n\
Package: tar\nEssential: yes\nStatus: install ok installed\nPriority: required\nSection: utils\n\
Installed-Size: 3152\nMaintainer: Janos Lenart <ocsi@debian.org>\nArchitecture: amd64\n\
Version: 1.34+dfsg-1.2+deb12u1\nDescription: GNU version of the tar archiving utility\n\n";

const METADATA: &str = "Metadata-Version: 2.1\nName: requests\nVersion: 2.28.1\nSummary: Python HTTP for Humans.\nLicense: Apache 2.0\n\n";

fn image() -> ImageSpec {
    ImageSpec::new()
        .layer(
            LayerSpec::new()
                .file("etc/os-release", BOOKWORM)
                .file("var/lib/dpkg/status", STATUS),
        )
        .layer(LayerSpec::new().file(
            "usr/lib/python3/dist-packages/requests-2.28.1.dist-info/METADATA",
            METADATA,
        ))
}

fn database(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("assay.db");
    let (code, _, stderr) = run(assay()
        .args(["db", "build", "--from", "fixtures/osv", "--output"])
        .arg(&path));
    assert_eq!(code, 0, "{stderr}");
    path
}

/// Writes the test image as an OCI layout under `dir/layout` (tagged `1.0`) and returns the
/// layout path and its `oci:` target.
fn layout(dir: &Path) -> (std::path::PathBuf, String) {
    let path = dir.join("layout");
    LayoutBuilder::new()
        .image(Some("1.0"), image())
        .write(&path);
    let target = format!("oci:{}:1.0", path.display());
    (path, target)
}

fn ids(stdout: &str) -> Vec<String> {
    let report: serde_json::Value = serde_json::from_str(stdout).unwrap();
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn finds_os_and_language_vulnerabilities_in_an_oci_layout() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(dir.path());
    let (_, target) = layout(dir.path());
    let (code, stdout, stderr) = run(assay()
        .args(["scan", &target, "--format", "json", "--db"])
        .arg(&db));
    assert_eq!(code, 1, "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["targets"][0]["kind"], "image");
    let found = ids(&stdout);
    assert!(
        found.contains(&"CVE-2024-45490".to_string()),
        "expat via its source package: {found:?}"
    );
    assert!(
        found.contains(&"CVE-2023-32681".to_string()),
        "requests, PYSEC and GHSA merged: {found:?}"
    );
    assert_eq!(found.iter().filter(|id| *id == "CVE-2023-32681").count(), 1);
    assert!(
        !found.contains(&"CVE-2023-39804".to_string()),
        "tar is at the fixed version"
    );
    let expat = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "CVE-2024-45490")
        .unwrap();
    assert_eq!(expat["kind"], "vulnerability");
    assert_eq!(expat["package"]["name"], "libexpat1");
    assert_eq!(expat["package"]["ecosystem"], "Debian:12");
    assert!(expat["fix"].as_str().unwrap().contains("2.5.0-1+deb12u1"));
    assert!(
        expat["location"]["layer"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );

    let (_, gitlab, _) = run(assay()
        .args(["scan", &target, "--format", "gitlab", "--db"])
        .arg(&db));
    let gitlab: serde_json::Value = serde_json::from_str(&gitlab).unwrap();
    assert_eq!(gitlab["scan"]["type"], "container_scanning");
    assert!(gitlab["vulnerabilities"].as_array().unwrap().len() >= 2);
}

#[test]
fn ignore_unfixed_and_gates_apply_to_vulnerabilities() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(dir.path());
    let (_, target) = layout(dir.path());
    let (code, _, _) = run(assay()
        .args(["scan", &target, "--fail-on", "misconfig=LOW", "--db"])
        .arg(&db));
    assert_eq!(code, 0, "a misconfig-only gate ignores vulnerabilities");
    let (code, _, _) = run(assay()
        .args([
            "scan",
            &target,
            "--fail-on",
            "vuln=LOW",
            "--exit-code",
            "5",
            "--db",
        ])
        .arg(&db));
    assert_eq!(code, 5);
}

#[test]
fn a_missing_database_is_exit_2_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let (_, target) = layout(dir.path());
    let (code, stdout, stderr) = run(assay()
        .args(["scan", &target, "--db"])
        .arg(dir.path().join("none.db")));
    assert_eq!(code, 2);
    assert!(stdout.is_empty());
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("none.db"), "{stderr}");
}

#[test]
fn a_tampered_layer_is_an_error_not_a_result() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(dir.path());
    let (layout, target) = layout(dir.path());
    // Flip one byte in every layer-sized blob: the digest no longer matches.
    for entry in std::fs::read_dir(layout.join("blobs/sha256")).unwrap() {
        let path = entry.unwrap().path();
        let mut bytes = std::fs::read(&path).unwrap();
        if bytes.len() > 200 && bytes.first() == Some(&0x1f) {
            let last = bytes.len() - 10;
            bytes[last] ^= 0xff;
            std::fs::write(&path, bytes).unwrap();
        }
    }
    let (code, stdout, stderr) = run(assay().args(["scan", &target, "--db"]).arg(&db));
    assert_eq!(code, 2, "{stderr}");
    assert!(stdout.is_empty());
    assert!(
        stderr.contains("digest") || stderr.contains("sha256"),
        "{stderr}"
    );
}

#[test]
fn the_same_image_pulled_from_a_registry_gives_the_same_findings() {
    let Some(registry) = assay_testkit::Registry::start_or_skip("image_scan_registry") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = database(dir.path());
    let (_, target) = layout(dir.path());
    assay_oci::testing::Pusher::new(&registry.host()).push_image(
        "shop/orders",
        "1.0",
        &image().build(),
    );
    let reference = format!("{}/shop/orders:1.0", registry.host());
    let (code_local, local, _) = run(assay()
        .args(["scan", &target, "-f", "json", "--db"])
        .arg(&db));
    let (code_remote, remote, stderr) = run(assay()
        .args(["scan", &reference, "-f", "json", "--db"])
        .arg(&db));
    assert_eq!((code_local, code_remote), (1, 1), "{stderr}");
    let (mut a, mut b) = (ids(&local), ids(&remote));
    a.sort();
    b.sort();
    assert_eq!(a, b);
    let (code, _, stderr) = run(assay()
        .args(["scan", &reference, "--offline", "--db"])
        .arg(&db));
    assert_eq!(code, 2, "{stderr}");
}

#[test]
fn oci_layouts_found_in_a_directory_are_scanned_as_images() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(dir.path());
    let project = dir.path().join("project");
    LayoutBuilder::new()
        .image(Some("1.0"), image())
        .write(&project.join("build/image"));
    std::fs::write(project.join("Dockerfile"), "FROM debian:12\nUSER 1000\n").unwrap();
    let (code, stdout, stderr) = run(assay()
        .args(["scan"])
        .arg(&project)
        .args(["-f", "json", "--db"])
        .arg(&db));
    assert_eq!(code, 1, "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let kinds: Vec<&str> = report["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "image").count(),
        1,
        "{kinds:?}"
    );
    assert!(kinds.contains(&"dockerfile"));
    assert!(ids(&stdout).contains(&"CVE-2024-45490".to_string()));
    assert!(
        !report["targets"].to_string().contains("index.json"),
        "the layout's own JSON is not a manifest"
    );

    // Without a database the layout is skipped with a warning; the Dockerfile is still scanned.
    let (code, stdout, stderr) = run(assay()
        .args(["scan"])
        .arg(&project)
        .args(["-f", "json", "--db"])
        .arg(dir.path().join("none.db")));
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("OCI layout(s) found but not scanned"),
        "{stderr}"
    );
    assert!(!stdout.contains("\"image\""));
}

const LOCK: &str = r#"{
  "name": "shop-web",
  "version": "1.0.0",
  "lockfileVersion": 3,
  "requires": true,
  "packages": {
    "": { "name": "shop-web", "version": "1.0.0", "dependencies": { "lodash": "^4.17.15" } },
    "node_modules/lodash": {
      "version": "4.17.15",
      "resolved": "https://registry.npmjs.org/lodash/-/lodash-4.17.15.tgz",
      "license": "MIT"
    }
  }
}
"#;

#[test]
fn lock_files_in_a_directory_are_checked_for_vulnerabilities() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(dir.path());
    let project = dir.path().join("project");
    std::fs::create_dir_all(project.join("web")).unwrap();
    std::fs::write(project.join("web/package-lock.json"), LOCK).unwrap();
    let (code, stdout, stderr) = run(assay()
        .args(["scan"])
        .arg(&project)
        .args(["-f", "json", "--db"])
        .arg(&db));
    assert_eq!(code, 1, "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let lodash = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "CVE-2021-23337")
        .unwrap();
    assert_eq!(lodash["package"]["name"], "lodash");
    assert!(
        lodash["location"]["path"]
            .as_str()
            .unwrap()
            .ends_with("web/package-lock.json")
    );
    assert!(lodash["fix"].as_str().unwrap().contains("4.17.21"));
    assert!(
        report["targets"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["kind"] == "lockfile")
    );

    let (_, gitlab, _) = run(assay()
        .args(["scan"])
        .arg(&project)
        .args(["-f", "gitlab", "--db"])
        .arg(&db));
    let gitlab: serde_json::Value = serde_json::from_str(&gitlab).unwrap();
    assert_eq!(gitlab["scan"]["type"], "dependency_scanning");
    assert!(
        gitlab["vulnerabilities"][0]["location"]["file"]
            .as_str()
            .unwrap()
            .ends_with("package-lock.json")
    );
}

#[test]
fn a_lock_file_named_on_the_command_line_is_checked_and_needs_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(dir.path());
    let lock = dir.path().join("package-lock.json");
    std::fs::write(&lock, LOCK).unwrap();
    let (code, stdout, stderr) = run(assay()
        .arg("scan")
        .arg(&lock)
        .args(["-f", "json", "--db"])
        .arg(&db));
    assert_eq!(code, 1, "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule_id"] == "CVE-2021-23337" && f["package"]["name"] == "lodash"),
        "{stdout}"
    );
    assert_eq!(report["targets"][0]["kind"], "lockfile");

    // Asked explicitly, a missing database is an input error, as for an image.
    let (code, stdout, stderr) = run(assay()
        .arg("scan")
        .arg(&lock)
        .arg("--db")
        .arg(dir.path().join("missing.db")));
    assert_eq!(code, 2, "{stdout}");
    assert!(
        stderr.contains("missing.db: no vulnerability database"),
        "{stderr}"
    );
}

/// A Red Hat advisory as OSV publishes them: per product stream, naming binary packages at
/// epoch:version-release. Written for the test (`TEST-` id), not a real advisory.
const RHSA_TEST: &str = r#"{
  "schema_version": "1.6.0", "id": "TEST-RHSA-0001", "modified": "2025-01-01T00:00:00Z",
  "summary": "hello-tiny test advisory",
  "affected": [
    {"package": {"ecosystem": "Red Hat:enterprise_linux:9::appstream", "name": "hello-tiny"},
     "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2:1.2.3-5.el9"}]}]},
    {"package": {"ecosystem": "Red Hat:enterprise_linux:8::appstream", "name": "foo-devel"},
     "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "0:9.9-1.el8"}]}]}
  ]
}"#;

#[test]
fn rhel_packages_match_the_advisories_of_their_release_streams_by_binary_name() {
    let dir = tempfile::tempdir().unwrap();
    let osv = dir.path().join("osv");
    std::fs::create_dir(&osv).unwrap();
    std::fs::write(osv.join("TEST-RHSA-0001.json"), RHSA_TEST).unwrap();
    let db = dir.path().join("assay.db");
    let (code, _, stderr) = run(assay()
        .args(["db", "build", "--from"])
        .arg(&osv)
        .arg("--output")
        .arg(&db));
    assert_eq!(code, 0, "{stderr}");
    let rpmdb = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/catalog/rpm/rpmdb.sqlite"
    ))
    .unwrap();
    let image = ImageSpec::new().layer(
        LayerSpec::new()
            .file(
                "etc/os-release",
                "NAME=\"Red Hat Enterprise Linux\"\nID=\"rhel\"\nVERSION_ID=\"9.4\"\n",
            )
            .file("var/lib/rpm/rpmdb.sqlite", rpmdb),
    );
    let path = dir.path().join("ubi");
    LayoutBuilder::new().image(Some("1.0"), image).write(&path);
    let (code, stdout, stderr) = run(assay()
        .args(["scan", "--scanners", "vuln", "--format", "json", "--db"])
        .arg(&db)
        .arg(format!("oci:{}:1.0", path.display())));
    assert_eq!(code, 1, "{stderr}");
    // hello-tiny 2:1.2.3-4.el9 is before the RHEL 9 fix; foo-devel's advisory is for RHEL 8.
    assert_eq!(ids(&stdout), ["TEST-RHSA-0001"]);
    assert!(stdout.contains("hello-tiny"), "{stdout}");
}

//! `assay sbom` on generated images: CycloneDX and SPDX from the same catalogue,
//! byte-identical for the same input.
#![allow(clippy::unwrap_used)]

mod common;

use assay_oci::testing::{ImageSpec, LayerSpec, LayoutBuilder};
use common::{assay, run};

const BOOKWORM: &str = "ID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n";
const STATUS: &str = "Package: libexpat1\nStatus: install ok installed\nArchitecture: amd64\nSource: expat\nVersion: 2.5.0-1\nDescription: XML parsing C library\n\n";

fn layout(dir: &std::path::Path) -> String {
    let image = ImageSpec::new()
        .layer(
            LayerSpec::new()
                .file("etc/os-release", BOOKWORM)
                .file("var/lib/dpkg/status", STATUS),
        )
        .layer(LayerSpec::new().file(
            "usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA",
            "Metadata-Version: 2.1\nName: six\nVersion: 1.16.0\nLicense: MIT\n\n",
        ));
    LayoutBuilder::new()
        .image(Some("1.0"), image)
        .write(&dir.join("layout"));
    format!("oci:{}:1.0", dir.join("layout").display())
}

#[test]
fn cyclonedx_lists_the_image_packages_with_purls_and_layers() {
    let dir = tempfile::tempdir().unwrap();
    let target = layout(dir.path());
    let (code, stdout, stderr) = run(assay().args(["sbom", &target]));
    assert_eq!(code, 0, "{stderr}");
    let bom: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(bom["bomFormat"], "CycloneDX");
    assert_eq!(bom["specVersion"], "1.6");
    assert_eq!(bom["metadata"]["timestamp"], "2026-01-01T00:00:00Z");
    assert!(
        bom["metadata"]["component"]["bom-ref"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );
    let purls: Vec<&str> = bom["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["purl"].as_str())
        .collect();
    assert!(
        purls
            .iter()
            .any(|p| p.starts_with("pkg:deb/debian/libexpat1@2.5.0-1")),
        "{purls:?}"
    );
    assert!(purls.contains(&"pkg:pypi/six@1.16.0"), "{purls:?}");
    assert!(stdout.contains("assay:layer:diff_id"));
    let (_, again, _) = run(assay().args(["sbom", &target]));
    assert_eq!(stdout, again, "same input, same bytes");
    let (_, v15, _) = run(assay().args(["sbom", &target, "--spec-version", "1.5"]));
    assert!(v15.contains("\"specVersion\": \"1.5\""));
}

#[test]
fn spdx_describes_the_image_and_contains_its_packages() {
    let dir = tempfile::tempdir().unwrap();
    let target = layout(dir.path());
    let out = dir.path().join("image.spdx.json");
    let (code, _, stderr) = run(assay()
        .args(["sbom", &target, "--format", "spdx-json", "-o"])
        .arg(&out));
    assert_eq!(code, 0, "{stderr}");
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(doc["spdxVersion"], "SPDX-2.3");
    let contains = doc["relationships"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["relationshipType"] == "CONTAINS")
        .count();
    assert!(contains >= 2, "{doc}");
}

#[test]
fn files_that_hold_no_packages_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, "not a package list\n").unwrap();
    let (code, stdout, stderr) = run(assay().arg("sbom").arg(&notes));
    assert_eq!(code, 2, "{stderr}");
    assert!(stdout.is_empty());
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("not a lock file"), "{stderr}");
}

#[test]
fn xml_and_tag_value_are_written_from_the_same_catalogue() {
    let dir = tempfile::tempdir().unwrap();
    let target = layout(dir.path());
    let (code, xml, stderr) = run(assay().args(["sbom", &target, "--format", "cyclonedx-xml"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<bom xmlns=\"http://cyclonedx.org/schema/bom/1.6\""));
    assert!(xml.contains("<purl>pkg:pypi/six@1.16.0</purl>"), "{xml}");
    let (_, v15, _) = run(assay().args([
        "sbom",
        &target,
        "--format",
        "cyclonedx-xml",
        "--spec-version",
        "1.5",
    ]));
    assert!(v15.contains("xmlns=\"http://cyclonedx.org/schema/bom/1.5\""));
    let (code, tv, stderr) = run(assay().args(["sbom", &target, "--format", "spdx-tag-value"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(tv.starts_with("SPDXVersion: SPDX-2.3\n"), "{tv}");
    assert!(
        tv.contains("ExternalRef: PACKAGE-MANAGER purl pkg:pypi/six@1.16.0"),
        "{tv}"
    );
    assert!(tv.contains("Relationship: SPDXRef-DOCUMENT DESCRIBES SPDXRef-Subject"));
    let (_, again, _) = run(assay().args(["sbom", &target, "--format", "spdx-tag-value"]));
    assert_eq!(tv, again, "same input, same bytes");
}

const PACKAGE_LOCK: &str = r#"{"name":"web","lockfileVersion":3,"packages":{
  "":{"name":"web","dependencies":{"express":"^4.19.2"}},
  "node_modules/express":{"version":"4.19.2","license":"MIT","dependencies":{"debug":"2.6.9"}},
  "node_modules/debug":{"version":"2.6.9","license":"MIT","dependencies":{"ms":"2.0.0"}},
  "node_modules/ms":{"version":"2.0.0","license":"MIT"}}}"#;

const CARGO_LOCK: &str = "version = 3\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\"serde\"]\n\n[[package]]\nname = \"serde\"\nversion = \"1.0.200\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\ndependencies = [\"serde_derive\"]\n\n[[package]]\nname = \"serde_derive\"\nversion = \"1.0.200\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n";

#[test]
fn directories_and_lock_files_give_sboms_with_dependency_edges() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("web")).unwrap();
    std::fs::create_dir_all(dir.path().join("svc")).unwrap();
    std::fs::write(dir.path().join("web/package-lock.json"), PACKAGE_LOCK).unwrap();
    std::fs::write(dir.path().join("svc/Cargo.lock"), CARGO_LOCK).unwrap();
    let target = dir.path().to_str().unwrap();
    let (code, stdout, stderr) = run(assay().args(["sbom", target]));
    assert_eq!(code, 0, "{stderr}");
    let bom: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(bom["metadata"]["component"]["type"], "file");
    let dependencies = bom["dependencies"].as_array().unwrap();
    let edge = |parent: &str| {
        dependencies
            .iter()
            .find(|d| d["ref"] == parent)
            .map(|d| d["dependsOn"].clone())
    };
    assert_eq!(
        edge("pkg:npm/express@4.19.2").unwrap()[0],
        "pkg:npm/debug@2.6.9"
    );
    assert_eq!(edge("pkg:npm/debug@2.6.9").unwrap()[0], "pkg:npm/ms@2.0.0");
    assert_eq!(
        edge("pkg:cargo/serde@1.0.200").unwrap()[0],
        "pkg:cargo/serde_derive@1.0.200"
    );
    assert!(edge("pkg:npm/ms@2.0.0").is_none(), "leaves have no entry");
    let (code, spdx, stderr) = run(assay().args(["sbom", target, "--format", "spdx-json"]));
    assert_eq!(code, 0, "{stderr}");
    let depends = spdx.matches("\"DEPENDS_ON\"").count();
    assert_eq!(depends, 3, "{spdx}");
    // One lock file alone.
    let lock = dir.path().join("web/package-lock.json");
    let (code, one, stderr) = run(assay().args(["sbom", lock.to_str().unwrap()]));
    assert_eq!(code, 0, "{stderr}");
    assert!(one.contains("pkg:npm/express@4.19.2") && !one.contains("pkg:cargo/"));
}

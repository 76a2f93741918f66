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
fn non_image_targets_are_usage_errors() {
    let (code, stdout, stderr) = run(assay().args(["sbom", "fixtures/demo"]));
    assert_eq!(code, 2);
    assert!(stdout.is_empty());
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

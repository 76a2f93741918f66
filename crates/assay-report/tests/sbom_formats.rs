//! SBOM output: golden CycloneDX 1.6, 1.5 and SPDX 2.3 documents for a small Debian image,
//! plus the structural promises consumers rely on.
#![allow(clippy::unwrap_used)]

use assay_core::{BaseImage, Dependency, Distro, Inventory, Package};
use assay_report::sbom::{CdxSpec, SbomFormat, SbomSubject, SubjectKind, read, render};
use serde_json::Value;

#[allow(clippy::too_many_arguments)]
fn package(
    ecosystem: &str,
    name: &str,
    version: &str,
    purl: Option<&str>,
    source: Option<(&str, Option<&str>)>,
    licenses: &[&str],
    layer: Option<&str>,
    path: &str,
) -> Package {
    Package {
        name: name.into(),
        version: version.into(),
        ecosystem: ecosystem.into(),
        purl: purl.map(Into::into),
        source_name: source.map(|(n, _)| n.into()),
        source_version: source.and_then(|(_, v)| v.map(Into::into)),
        licenses: licenses.iter().map(|l| l.to_string()).collect(),
        layer: layer.map(Into::into),
        path: path.into(),
    }
}

const BASE: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
const APP: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";

fn inventory() -> Inventory {
    let dpkg = "var/lib/dpkg/status";
    let mut inventory = Inventory::new(
        Some(Distro {
            id: "debian".into(),
            version_id: Some("12".into()),
            codename: Some("bookworm".into()),
            ecosystem: "Debian:12".into(),
        }),
        vec![
            package(
                "Debian",
                "libc6",
                "2.36-9+deb12u4",
                Some("pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12"),
                Some(("glibc", None)),
                &["LGPL-2.1-or-later", "GPL-2+"],
                Some(BASE),
                dpkg,
            ),
            package(
                "Debian",
                "libssl3",
                "3.0.15-1~deb12u1",
                Some("pkg:deb/debian/libssl3@3.0.15-1~deb12u1?arch=amd64&distro=debian-12"),
                Some(("openssl", None)),
                &["Apache-2.0"],
                Some(BASE),
                dpkg,
            ),
            package(
                "Debian",
                "zlib1g",
                "1:1.2.13.dfsg-1",
                Some("pkg:deb/debian/zlib1g@1%3A1.2.13.dfsg-1?arch=amd64&distro=debian-12"),
                Some(("zlib", Some("1:1.2.13.dfsg-1"))),
                &["Zlib"],
                Some(BASE),
                dpkg,
            ),
            package(
                "Debian",
                "base-files",
                "12.4+deb12u8",
                None,
                None,
                &[],
                Some(BASE),
                dpkg,
            ),
            package(
                "PyPI",
                "requests",
                "2.32.3",
                Some("pkg:pypi/requests@2.32.3"),
                None,
                &["Apache-2.0"],
                Some(APP),
                "usr/lib/python3/dist-packages/requests-2.32.3.dist-info/METADATA",
            ),
            package(
                "npm",
                "@babel/core",
                "7.26.0",
                Some("pkg:npm/%40babel/core@7.26.0"),
                None,
                &["MIT OR Apache-2.0"],
                Some(APP),
                "app/node_modules/@babel/core/package.json",
            ),
            package(
                "npm",
                "@babel/types",
                "7.26.0",
                Some("pkg:npm/%40babel/types@7.26.0"),
                None,
                &["MIT"],
                Some(APP),
                "app/node_modules/@babel/types/package.json",
            ),
        ],
    );
    // What a lock file and a golden image add: one dependency edge, and the Debian layer
    // as the base image's.
    inventory.dependencies = vec![Dependency {
        parent: "pkg:npm/%40babel/core@7.26.0".into(),
        child: "pkg:npm/%40babel/types@7.26.0".into(),
    }];
    inventory.base_image = Some(BaseImage {
        name: Some("registry.example.com/base/debian:12".into()),
        digest: None,
        layers: 1,
        diff_ids: vec![BASE.into()],
    });
    inventory
}

fn subject() -> SbomSubject {
    SbomSubject {
        name: "registry.example.com/team/app:1.0".into(),
        digest: Some(
            "sha256:abcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcd".into(),
        ),
        kind: SubjectKind::Image,
        created: "2025-01-02T03:04:05Z".into(),
        tool_version: "0.1.0".into(),
    }
}

const CDX16: SbomFormat = SbomFormat::CycloneDxJson {
    spec: CdxSpec::V1_6,
};
const CDX15: SbomFormat = SbomFormat::CycloneDxJson {
    spec: CdxSpec::V1_5,
};

fn text(format: SbomFormat) -> String {
    String::from_utf8(render(&inventory(), &subject(), format).unwrap()).unwrap()
}

fn json(format: SbomFormat) -> Value {
    serde_json::from_str(&text(format)).unwrap()
}

#[test]
fn cyclonedx_1_6_golden() {
    insta::assert_snapshot!("sbom_cyclonedx_1_6", text(CDX16));
}

#[test]
fn cyclonedx_1_5_golden() {
    insta::assert_snapshot!("sbom_cyclonedx_1_5", text(CDX15));
}

#[test]
fn spdx_2_3_golden() {
    insta::assert_snapshot!("sbom_spdx_2_3", text(SbomFormat::SpdxJson));
}

const XML16: SbomFormat = SbomFormat::CycloneDxXml {
    spec: CdxSpec::V1_6,
};
const XML15: SbomFormat = SbomFormat::CycloneDxXml {
    spec: CdxSpec::V1_5,
};

#[test]
fn cyclonedx_xml_goldens() {
    insta::assert_snapshot!("sbom_cyclonedx_xml_1_6", text(XML16));
    insta::assert_snapshot!("sbom_cyclonedx_xml_1_5", text(XML15));
}

#[test]
fn spdx_tag_value_golden() {
    insta::assert_snapshot!("sbom_spdx_2_3_tag_value", text(SbomFormat::SpdxTagValue));
}

#[test]
fn xml_and_json_list_the_same_components_and_edges() {
    let xml = text(XML16);
    let bom = json(CDX16);
    for component in bom["components"].as_array().unwrap() {
        let reference = component["bom-ref"].as_str().unwrap();
        let escaped = reference.replace('&', "&amp;");
        assert!(
            xml.contains(&format!("bom-ref=\"{escaped}\"")),
            "{reference}"
        );
    }
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<bom xmlns=\"http://cyclonedx.org/schema/bom/1.6\""));
    assert!(xml.contains("<property name=\"assay:base-image\">true</property>"));
}

#[test]
fn lock_file_dependencies_become_edges_in_every_format() {
    let bom = json(CDX16);
    let edge = bom["dependencies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["ref"] == "pkg:npm/%40babel/core@7.26.0")
        .unwrap();
    assert_eq!(edge["dependsOn"][0], "pkg:npm/%40babel/types@7.26.0");
    let doc = json(SbomFormat::SpdxJson);
    let depends: Vec<&Value> = doc["relationships"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["relationshipType"] == "DEPENDS_ON")
        .collect();
    assert_eq!(depends.len(), 1);
    assert!(
        text(SbomFormat::SpdxTagValue).contains(" DEPENDS_ON SPDXRef-Package-npm--babel-types-")
    );
}

#[test]
fn base_image_packages_are_marked() {
    let bom = json(CDX16);
    let marked = |name: &str| {
        bom["components"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .unwrap()["properties"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "assay:base-image" && p["value"] == "true")
    };
    assert!(marked("libc6"));
    assert!(!marked("requests"));
}

#[test]
fn json_sboms_read_back_to_the_same_inventory() {
    let mut expected = inventory();
    // An SBOM carries packages, their edges and the distro; the base image is a property
    // of the scan, and the distro's OSV ecosystem is filled by the caller.
    expected.base_image = None;
    // A package without a purl names no ecosystem, so it cannot be matched: not read.
    expected.packages.retain(|p| p.purl.is_some());
    if let Some(d) = expected.distro.as_mut() {
        d.ecosystem.clear();
    }
    let cdx = read(
        "a.cdx.json",
        &render(&inventory(), &subject(), CDX16).unwrap(),
    )
    .unwrap();
    assert_eq!(cdx, expected);
    let xml = read(
        "a.cdx.xml",
        &render(&inventory(), &subject(), XML16).unwrap(),
    )
    .unwrap();
    assert_eq!(xml, expected);
    let spdx = read(
        "a.spdx.json",
        &render(&inventory(), &subject(), SbomFormat::SpdxJson).unwrap(),
    )
    .unwrap();
    // SPDX keeps one declared license expression and no codename.
    assert_eq!(spdx.packages.len(), expected.packages.len());
    for (got, want) in spdx.packages.iter().zip(&expected.packages) {
        assert_eq!(
            (
                &got.name,
                &got.version,
                &got.ecosystem,
                &got.purl,
                &got.path,
                &got.layer,
                &got.source_name,
                &got.source_version
            ),
            (
                &want.name,
                &want.version,
                &want.ecosystem,
                &want.purl,
                &want.path,
                &want.layer,
                &want.source_name,
                &want.source_version
            )
        );
    }
    assert_eq!(spdx.dependencies, expected.dependencies);
}

#[test]
fn same_input_gives_same_bytes() {
    for format in [
        CDX16,
        CDX15,
        SbomFormat::SpdxJson,
        XML16,
        SbomFormat::SpdxTagValue,
    ] {
        let a = render(&inventory(), &subject(), format).unwrap();
        let b = render(&inventory(), &subject(), format).unwrap();
        assert_eq!(a, b);
    }
}

#[test]
fn different_input_gives_different_document_ids() {
    let mut other = subject();
    other.name = "registry.example.com/team/app:2.0".into();
    let a = json(CDX16);
    let b: Value = serde_json::from_slice(&render(&inventory(), &other, CDX16).unwrap()).unwrap();
    assert_ne!(a["serialNumber"], b["serialNumber"]);
}

#[test]
fn cyclonedx_components_carry_purls_and_subject_depends_on_all() {
    let bom = json(CDX16);
    let inventory = inventory();
    let components = bom["components"].as_array().unwrap();
    assert_eq!(components.len(), inventory.packages.len() + 1);
    for package in &inventory.packages {
        let component = components
            .iter()
            .find(|c| c["name"] == package.name.as_str())
            .unwrap();
        assert_eq!(component["purl"].as_str(), package.purl.as_deref());
    }
    let subject_ref = bom["metadata"]["component"]["bom-ref"].as_str().unwrap();
    let dependencies = bom["dependencies"].as_array().unwrap();
    let subject_deps = dependencies
        .iter()
        .find(|d| d["ref"] == subject_ref)
        .unwrap()["dependsOn"]
        .as_array()
        .unwrap();
    for component in components {
        assert!(subject_deps.contains(&component["bom-ref"]));
    }
}

#[test]
fn cyclonedx_licenses_use_id_expression_or_name() {
    let bom = json(CDX16);
    let find = |name: &str| {
        bom["components"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .unwrap()["licenses"]
            .clone()
    };
    assert_eq!(find("libssl3")[0]["license"]["id"], "Apache-2.0");
    assert_eq!(find("@babel/core")[0]["expression"], "MIT OR Apache-2.0");
    assert_eq!(find("libc6")[1]["license"]["name"], "GPL-2+");
}

#[test]
fn duplicate_purls_get_unique_bom_refs() {
    let mut inventory = inventory();
    let mut copy = inventory.packages[0].clone();
    copy.path = "other/status".into();
    inventory.packages.push(copy);
    let bom: Value =
        serde_json::from_slice(&render(&inventory, &subject(), CDX16).unwrap()).unwrap();
    let mut refs: Vec<&str> = bom["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["bom-ref"].as_str().unwrap())
        .collect();
    let count = refs.len();
    refs.sort_unstable();
    refs.dedup();
    assert_eq!(refs.len(), count);
}

#[test]
fn spdx_packages_have_purl_refs_and_are_contained() {
    let doc = json(SbomFormat::SpdxJson);
    let inventory = inventory();
    let packages = doc["packages"].as_array().unwrap();
    assert_eq!(packages.len(), inventory.packages.len() + 2);
    for package in &inventory.packages {
        let entry = packages
            .iter()
            .find(|p| p["name"] == package.name.as_str())
            .unwrap();
        let locator = entry["externalRefs"][0]["referenceLocator"].as_str();
        assert_eq!(locator, package.purl.as_deref());
    }
    let relationships = doc["relationships"].as_array().unwrap();
    for package in packages.iter().skip(1) {
        assert!(
            relationships
                .iter()
                .any(|r| r["relationshipType"] == "CONTAINS"
                    && r["relatedSpdxElement"] == package["SPDXID"])
        );
    }
    let libc6 = packages.iter().find(|p| p["name"] == "libc6").unwrap();
    // `GPL-2+` is not SPDX (the catalogue maps it; this inventory is raw): a LicenseRef
    // defined with its text.
    assert_eq!(
        libc6["licenseDeclared"],
        "LGPL-2.1-or-later AND LicenseRef-GPL-2-plus"
    );
    let extracted = doc["hasExtractedLicensingInfos"].as_array().unwrap();
    assert_eq!(extracted.len(), 1);
    assert_eq!(extracted[0]["licenseId"], "LicenseRef-GPL-2-plus");
    assert_eq!(extracted[0]["extractedText"], "GPL-2+");
    let babel = packages
        .iter()
        .find(|p| p["name"] == "@babel/core")
        .unwrap();
    assert_eq!(babel["licenseDeclared"], "MIT OR Apache-2.0");
}

#[test]
fn rejects_a_creation_time_that_is_not_rfc_3339() {
    let mut subject = subject();
    subject.created = "yesterday".into();
    assert!(render(&inventory(), &subject, CDX16).is_err());
}

fn directory() -> (Inventory, SbomSubject) {
    let mut inventory = inventory();
    inventory.distro = None;
    inventory.base_image = None;
    inventory.packages.retain(|p| p.ecosystem != "Debian");
    for package in &mut inventory.packages {
        package.layer = None;
    }
    let subject = SbomSubject {
        name: "./services/api".into(),
        digest: None,
        kind: SubjectKind::Directory,
        created: "2025-01-02T04:04:05+01:00".into(),
        tool_version: "0.1.0".into(),
    };
    (inventory, subject)
}

#[test]
fn directory_golden() {
    let (inventory, subject) = directory();
    for (name, format) in [
        ("sbom_directory_cyclonedx_1_6", CDX16),
        ("sbom_directory_spdx_2_3", SbomFormat::SpdxJson),
    ] {
        let out = String::from_utf8(render(&inventory, &subject, format).unwrap()).unwrap();
        insta::assert_snapshot!(name, out);
    }
}

//! SPDX 2.3 JSON.
//!
//! Written with our own structs: `spdx-rs` writes "SPDX-2.2" unless overridden, always writes
//! empty arrays, and has had no release since 2023. External references use the category
//! `PACKAGE-MANAGER`, the only spelling the official 2.3 JSON schema accepts (the 2.3 text
//! also allows `PACKAGE_MANAGER`). Likewise the schema spells the OS purpose
//! `OPERATING_SYSTEM` where the spec text says `OPERATING-SYSTEM`; we follow the schema.
//!
//! Package ids are `SPDXRef-Package-<ecosystem>-<name>-<hash of the unique id>` rather than the
//! sanitised purl itself: sanitising can make two purls equal, the hash cannot (in practice),
//! and the name keeps the id readable.

use std::collections::BTreeSet;

use serde::Serialize;

use super::{Prepared, SubjectKind, id, license};
use assay_core::{Distro, Package};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Document<'a> {
    pub(super) spdx_version: &'static str,
    pub(super) data_license: &'static str,
    #[serde(rename = "SPDXID")]
    pub(super) spdx_id: &'static str,
    pub(super) name: &'a str,
    pub(super) document_namespace: String,
    pub(super) creation_info: CreationInfo<'a>,
    pub(super) packages: Vec<SpdxPackage>,
    pub(super) relationships: Vec<Relationship>,
    /// The `LicenseRef-` ids the packages' `licenseDeclared` use, with the declared text.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) has_extracted_licensing_infos: Vec<ExtractedLicense>,
}

/// A license that is not on the SPDX list, as a package declared it. The declared text (a
/// name like `public-domain`, or a whole license text some metadata holds) is all assay
/// has, so it is both the `name` (its first line) and the `extractedText`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ExtractedLicense {
    pub(super) license_id: String,
    pub(super) extracted_text: String,
    pub(super) name: String,
}

#[derive(Serialize)]
pub(super) struct CreationInfo<'a> {
    pub(super) created: &'a str,
    pub(super) creators: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct SpdxPackage {
    pub(super) name: String,
    #[serde(rename = "SPDXID")]
    pub(super) spdx_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) version_info: Option<String>,
    pub(super) download_location: &'static str,
    pub(super) files_analyzed: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) checksums: Vec<Checksum>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) source_info: Option<String>,
    pub(super) license_concluded: &'static str,
    pub(super) license_declared: String,
    pub(super) copyright_text: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) external_refs: Vec<ExternalRef>,
    pub(super) primary_package_purpose: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Checksum {
    pub(super) algorithm: &'static str,
    pub(super) checksum_value: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ExternalRef {
    pub(super) reference_category: &'static str,
    pub(super) reference_type: &'static str,
    pub(super) reference_locator: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Relationship {
    pub(super) spdx_element_id: String,
    pub(super) relationship_type: &'static str,
    pub(super) related_spdx_element: String,
}

const NOASSERTION: &str = "NOASSERTION";
const DOCUMENT_ID: &str = "SPDXRef-DOCUMENT";

pub(super) fn render(prepared: &Prepared<'_>) -> serde_json::Result<Vec<u8>> {
    serde_json::to_vec_pretty(&build(prepared))
}

/// The document both encodings (JSON here, tag-value in `spdx_tag`) write.
pub(super) fn build<'a>(prepared: &'a Prepared<'a>) -> Document<'a> {
    let subject = prepared.subject;
    let subject_id = "SPDXRef-Subject".to_string();
    let mut used = BTreeSet::from([subject_id.clone()]);

    let mut packages = vec![SpdxPackage {
        name: subject.name.clone(),
        spdx_id: subject_id.clone(),
        version_info: None,
        download_location: NOASSERTION,
        files_analyzed: false,
        checksums: subject
            .digest
            .as_deref()
            .and_then(checksum)
            .into_iter()
            .collect(),
        source_info: None,
        license_concluded: NOASSERTION,
        license_declared: NOASSERTION.to_string(),
        copyright_text: NOASSERTION,
        external_refs: Vec::new(),
        primary_package_purpose: match subject.kind {
            SubjectKind::Image => "CONTAINER",
            SubjectKind::Directory => "FILE",
        },
    }];
    if let Some(distro) = &prepared.inventory.distro {
        packages.push(distro_package(distro, &mut used));
    }
    // bom-ref style unique id -> SPDX id, for the dependency relationships below.
    let mut ids = std::collections::BTreeMap::new();
    let mut refs = license::LicenseRefs::default();
    for (package, unique) in prepared.packages() {
        let mut entry = package_entry(package, unique, &mut used, &mut refs);
        if prepared.inventory.in_base_image(package)
            && let Some(info) = entry.source_info.as_mut()
        {
            info.push_str("; part of the base image");
        }
        ids.insert(unique, entry.spdx_id.clone());
        packages.push(entry);
    }

    let mut relationships = vec![Relationship {
        spdx_element_id: DOCUMENT_ID.to_string(),
        relationship_type: "DESCRIBES",
        related_spdx_element: subject_id.clone(),
    }];
    let mut contained: Vec<&str> = packages
        .iter()
        .skip(1)
        .map(|p| p.spdx_id.as_str())
        .collect();
    contained.sort_unstable();
    relationships.extend(contained.into_iter().map(|related| Relationship {
        spdx_element_id: subject_id.clone(),
        relationship_type: "CONTAINS",
        related_spdx_element: related.to_string(),
    }));
    for (parent, children) in prepared.dependency_ids() {
        let Some(parent) = ids.get(parent) else {
            continue;
        };
        for child in children.iter().filter_map(|c| ids.get(c)) {
            relationships.push(Relationship {
                spdx_element_id: parent.clone(),
                relationship_type: "DEPENDS_ON",
                related_spdx_element: child.clone(),
            });
        }
    }

    Document {
        spdx_version: "SPDX-2.3",
        data_license: "CC0-1.0",
        spdx_id: DOCUMENT_ID,
        name: &subject.name,
        document_namespace: format!(
            "https://assay.dev/spdx/{}-{}",
            id::sanitise(&subject.name),
            id::name_uuid("spdx-2.3", &prepared.input_hash)
        ),
        creation_info: CreationInfo {
            created: &prepared.created,
            creators: vec![format!("Tool: assay-{}", subject.tool_version)],
        },
        packages,
        relationships,
        has_extracted_licensing_infos: refs
            .defined()
            .into_iter()
            .map(|(id, text)| ExtractedLicense {
                license_id: id.to_string(),
                extracted_text: text.to_string(),
                name: text.lines().next().unwrap_or(text).trim().to_string(),
            })
            .collect(),
    }
}

/// An SPDX id for `stem` not used yet: `SPDXRef-<stem>-<hash of key>`, readable and stable;
/// a counter only if two keys ever collide after sanitising and hashing.
fn spdx_id(stem: &str, key: &str, used: &mut BTreeSet<String>) -> String {
    let hash = id::sha256_hex(&[key.as_bytes()]);
    let base = format!("SPDXRef-{}-{}", id::sanitise(stem), &hash[..16]);
    let mut candidate = base.clone();
    let mut n = 1;
    while !used.insert(candidate.clone()) {
        n += 1;
        candidate = format!("{base}-{n}");
    }
    candidate
}

/// An SPDX checksum from an OCI digest, when it is a well-formed SHA-256 or SHA-512.
fn checksum(digest: &str) -> Option<Checksum> {
    let (algorithm, hex) = digest.split_once(':')?;
    let (algorithm, len) = match algorithm {
        "sha256" => ("SHA256", 64),
        "sha384" => ("SHA384", 96),
        "sha512" => ("SHA512", 128),
        _ => return None,
    };
    (hex.len() == len && hex.bytes().all(|b| b.is_ascii_hexdigit())).then(|| Checksum {
        algorithm,
        checksum_value: hex.to_ascii_lowercase(),
    })
}

fn distro_package(distro: &Distro, used: &mut BTreeSet<String>) -> SpdxPackage {
    SpdxPackage {
        name: distro.id.clone(),
        spdx_id: spdx_id(
            &format!("OperatingSystem-{}", distro.id),
            &format!("{}@{:?}", distro.id, distro.version_id),
            used,
        ),
        version_info: distro.version_id.clone(),
        download_location: NOASSERTION,
        files_analyzed: false,
        checksums: Vec::new(),
        source_info: None,
        license_concluded: NOASSERTION,
        license_declared: NOASSERTION.to_string(),
        copyright_text: NOASSERTION,
        external_refs: Vec::new(),
        primary_package_purpose: "OPERATING_SYSTEM",
    }
}

fn package_entry(
    package: &Package,
    unique: &str,
    used: &mut BTreeSet<String>,
    refs: &mut license::LicenseRefs,
) -> SpdxPackage {
    // SPDX packages have no free-form properties: where the record came from goes in
    // `sourceInfo`, which the spec reserves for such provenance notes.
    let mut source = format!("recorded in {}", package.path);
    if let Some(layer) = &package.layer {
        source.push_str(&format!(" (layer {layer})"));
    }
    if let Some(name) = &package.source_name {
        source.push_str(&format!("; built from source package {name}"));
        if let Some(version) = &package.source_version {
            source.push_str(&format!(" {version}"));
        }
    }
    SpdxPackage {
        name: package.name.clone(),
        spdx_id: spdx_id(
            &format!("Package-{}-{}", package.ecosystem, package.name),
            unique,
            used,
        ),
        version_info: Some(package.version.clone()).filter(|v| !v.is_empty()),
        download_location: NOASSERTION,
        files_analyzed: false,
        checksums: Vec::new(),
        source_info: Some(source),
        // Declared is what the package says; concluding a license takes a review of the
        // files, which assay does not do.
        license_concluded: NOASSERTION,
        license_declared: license::spdx_expression_with_refs(&package.licenses, refs)
            .unwrap_or_else(|| NOASSERTION.to_string()),
        copyright_text: NOASSERTION,
        external_refs: package
            .purl
            .iter()
            .map(|purl| ExternalRef {
                reference_category: "PACKAGE-MANAGER",
                reference_type: "purl",
                reference_locator: purl.clone(),
            })
            .collect(),
        primary_package_purpose: "LIBRARY",
    }
}

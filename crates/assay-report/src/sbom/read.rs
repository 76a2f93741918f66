//! CycloneDX (JSON or XML) and SPDX JSON read back into an [`Inventory`], so `assay scan sbom.cdx.json`
//! matches the packages a bill lists against the vulnerability database as if the image were
//! scanned.
//!
//! What assay wrote comes back whole: name, version, purl, licenses, and the properties
//! (CycloneDX) or `sourceInfo` note (SPDX) holding the path, layer and source package. Bills
//! from other tools give what they have: the purl decides the ecosystem, and Syft's and
//! Trivy's location properties give the path and layer when present. Parsing is tolerant of
//! fields it does not know and strict about the shape of those it reads.

use std::collections::BTreeMap;

use assay_core::{Dependency, Distro, Inventory, Package};
use serde::Deserialize;
use serde_json::Value;

/// The SBOM formats assay reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SbomKind {
    /// CycloneDX JSON (any 1.x version).
    CycloneDx,
    /// CycloneDX XML (any 1.x namespace).
    CycloneDxXml,
    /// SPDX 2.x JSON.
    Spdx,
}

/// An SBOM could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// Not JSON, or not the shape of its format.
    #[error("{name}:{line}: invalid {kind} document: {reason}")]
    Invalid {
        /// The file.
        name: String,
        /// The format it claimed to be.
        kind: &'static str,
        /// Line of the error (1 when unknown).
        line: usize,
        /// The parser's message.
        reason: String,
    },
    /// Neither CycloneDX nor SPDX JSON.
    #[error("{0}: not a CycloneDX or SPDX JSON document")]
    Unknown(String),
}

/// Which SBOM format `bytes` holds, by content (`bomFormat: CycloneDX`, `spdxVersion`);
/// `None` for anything else. Only the start of the document is looked at first, so that
/// large non-SBOM JSON files are not parsed twice.
pub fn detect(bytes: &[u8]) -> Option<SbomKind> {
    let head = bytes.get(..bytes.len().min(64 << 10))?;
    let text = String::from_utf8_lossy(head);
    let start = text.trim_start_matches('\u{feff}').trim_start();
    if start.starts_with('<') {
        return super::read_xml::is_cyclonedx(&text).then_some(SbomKind::CycloneDxXml);
    }
    if !start.starts_with('{') {
        return None;
    }
    let cyclonedx = text.contains("\"bomFormat\"") && text.contains("CycloneDX");
    let spdx = text.contains("\"spdxVersion\"");
    let quick = match (cyclonedx, spdx) {
        (true, _) => SbomKind::CycloneDx,
        (_, true) => SbomKind::Spdx,
        _ => return None,
    };
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Head {
        bom_format: Option<String>,
        spdx_version: Option<String>,
    }
    let head: Head = serde_json::from_slice(bytes).ok()?;
    match (quick, head.bom_format.as_deref(), head.spdx_version) {
        (SbomKind::CycloneDx, Some("CycloneDX"), _) => Some(SbomKind::CycloneDx),
        (SbomKind::Spdx, _, Some(_)) => Some(SbomKind::Spdx),
        _ => None,
    }
}

/// Reads the SBOM in `bytes` (named `name` in errors) into an inventory. Packages without a
/// recorded path get `name`. The distro's OSV ecosystem is left empty: the caller, which
/// knows the distro table, fills it.
pub fn read(name: &str, bytes: &[u8]) -> Result<Inventory, ReadError> {
    match detect(bytes) {
        Some(SbomKind::CycloneDx) => {
            let bom: CdxBom =
                serde_json::from_slice(bytes).map_err(|e| invalid(name, "CycloneDX", &e))?;
            Ok(cyclonedx_inventory(name, &bom))
        }
        Some(SbomKind::CycloneDxXml) => {
            super::read_xml::read(name, bytes).map(|bom| cyclonedx_inventory(name, &bom))
        }
        Some(SbomKind::Spdx) => read_spdx(name, bytes),
        None => Err(ReadError::Unknown(name.to_string())),
    }
}

fn invalid(name: &str, kind: &'static str, e: &serde_json::Error) -> ReadError {
    ReadError::Invalid {
        name: name.to_string(),
        kind,
        line: e.line().max(1),
        reason: e.to_string(),
    }
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct CdxBom {
    #[serde(default)]
    pub(super) metadata: Option<CdxMetadata>,
    #[serde(default)]
    pub(super) components: Vec<CdxComponent>,
    #[serde(default)]
    pub(super) dependencies: Vec<CdxDependency>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct CdxMetadata {
    #[serde(default)]
    pub(super) component: Option<CdxComponent>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct CdxComponent {
    #[serde(rename = "type", default)]
    pub(super) kind: String,
    #[serde(rename = "bom-ref", default)]
    pub(super) bom_ref: Option<String>,
    #[serde(default)]
    pub(super) name: String,
    #[serde(default)]
    pub(super) version: Option<String>,
    #[serde(default)]
    pub(super) purl: Option<String>,
    #[serde(default)]
    pub(super) licenses: Vec<Value>,
    #[serde(default)]
    pub(super) properties: Vec<CdxProperty>,
    #[serde(default)]
    pub(super) components: Vec<CdxComponent>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct CdxProperty {
    pub(super) name: String,
    #[serde(default)]
    pub(super) value: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct CdxDependency {
    #[serde(rename = "ref")]
    pub(super) reference: String,
    #[serde(default)]
    pub(super) depends_on: Vec<String>,
}

/// A CycloneDX document (from JSON or XML) as an inventory.
fn cyclonedx_inventory(name: &str, bom: &CdxBom) -> Inventory {
    let mut distro = None;
    let mut packages = Vec::new();
    let mut purls: BTreeMap<String, String> = BTreeMap::new();
    let mut stack: Vec<&CdxComponent> = bom.components.iter().rev().collect();
    if let Some(subject) = bom.metadata.as_ref().and_then(|m| m.component.as_ref()) {
        // A subject's nested components are contents too.
        stack.extend(subject.components.iter().rev());
    }
    while let Some(c) = stack.pop() {
        stack.extend(c.components.iter().rev());
        let property = |key: &str| {
            c.properties
                .iter()
                .find(|p| p.name == key)
                .map(|p| p.value.clone())
                .filter(|v| !v.is_empty())
        };
        if c.kind == "operating-system" {
            distro.get_or_insert(Distro {
                id: c.name.to_ascii_lowercase(),
                version_id: c.version.clone().filter(|v| !v.is_empty()),
                codename: property("assay:distro:codename"),
                ecosystem: String::new(),
            });
            continue;
        }
        let Some(purl) = c.purl.clone().filter(|p| p.starts_with("pkg:")) else {
            continue;
        };
        if let Some(reference) = &c.bom_ref {
            purls.insert(reference.clone(), purl.clone());
        }
        let layer = property("assay:layer:diff_id")
            .or_else(|| property("aquasecurity:trivy:LayerDiffID"))
            .or_else(|| property("syft:location:0:layerID"));
        let path = property("assay:package:path")
            .or_else(|| property("aquasecurity:trivy:FilePath"))
            .or_else(|| property("syft:location:0:path"))
            .map(|p| p.trim_start_matches('/').to_string())
            .unwrap_or_else(|| name.to_string());
        packages.push(Package {
            name: c.name.clone(),
            version: c.version.clone().unwrap_or_default(),
            ecosystem: ecosystem_of(&purl),
            source_name: property("assay:package:source-name"),
            source_version: property("assay:package:source-version"),
            licenses: c.licenses.iter().filter_map(cdx_license).collect(),
            layer,
            path,
            purl: Some(purl),
        });
    }
    let mut dependencies = Vec::new();
    for d in &bom.dependencies {
        let Some(parent) = purls.get(&d.reference) else {
            continue;
        };
        for child in d.depends_on.iter().filter_map(|c| purls.get(c)) {
            dependencies.push(Dependency {
                parent: parent.clone(),
                child: child.clone(),
            });
        }
    }
    let mut inventory = Inventory::new(distro, packages);
    inventory.dependencies = dependencies;
    inventory.sort();
    inventory
}

/// A CycloneDX license choice as the text assay keeps: the expression, the id or the name.
fn cdx_license(choice: &Value) -> Option<String> {
    if let Some(expression) = choice.get("expression").and_then(Value::as_str) {
        return Some(expression.to_string());
    }
    let license = choice.get("license")?;
    license
        .get("id")
        .or_else(|| license.get("name"))
        .and_then(Value::as_str)
        .map(str::to_string)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SpdxDocument {
    #[serde(default)]
    packages: Vec<SpdxPackage>,
    #[serde(default)]
    relationships: Vec<SpdxRelationship>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SpdxPackage {
    #[serde(rename = "SPDXID")]
    spdx_id: String,
    name: String,
    #[serde(default)]
    version_info: Option<String>,
    #[serde(default)]
    source_info: Option<String>,
    #[serde(default)]
    license_declared: Option<String>,
    #[serde(default)]
    external_refs: Vec<SpdxExternalRef>,
    #[serde(default)]
    primary_package_purpose: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SpdxExternalRef {
    reference_type: String,
    reference_locator: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SpdxRelationship {
    spdx_element_id: String,
    relationship_type: String,
    related_spdx_element: String,
}

fn read_spdx(name: &str, bytes: &[u8]) -> Result<Inventory, ReadError> {
    let document: SpdxDocument =
        serde_json::from_slice(bytes).map_err(|e| invalid(name, "SPDX", &e))?;
    let mut distro = None;
    let mut packages = Vec::new();
    let mut purls: BTreeMap<&str, String> = BTreeMap::new();
    for p in &document.packages {
        let purpose = p.primary_package_purpose.as_deref().unwrap_or("");
        if matches!(purpose, "OPERATING_SYSTEM" | "OPERATING-SYSTEM") {
            distro.get_or_insert(Distro {
                id: p.name.to_ascii_lowercase(),
                version_id: p.version_info.clone().filter(|v| !v.is_empty()),
                codename: None,
                ecosystem: String::new(),
            });
            continue;
        }
        let Some(purl) = p
            .external_refs
            .iter()
            .find(|r| r.reference_type == "purl" && r.reference_locator.starts_with("pkg:"))
            .map(|r| r.reference_locator.clone())
        else {
            continue;
        };
        purls.insert(p.spdx_id.as_str(), purl.clone());
        let note = p.source_info.as_deref().map(parse_source_info);
        let (path, layer, source_name, source_version) = note.unwrap_or_default();
        let licenses = p
            .license_declared
            .iter()
            .filter(|l| !matches!(l.as_str(), "NOASSERTION" | "NONE" | ""))
            .cloned()
            .collect();
        packages.push(Package {
            name: p.name.clone(),
            version: p.version_info.clone().unwrap_or_default(),
            ecosystem: ecosystem_of(&purl),
            source_name,
            source_version,
            licenses,
            layer,
            path: path.unwrap_or_else(|| name.to_string()),
            purl: Some(purl),
        });
    }
    let dependencies = document
        .relationships
        .iter()
        .filter(|r| r.relationship_type == "DEPENDS_ON")
        .filter_map(|r| {
            Some(Dependency {
                parent: purls.get(r.spdx_element_id.as_str())?.clone(),
                child: purls.get(r.related_spdx_element.as_str())?.clone(),
            })
        })
        .collect();
    let mut inventory = Inventory::new(distro, packages);
    inventory.dependencies = dependencies;
    inventory.sort();
    Ok(inventory)
}

type SourceNote = (
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// assay's SPDX `sourceInfo`: `recorded in PATH (layer DIFF_ID); built from source package
/// NAME VERSION` (the writer's format; anything else yields nothing).
fn parse_source_info(info: &str) -> SourceNote {
    let mut parts = info.split("; ");
    let mut note = SourceNote::default();
    if let Some(recorded) = parts.next().and_then(|p| p.strip_prefix("recorded in ")) {
        match recorded.rsplit_once(" (layer ") {
            Some((path, layer)) => {
                note.0 = Some(path.to_string());
                note.1 = layer.strip_suffix(')').map(str::to_string);
            }
            None => note.0 = Some(recorded.to_string()),
        }
    }
    for part in parts {
        if let Some(source) = part.strip_prefix("built from source package ") {
            let mut words = source.splitn(2, ' ');
            note.2 = words.next().map(str::to_string);
            note.3 = words.next().map(str::to_string);
        }
    }
    note
}

/// The OSV ecosystem of a purl's type (and, for OS packages, its namespace). OS packages of
/// a known distro are corrected by the caller from the distro's own ecosystem.
fn ecosystem_of(purl: &str) -> String {
    let rest = purl.strip_prefix("pkg:").unwrap_or(purl);
    let mut parts = rest.splitn(3, '/');
    let kind = parts.next().unwrap_or("").to_ascii_lowercase();
    let namespace = parts.next().unwrap_or("").to_ascii_lowercase();
    let known = match kind.as_str() {
        "pypi" => "PyPI",
        "npm" => "npm",
        "cargo" => "crates.io",
        "golang" => "Go",
        "maven" => "Maven",
        "gem" => "RubyGems",
        "composer" => "Packagist",
        "nuget" => "NuGet",
        "hex" => "Hex",
        "pub" => "Pub",
        "deb" | "apk" | "rpm" => match namespace.as_str() {
            "debian" => "Debian",
            "ubuntu" => "Ubuntu",
            "alpine" => "Alpine",
            "wolfi" => "Wolfi",
            "chainguard" => "Chainguard",
            "redhat" => "Red Hat",
            "rocky" | "rocky-linux" => "Rocky Linux",
            "almalinux" => "AlmaLinux",
            "opensuse" | "suse" => "SUSE",
            _ => "",
        },
        _ => "",
    };
    if known.is_empty() {
        kind
    } else {
        known.to_string()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn detects_by_content_not_name() {
        assert_eq!(
            detect(br#"{"bomFormat":"CycloneDX","specVersion":"1.6"}"#),
            Some(SbomKind::CycloneDx)
        );
        assert_eq!(
            detect(br#"{"spdxVersion":"SPDX-2.3","packages":[]}"#),
            Some(SbomKind::Spdx)
        );
        assert_eq!(detect(br#"{"kind":"Pod","bomFormat":"x"}"#), None);
        assert_eq!(detect(b"apiVersion: v1\n"), None);
    }

    #[test]
    fn reads_foreign_cyclonedx_with_nested_components_and_trivy_properties() {
        let doc = br#"{"bomFormat":"CycloneDX","specVersion":"1.5","components":[
          {"type":"operating-system","name":"debian","version":"12.5"},
          {"type":"library","bom-ref":"a","name":"flask","version":"3.0.0","purl":"pkg:pypi/flask@3.0.0",
           "licenses":[{"license":{"id":"BSD-3-Clause"}}],
           "properties":[{"name":"aquasecurity:trivy:FilePath","value":"/usr/lib/flask.dist-info/METADATA"}],
           "components":[{"type":"library","bom-ref":"b","name":"click","version":"8.1","purl":"pkg:pypi/click@8.1"}]}],
          "dependencies":[{"ref":"a","dependsOn":["b","missing"]}]}"#;
        let inventory = read("bom.json", doc).unwrap();
        assert_eq!(
            inventory.distro.as_ref().unwrap().version_id.as_deref(),
            Some("12.5")
        );
        let names: Vec<_> = inventory.packages.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["click", "flask"]);
        let flask = &inventory.packages[1];
        assert_eq!(flask.ecosystem, "PyPI");
        assert_eq!(flask.path, "usr/lib/flask.dist-info/METADATA");
        assert_eq!(flask.licenses, ["BSD-3-Clause"]);
        assert_eq!(inventory.packages[0].path, "bom.json");
        assert_eq!(
            inventory.dependencies,
            [Dependency {
                parent: "pkg:pypi/flask@3.0.0".into(),
                child: "pkg:pypi/click@8.1".into()
            }]
        );
    }

    #[test]
    fn invalid_documents_name_the_file_and_line() {
        let err = read(
            "x.cdx.json",
            b"{\"bomFormat\":\"CycloneDX\",\n\"components\": 3}",
        )
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("x.cdx.json:2: invalid CycloneDX"), "{err}");
        assert!(matches!(read("y.json", b"{}"), Err(ReadError::Unknown(_))));
    }

    #[test]
    fn source_info_round_trips_the_writer_format() {
        assert_eq!(
            parse_source_info(
                "recorded in var/lib/dpkg/status (layer sha256:ab); built from source package glibc 2.36-9"
            ),
            (
                Some("var/lib/dpkg/status".into()),
                Some("sha256:ab".into()),
                Some("glibc".into()),
                Some("2.36-9".into())
            )
        );
        assert_eq!(ecosystem_of("pkg:deb/ubuntu/bash@5"), "Ubuntu");
        assert_eq!(ecosystem_of("pkg:cargo/serde@1"), "crates.io");
    }
}

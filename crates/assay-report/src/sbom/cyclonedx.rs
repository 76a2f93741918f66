//! CycloneDX JSON, 1.6 or 1.5. The two versions share everything we write (`tools` in the
//! `tools.components` form both define, `operating-system` components, license choices), so
//! only `specVersion` and `$schema` differ.
//!
//! Written with our own structs: `cyclonedx-bom` 0.8 cannot write 1.6.

use serde::Serialize;

use std::borrow::Cow;

use super::license::{License, classify, spdx_expression};
use super::{CdxSpec, Prepared, SubjectKind, id};
use assay_core::{Distro, Package};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Bom<'a> {
    #[serde(rename = "$schema")]
    pub(super) schema: String,
    pub(super) bom_format: &'static str,
    pub(super) spec_version: &'static str,
    pub(super) serial_number: String,
    pub(super) version: u32,
    pub(super) metadata: Metadata<'a>,
    pub(super) components: Vec<Component<'a>>,
    pub(super) dependencies: Vec<Dependency<'a>>,
}

#[derive(Serialize)]
pub(super) struct Metadata<'a> {
    pub(super) timestamp: &'a str,
    pub(super) tools: Tools<'a>,
    pub(super) component: Component<'a>,
}

#[derive(Serialize)]
pub(super) struct Tools<'a> {
    pub(super) components: Vec<Component<'a>>,
}

#[derive(Serialize)]
pub(super) struct Component<'a> {
    #[serde(rename = "type")]
    pub(super) kind: &'static str,
    #[serde(rename = "bom-ref", skip_serializing_if = "Option::is_none")]
    pub(super) bom_ref: Option<&'a str>,
    pub(super) name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) version: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) hashes: Vec<Hash>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) licenses: Vec<LicenseChoice<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) purl: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) properties: Vec<Property<'a>>,
}

#[derive(Serialize)]
pub(super) struct Hash {
    pub(super) alg: &'static str,
    pub(super) content: String,
}

/// CycloneDX's `licenseChoice`: a list of licenses, or exactly one expression.
#[derive(Serialize)]
#[serde(untagged)]
pub(super) enum LicenseChoice<'a> {
    License { license: LicenseObject<'a> },
    Expression { expression: Cow<'a, str> },
}

#[derive(Serialize)]
pub(super) struct LicenseObject<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) name: Option<&'a str>,
}

#[derive(Serialize)]
pub(super) struct Property<'a> {
    pub(super) name: &'static str,
    pub(super) value: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Dependency<'a> {
    #[serde(rename = "ref")]
    pub(super) reference: &'a str,
    pub(super) depends_on: Vec<&'a str>,
}

/// The subject's bom-ref when it has no digest.
const SUBJECT_REF: &str = "assay:subject";

pub(super) fn render(prepared: &Prepared<'_>, spec: CdxSpec) -> serde_json::Result<Vec<u8>> {
    serde_json::to_vec_pretty(&build(prepared, spec))
}

/// The document both encodings (JSON here, XML in `cyclonedx_xml`) write.
pub(super) fn build<'a>(prepared: &'a Prepared<'a>, spec: CdxSpec) -> Bom<'a> {
    let subject = prepared.subject;
    let subject_hash = subject.digest.as_deref().and_then(hash);
    // A digest is the image's identity, so it is the natural bom-ref; keep the digest as
    // given only when it parses, so a malformed one cannot produce an invalid document.
    let subject_ref = match (&subject.digest, &subject_hash) {
        (Some(digest), Some(_)) => digest.as_str(),
        _ => SUBJECT_REF,
    };
    let distro_ref = prepared.distro_ref.as_deref();

    let mut components = Vec::new();
    if let (Some(distro), Some(reference)) = (&prepared.inventory.distro, distro_ref) {
        components.push(distro_component(distro, reference));
    }
    components.extend(prepared.packages().map(|(package, id)| {
        let mut component = package_component(package, id);
        if prepared.inventory.in_base_image(package) {
            component.properties.push(Property {
                name: "assay:base-image",
                value: "true",
            });
        }
        component
    }));

    let mut depends_on: Vec<&str> = components.iter().filter_map(|c| c.bom_ref).collect();
    depends_on.sort_unstable();
    let mut dependencies = vec![Dependency {
        reference: subject_ref,
        depends_on,
    }];
    dependencies.extend(
        prepared
            .dependency_ids()
            .into_iter()
            .map(|(reference, depends_on)| Dependency {
                reference,
                depends_on,
            }),
    );

    Bom {
        schema: format!(
            "http://cyclonedx.org/schema/bom-{}.schema.json",
            spec.as_str()
        ),
        bom_format: "CycloneDX",
        spec_version: spec.as_str(),
        serial_number: format!(
            "urn:uuid:{}",
            id::name_uuid(
                &format!("cyclonedx-{}", spec.as_str()),
                &prepared.input_hash
            )
        ),
        version: 1,
        metadata: Metadata {
            timestamp: &prepared.created,
            tools: Tools {
                components: vec![Component {
                    kind: "application",
                    bom_ref: None,
                    name: "assay",
                    version: Some(&subject.tool_version),
                    hashes: Vec::new(),
                    licenses: Vec::new(),
                    purl: None,
                    properties: Vec::new(),
                }],
            },
            component: Component {
                // Syft also calls a scanned directory a "file" component; "application" would
                // claim more than we know.
                kind: match subject.kind {
                    SubjectKind::Image => "container",
                    SubjectKind::Directory => "file",
                },
                bom_ref: Some(subject_ref),
                name: &subject.name,
                version: None,
                hashes: subject_hash.into_iter().collect(),
                licenses: Vec::new(),
                purl: None,
                properties: Vec::new(),
            },
        },
        components,
        dependencies,
    }
}

/// A CycloneDX hash from an OCI digest (`sha256:<hex>`), when the algorithm is one CycloneDX
/// names and the hex is well formed.
fn hash(digest: &str) -> Option<Hash> {
    let (algorithm, hex) = digest.split_once(':')?;
    let (alg, len) = match algorithm {
        "sha256" => ("SHA-256", 64),
        "sha384" => ("SHA-384", 96),
        "sha512" => ("SHA-512", 128),
        _ => return None,
    };
    (hex.len() == len && hex.bytes().all(|b| b.is_ascii_hexdigit())).then(|| Hash {
        alg,
        content: hex.to_ascii_lowercase(),
    })
}

pub(super) fn distro_ref(distro: &Distro) -> String {
    match &distro.version_id {
        Some(version) => format!("assay:os:{}@{version}", distro.id),
        None => format!("assay:os:{}", distro.id),
    }
}

fn distro_component<'a>(distro: &'a Distro, reference: &'a str) -> Component<'a> {
    let mut properties = Vec::new();
    if let Some(codename) = &distro.codename {
        properties.push(Property {
            name: "assay:distro:codename",
            value: codename,
        });
    }
    Component {
        kind: "operating-system",
        bom_ref: Some(reference),
        name: &distro.id,
        version: distro.version_id.as_deref(),
        hashes: Vec::new(),
        licenses: Vec::new(),
        purl: None,
        properties,
    }
}

fn package_component<'a>(package: &'a Package, id: &'a str) -> Component<'a> {
    let mut properties = Vec::new();
    let fields = [
        ("assay:layer:diff_id", package.layer.as_deref()),
        ("assay:package:path", Some(package.path.as_str())),
        ("assay:package:source-name", package.source_name.as_deref()),
        (
            "assay:package:source-version",
            package.source_version.as_deref(),
        ),
    ];
    for (name, value) in fields {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            properties.push(Property { name, value });
        }
    }
    Component {
        kind: "library",
        bom_ref: Some(id),
        name: &package.name,
        version: Some(&package.version)
            .filter(|v| !v.is_empty())
            .map(|v| v.as_str()),
        hashes: Vec::new(),
        licenses: licenses(&package.licenses),
        purl: package.purl.as_deref(),
        properties,
    }
}

/// CycloneDX allows either a list of `license` objects or a single `expression`, never both.
/// One compound expression becomes `expression`; otherwise every entry is a license object,
/// by `id` when it is one SPDX id and by `name` for the rest, expressions included, so no
/// declared text is dropped.
fn licenses(declared: &[String]) -> Vec<LicenseChoice<'_>> {
    if let [only] = declared
        && let License::Expression(expression) = classify(only)
    {
        return vec![LicenseChoice::Expression {
            expression: Cow::Borrowed(expression),
        }];
    }
    // A choice is a list of licenses or one expression: several declared licenses of which
    // one is an expression (`MIT`, `Apache-2.0 OR MIT`) are one expression joined with AND,
    // as in SPDX, when every one of them is SPDX.
    if declared
        .iter()
        .any(|l| matches!(classify(l), License::Expression(_)))
        && let Some(expression) = spdx_expression(declared)
    {
        return vec![LicenseChoice::Expression {
            expression: Cow::Owned(expression),
        }];
    }
    declared
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let license = match classify(l) {
                License::Id(id) => LicenseObject {
                    id: Some(id),
                    name: None,
                },
                License::Expression(text) | License::Name(text) => LicenseObject {
                    id: None,
                    name: Some(text),
                },
            };
            LicenseChoice::License { license }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn json(declared: &[&str]) -> String {
        let declared: Vec<String> = declared.iter().map(|s| s.to_string()).collect();
        serde_json::to_string(&licenses(&declared)).unwrap()
    }

    #[test]
    fn licenses_are_ids_names_or_one_expression() {
        assert_eq!(
            json(&["MIT", "BSD"]),
            r#"[{"license":{"id":"MIT"}},{"license":{"name":"BSD"}}]"#
        );
        assert_eq!(
            json(&["MIT OR Apache-2.0"]),
            r#"[{"expression":"MIT OR Apache-2.0"}]"#
        );
        // An expression among several SPDX licenses: one expression for all of them.
        assert_eq!(
            json(&["Zlib", "MIT OR Apache-2.0"]),
            r#"[{"expression":"Zlib AND (MIT OR Apache-2.0)"}]"#
        );
        // With a text that is not SPDX, a list (the expression kept as a name).
        assert_eq!(
            json(&["MIT OR Apache-2.0", "public-domain"]),
            r#"[{"license":{"name":"MIT OR Apache-2.0"}},{"license":{"name":"public-domain"}}]"#
        );
    }
}

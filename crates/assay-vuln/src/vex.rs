//! VEX: statements that a vulnerability does or does not affect a product, read from
//! OpenVEX (0.2.0, and the 0.0.x shape with plain strings) and CycloneDX VEX documents.
//!
//! A scan applies the statements to its vulnerability findings: `not_affected` and `fixed`
//! (CycloneDX: `not_affected`, `false_positive`, `resolved`, `resolved_with_pedigree`)
//! suppress the finding with the justification as the reason; `affected` and
//! `under_investigation` (`exploitable`, `in_triage`) leave it counted. When several
//! statements apply, the newest (by statement, else document, timestamp) wins, and on equal
//! times the one read last, as OpenVEX says later statements supersede earlier ones.
//!
//! Products are matched by package URL: a statement names the package itself, or an image
//! (`pkg:oci/...`, or the target exactly as scanned) with the package among its
//! subcomponents. Purls compare on type, namespace and name, and on version when the
//! statement gives one; qualifiers and subpaths are ignored (`?arch=amd64` does not make a
//! different package for triage).

use std::path::Path;

/// Why a VEX document could not be read. Each names the file.
#[derive(Debug, thiserror::Error)]
pub enum VexError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file is not JSON, or not a VEX document of a known shape.
    #[error("{path}:{line}: {message}")]
    Invalid {
        /// The file.
        path: String,
        /// The line (1 when unknown).
        line: usize,
        /// What is wrong.
        message: String,
    },
}

/// What a statement says of the vulnerability in the product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    /// The product is not affected.
    NotAffected,
    /// The product is affected.
    Affected,
    /// The product contains a fix.
    Fixed,
    /// Not known yet.
    UnderInvestigation,
}

impl Status {
    /// The OpenVEX name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::NotAffected => "not_affected",
            Status::Affected => "affected",
            Status::Fixed => "fixed",
            Status::UnderInvestigation => "under_investigation",
        }
    }

    /// Whether the finding stops counting.
    pub fn suppresses(self) -> bool {
        matches!(self, Status::NotAffected | Status::Fixed)
    }

    fn from_openvex(text: &str) -> Option<Status> {
        Some(match text {
            "not_affected" => Status::NotAffected,
            "affected" => Status::Affected,
            "fixed" => Status::Fixed,
            "under_investigation" => Status::UnderInvestigation,
            _ => return None,
        })
    }

    fn from_cyclonedx(text: &str) -> Option<Status> {
        Some(match text {
            "not_affected" | "false_positive" => Status::NotAffected,
            "resolved" | "resolved_with_pedigree" => Status::Fixed,
            "exploitable" => Status::Affected,
            "in_triage" => Status::UnderInvestigation,
            _ => return None,
        })
    }
}

/// One product a statement is about: an identifier, and subcomponents that narrow it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    /// The product's `@id` or purl (empty when it only lists subcomponents).
    pub id: String,
    /// Subcomponent identifiers (purls); empty means the whole product.
    pub subcomponents: Vec<String>,
}

/// One VEX statement, normalised from either format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// The vulnerability's name and aliases (`CVE-2024-1234`, `GHSA-...`).
    pub vulnerability: Vec<String>,
    /// The products; empty means every product (the document's scope).
    pub products: Vec<Product>,
    /// The status.
    pub status: Status,
    /// The justification label (`vulnerable_code_not_present`), when given.
    pub justification: Option<String>,
    /// Free text: OpenVEX `impact_statement` / `action_statement`, CycloneDX `detail`.
    pub detail: Option<String>,
    /// When it was made (RFC 3339), statement time else document time.
    pub timestamp: Option<jiff::Timestamp>,
    /// `file` or `file#index`: where it was read, for the suppression's source.
    pub source: String,
}

impl Statement {
    /// The suppression reason: `not_affected: vulnerable_code_not_present (impact text)`.
    pub fn reason(&self) -> String {
        let mut reason = self.status.as_str().to_string();
        if let Some(j) = &self.justification {
            reason.push_str(": ");
            reason.push_str(j);
        }
        if let Some(d) = &self.detail {
            reason.push_str(if self.justification.is_some() {
                " ("
            } else {
                ": "
            });
            reason.push_str(d);
            if self.justification.is_some() {
                reason.push(')');
            }
        }
        reason
    }

    /// Whether the statement names one of `ids` (case-insensitive: `cve-` vs `CVE-`).
    pub fn names(&self, ids: &[String]) -> bool {
        self.vulnerability
            .iter()
            .any(|v| ids.iter().any(|id| id.eq_ignore_ascii_case(v)))
    }

    /// Whether the statement covers a package (`purl`, if known) in the scanned `target`.
    pub fn covers(&self, purl: Option<&str>, target: &str) -> bool {
        if self.products.is_empty() {
            return true;
        }
        let package = |id: &str| purl.is_some_and(|p| purl_matches(id, p));
        self.products.iter().any(|product| {
            if product.subcomponents.is_empty() {
                package(&product.id) || names_target(&product.id, target)
            } else {
                (product.id.is_empty() || names_target(&product.id, target))
                    && product.subcomponents.iter().any(|s| package(s))
            }
        })
    }
}

/// Whether a product id names the scanned target: the target as written, or a `pkg:oci`
/// purl whose name is the image's repository name.
fn names_target(id: &str, target: &str) -> bool {
    if id == target {
        return true;
    }
    let Some(parts) = Purl::parse(id) else {
        return false;
    };
    if parts.kind != "oci" {
        return false;
    }
    // `registry/ns/name:tag@digest`, `oci:dir/name:tag`: the last path component without
    // tag or digest.
    let bare = target.split('@').next().unwrap_or(target);
    let bare = ["docker://", "oci:", "docker-archive:", "dir:"]
        .iter()
        .find_map(|t| bare.strip_prefix(t))
        .unwrap_or(bare);
    let last = bare.rsplit('/').next().unwrap_or(bare);
    let last = last.split(':').next().unwrap_or(last);
    !last.is_empty() && parts.name.eq_ignore_ascii_case(last)
}

/// The comparable parts of a package URL.
#[derive(Debug, PartialEq, Eq)]
struct Purl {
    kind: String,
    namespace: String,
    name: String,
    version: Option<String>,
}

impl Purl {
    /// `pkg:type/namespace/name@version?qualifiers#subpath`, percent-decoded; `None` for
    /// anything else. Hand-written: only these four parts are compared, and both sides go
    /// through the same decoding, so a full purl parser adds nothing here.
    fn parse(text: &str) -> Option<Purl> {
        let rest = text.strip_prefix("pkg:")?.trim_start_matches('/');
        let rest = rest.split('#').next().unwrap_or(rest);
        let rest = rest.split('?').next().unwrap_or(rest);
        let (path, version) = match rest.rsplit_once('@') {
            Some((p, v)) if !p.is_empty() && !p.ends_with('/') => (p, Some(decode(v))),
            _ => (rest, None),
        };
        let (kind, path) = path.split_once('/')?;
        let (namespace, name) = match path.rsplit_once('/') {
            Some((ns, name)) => (ns, name),
            None => ("", path),
        };
        let kind = kind.to_ascii_lowercase();
        // Types whose names are case-insensitive (purl spec: npm, pypi, ...; PEP 503 for pypi).
        let fold = matches!(
            kind.as_str(),
            "npm" | "pypi" | "github" | "bitbucket" | "golang"
        );
        let norm = |s: String| {
            if fold { s.to_ascii_lowercase() } else { s }
        };
        let mut name = norm(decode(name));
        if kind == "pypi" {
            name = name.replace(['_', '.'], "-");
        }
        Some(Purl {
            namespace: norm(decode(namespace)),
            name,
            version,
            kind,
        })
    }
}

/// Percent-decodes (invalid escapes are kept as written).
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = text.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(hex, 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Whether the statement's purl `pattern` names the package `purl`: same type, namespace
/// and name, and the same version when the pattern has one.
pub fn purl_matches(pattern: &str, purl: &str) -> bool {
    match (Purl::parse(pattern), Purl::parse(purl)) {
        (Some(p), Some(q)) => {
            p.kind == q.kind
                && p.namespace == q.namespace
                && p.name == q.name
                && p.version
                    .as_ref()
                    .is_none_or(|v| Some(v) == q.version.as_ref())
        }
        _ => false,
    }
}

/// Reads a VEX document (OpenVEX or CycloneDX JSON, told apart by their fields).
///
/// # Errors
/// [`VexError`] naming the file (and line, for JSON errors).
pub fn load(path: &Path) -> Result<Vec<Statement>, VexError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| VexError::Io {
        path: name.clone(),
        source,
    })?;
    parse(&name, &text)
}

/// Parses a VEX document; `name` is used in errors and statement sources.
///
/// # Errors
/// [`VexError::Invalid`] for JSON errors, an unknown document shape, an unknown status, or a
/// statement without a vulnerability.
pub fn parse(name: &str, text: &str) -> Result<Vec<Statement>, VexError> {
    let invalid = |line: usize, message: String| VexError::Invalid {
        path: name.to_string(),
        line,
        message,
    };
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| invalid(e.line().max(1), e.to_string()))?;
    if value.get("statements").is_some() {
        let doc: openvex::Document = serde_json::from_value(value)
            .map_err(|e| invalid(1, format!("not an OpenVEX document: {e}")))?;
        doc.statements(name).map_err(|m| invalid(1, m))
    } else if value.get("bomFormat").and_then(|v| v.as_str()) == Some("CycloneDX") {
        let doc: cyclonedx::Bom = serde_json::from_value(value)
            .map_err(|e| invalid(1, format!("not a CycloneDX VEX document: {e}")))?;
        doc.statements(name).map_err(|m| invalid(1, m))
    } else {
        Err(invalid(
            1,
            "neither an OpenVEX document (statements) nor CycloneDX (bomFormat)".into(),
        ))
    }
}

fn timestamp(text: Option<&str>) -> Option<jiff::Timestamp> {
    text.and_then(|t| t.parse().ok())
}

/// The statement that decides for a finding: of those naming one of `ids` and covering the
/// package, the newest (ties: the last read).
pub fn decide<'a>(
    statements: &'a [Statement],
    ids: &[String],
    purl: Option<&str>,
    target: &str,
) -> Option<&'a Statement> {
    let mut best: Option<&Statement> = None;
    for s in statements {
        if !s.names(ids) || !s.covers(purl, target) {
            continue;
        }
        best = match best {
            Some(b) if b.timestamp > s.timestamp => Some(b),
            _ => Some(s),
        };
    }
    best
}

mod openvex {
    //! The OpenVEX JSON shapes (0.2.0; 0.0.x wrote vulnerabilities and products as strings).

    use serde::Deserialize;

    use super::{Product, Statement, Status, timestamp};

    #[derive(Deserialize)]
    pub(super) struct Document {
        timestamp: Option<String>,
        statements: Vec<Stmt>,
    }

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Vulnerability {
        Name(String),
        Full {
            name: String,
            #[serde(default)]
            aliases: Vec<String>,
        },
    }

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Component {
        Id(String),
        Full {
            #[serde(rename = "@id", default)]
            id: Option<String>,
            #[serde(default)]
            identifiers: Option<Identifiers>,
            #[serde(default)]
            subcomponents: Vec<Component>,
        },
    }

    #[derive(Deserialize)]
    struct Identifiers {
        purl: Option<String>,
    }

    impl Component {
        fn ids(&self) -> Vec<String> {
            match self {
                Component::Id(id) => vec![id.clone()],
                Component::Full {
                    id, identifiers, ..
                } => id
                    .iter()
                    .cloned()
                    .chain(identifiers.as_ref().and_then(|i| i.purl.clone()))
                    .collect(),
            }
        }
    }

    #[derive(Deserialize)]
    struct Stmt {
        vulnerability: Vulnerability,
        #[serde(default)]
        products: Vec<Component>,
        /// 0.0.x: subcomponents beside products.
        #[serde(default)]
        subcomponents: Vec<Component>,
        status: String,
        justification: Option<String>,
        impact_statement: Option<String>,
        action_statement: Option<String>,
        timestamp: Option<String>,
    }

    impl Document {
        pub(super) fn statements(&self, name: &str) -> Result<Vec<Statement>, String> {
            let mut out = Vec::with_capacity(self.statements.len());
            for (index, s) in self.statements.iter().enumerate() {
                let status = Status::from_openvex(&s.status)
                    .ok_or_else(|| format!("statement {index}: unknown status {:?}", s.status))?;
                let vulnerability = match &s.vulnerability {
                    Vulnerability::Name(n) => vec![n.clone()],
                    Vulnerability::Full { name, aliases } => std::iter::once(name.clone())
                        .chain(aliases.iter().cloned())
                        .collect(),
                };
                if vulnerability.iter().all(|v| v.trim().is_empty()) {
                    return Err(format!("statement {index}: no vulnerability name"));
                }
                let legacy_subs: Vec<String> =
                    s.subcomponents.iter().flat_map(Component::ids).collect();
                let mut products = Vec::new();
                for product in &s.products {
                    let mut subcomponents: Vec<String> = match product {
                        Component::Full { subcomponents, .. } => {
                            subcomponents.iter().flat_map(Component::ids).collect()
                        }
                        Component::Id(_) => Vec::new(),
                    };
                    subcomponents.extend(legacy_subs.iter().cloned());
                    let ids = product.ids();
                    if ids.is_empty() {
                        products.push(Product {
                            id: String::new(),
                            subcomponents: subcomponents.clone(),
                        });
                    }
                    for id in ids {
                        products.push(Product {
                            id,
                            subcomponents: subcomponents.clone(),
                        });
                    }
                }
                let detail = match status {
                    Status::Affected => s.action_statement.clone(),
                    _ => s.impact_statement.clone(),
                };
                out.push(Statement {
                    vulnerability,
                    products,
                    status,
                    justification: s.justification.clone(),
                    detail,
                    timestamp: timestamp(s.timestamp.as_deref().or(self.timestamp.as_deref())),
                    source: format!("{name}#{index}"),
                });
            }
            Ok(out)
        }
    }
}

mod cyclonedx {
    //! The parts of a CycloneDX (1.4+) BOM that carry VEX: `vulnerabilities[].analysis` and
    //! `affects[].ref`, resolved through `components[].bom-ref` to purls.

    use std::collections::HashMap;

    use serde::Deserialize;

    use super::{Product, Statement, Status, timestamp};

    #[derive(Deserialize)]
    pub(super) struct Bom {
        #[serde(default)]
        metadata: Option<Metadata>,
        #[serde(default)]
        components: Vec<Component>,
        #[serde(default)]
        vulnerabilities: Vec<Vulnerability>,
    }

    #[derive(Deserialize)]
    struct Metadata {
        timestamp: Option<String>,
        component: Option<Component>,
    }

    #[derive(Deserialize)]
    struct Component {
        #[serde(rename = "bom-ref")]
        bom_ref: Option<String>,
        purl: Option<String>,
        #[serde(default)]
        components: Vec<Component>,
    }

    #[derive(Deserialize)]
    struct Vulnerability {
        id: String,
        #[serde(default)]
        references: Vec<Reference>,
        analysis: Option<Analysis>,
        #[serde(default)]
        affects: Vec<Affects>,
        updated: Option<String>,
        published: Option<String>,
    }

    #[derive(Deserialize)]
    struct Reference {
        id: String,
    }

    #[derive(Deserialize)]
    struct Analysis {
        state: Option<String>,
        justification: Option<String>,
        detail: Option<String>,
    }

    #[derive(Deserialize)]
    struct Affects {
        #[serde(rename = "ref")]
        reference: String,
    }

    fn index<'a>(components: &'a [Component], refs: &mut HashMap<&'a str, &'a str>) {
        for c in components {
            if let (Some(r), Some(p)) = (&c.bom_ref, &c.purl) {
                refs.insert(r.as_str(), p.as_str());
            }
            index(&c.components, refs);
        }
    }

    impl Bom {
        pub(super) fn statements(&self, name: &str) -> Result<Vec<Statement>, String> {
            let mut refs = HashMap::new();
            index(&self.components, &mut refs);
            if let Some(c) = self.metadata.as_ref().and_then(|m| m.component.as_ref()) {
                index(std::slice::from_ref(c), &mut refs);
            }
            let doc_time = self.metadata.as_ref().and_then(|m| m.timestamp.as_deref());
            let mut out = Vec::new();
            for (index, v) in self.vulnerabilities.iter().enumerate() {
                // A vulnerability without analysis is an ordinary BOM entry, not a statement.
                let Some(analysis) = &v.analysis else {
                    continue;
                };
                let Some(state) = &analysis.state else {
                    continue;
                };
                let status = Status::from_cyclonedx(state).ok_or_else(|| {
                    format!("vulnerability {index}: unknown analysis state {state:?}")
                })?;
                let products = v
                    .affects
                    .iter()
                    .map(|a| {
                        // `urn:cdx:SERIAL/VERSION#bom-ref` points into another BOM.
                        let local = a.reference.rsplit('#').next().unwrap_or(&a.reference);
                        let id = refs
                            .get(a.reference.as_str())
                            .or_else(|| refs.get(local))
                            .map_or_else(|| a.reference.clone(), |p| (*p).to_string());
                        Product {
                            id,
                            subcomponents: Vec::new(),
                        }
                    })
                    .collect();
                out.push(Statement {
                    vulnerability: std::iter::once(v.id.clone())
                        .chain(v.references.iter().map(|r| r.id.clone()))
                        .collect(),
                    products,
                    status,
                    justification: analysis.justification.clone(),
                    detail: analysis.detail.clone(),
                    timestamp: timestamp(
                        v.updated.as_deref().or(v.published.as_deref()).or(doc_time),
                    ),
                    source: format!("{name}#{index}"),
                });
            }
            Ok(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purls_compare_on_type_namespace_name_and_optional_version() {
        assert!(purl_matches("pkg:pypi/Flask", "pkg:pypi/flask@2.2.0"));
        assert!(purl_matches(
            "pkg:pypi/flask@2.2.0",
            "pkg:pypi/flask@2.2.0?x=1"
        ));
        assert!(!purl_matches(
            "pkg:pypi/flask@2.2.1",
            "pkg:pypi/flask@2.2.0"
        ));
        assert!(purl_matches(
            "pkg:npm/%40babel/core",
            "pkg:npm/@babel/core@7.0.0"
        ));
        assert!(purl_matches(
            "pkg:deb/debian/zlib@1:1.2.13.dfsg-1",
            "pkg:deb/debian/zlib@1:1.2.13.dfsg-1?arch=amd64&distro=debian-12"
        ));
        assert!(!purl_matches(
            "pkg:deb/debian/zlib",
            "pkg:rpm/debian/zlib@1"
        ));
        assert!(!purl_matches("zlib", "pkg:deb/debian/zlib@1"));
    }

    #[test]
    fn image_products_are_matched_by_oci_purl_name_or_as_written() {
        assert!(names_target(
            "pkg:oci/orders?repository_url=registry.example.com/shop/orders",
            "registry.example.com/shop/orders:1.4"
        ));
        assert!(names_target("pkg:oci/image", "oci:build/image:1.0"));
        assert!(names_target("pkg:oci/image", "oci:image"));
        assert!(names_target("oci:build/image:1.0", "oci:build/image:1.0"));
        assert!(!names_target("pkg:oci/other", "oci:build/image:1.0"));
    }

    #[test]
    fn reasons_carry_status_justification_and_text() {
        let s = Statement {
            vulnerability: vec!["CVE-1".into()],
            products: Vec::new(),
            status: Status::NotAffected,
            justification: Some("vulnerable_code_not_present".into()),
            detail: Some("the parser is not built".into()),
            timestamp: None,
            source: "vex.json#0".into(),
        };
        assert_eq!(
            s.reason(),
            "not_affected: vulnerable_code_not_present (the parser is not built)"
        );
    }
}

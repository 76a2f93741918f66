//! VEX in and out of `assay scan`.
//!
//! In: `--vex FILE` (OpenVEX or CycloneDX VEX, repeatable) suppresses the vulnerability
//! findings a `not_affected` or `fixed` statement covers; the suppression keeps the status,
//! justification and statement (`file#index`), so the JSON and SARIF reports still show the
//! finding and why it does not count.
//!
//! Out: `--format openvex` (or `--report openvex=FILE`) writes an OpenVEX 0.2.0 document with
//! one statement per vulnerability, target and status: findings a VEX statement decided keep
//! that status and justification, all others are `under_investigation`, a skeleton for a
//! team to triage and feed back with `--vex`. The output is sorted and its `@id` is a hash of
//! the statements, so the same scan gives the same bytes.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use assay_core::{Finding, FindingKind, Report, Suppression};
use assay_vuln::vex::{self, Statement, Status};
use serde::Serialize;

use crate::exit::Failure;

/// Reads every `--vex` file, in order (later statements win ties).
pub fn load(paths: &[PathBuf]) -> Result<Vec<Statement>, Failure> {
    let mut statements = Vec::new();
    for path in paths {
        statements.extend(vex::load(path).map_err(|e| Failure::input(e.to_string()))?);
    }
    Ok(statements)
}

/// The ids a vulnerability finding is known by: its rule id, and the OSV record and CVE ids
/// its references name (the matcher merges aliases into one finding shown under one id).
fn finding_ids(finding: &Finding) -> Vec<String> {
    let mut ids = vec![finding.rule_id.clone()];
    for reference in &finding.references {
        for prefix in [
            "https://osv.dev/vulnerability/",
            "https://nvd.nist.gov/vuln/detail/",
        ] {
            if let Some(id) = reference.strip_prefix(prefix)
                && !ids.iter().any(|known| known == id)
            {
                ids.push(id.to_string());
            }
        }
    }
    ids
}

/// The suppression a VEX statement gives `finding`, if one covers it with a status that does
/// not count (`not_affected`, `fixed`).
pub fn suppression(statements: &[Statement], finding: &Finding) -> Option<Suppression> {
    decide(statements, finding)
        .filter(|s| s.status.suppresses())
        .map(|s| Suppression {
            kind: "vex".to_string(),
            reason: Some(s.reason()),
            source: Some(s.source.clone()),
        })
}

fn decide<'a>(statements: &'a [Statement], finding: &Finding) -> Option<&'a Statement> {
    if finding.kind != FindingKind::Vulnerability || statements.is_empty() {
        return None;
    }
    let purl = finding.package.as_ref().and_then(|p| p.purl.as_deref());
    vex::decide(statements, &finding_ids(finding), purl, &finding.target)
}

// ---------------------------------------------------------------------------------------
// --format openvex

#[derive(Serialize)]
struct Document {
    #[serde(rename = "@context")]
    context: &'static str,
    #[serde(rename = "@id")]
    id: String,
    author: &'static str,
    timestamp: String,
    version: u32,
    tooling: String,
    statements: Vec<OutStatement>,
}

#[derive(Serialize, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct OutVulnerability {
    name: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    aliases: Vec<String>,
}

#[derive(Serialize, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Subcomponent {
    #[serde(rename = "@id")]
    id: String,
}

#[derive(Serialize, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Product {
    #[serde(rename = "@id")]
    id: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    subcomponents: Vec<Subcomponent>,
}

#[derive(Serialize, PartialEq, Eq, PartialOrd, Ord)]
struct OutStatement {
    vulnerability: OutVulnerability,
    products: Vec<Product>,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    justification: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    impact_statement: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    action_statement: Option<String>,
}

/// Percent-encodes a purl qualifier value (everything but unreserved characters).
fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The product id of an image target: a `pkg:oci` purl (name = last path component, the
/// registry repository and tag as qualifiers), which `--vex` matches back to the target.
fn image_purl(target: &str) -> String {
    let (bare, digest) = match target.split_once('@') {
        Some((b, d)) => (b, Some(d)),
        None => (target, None),
    };
    let (transport, rest) = ["docker://", "oci:", "docker-archive:", "dir:"]
        .iter()
        .find_map(|t| bare.strip_prefix(t).map(|r| (Some(*t), r)))
        .unwrap_or((None, bare));
    let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
    let (path, tag) = match rest.get(last_slash..).and_then(|l| l.rfind(':')) {
        Some(i) => (
            rest.get(..last_slash + i).unwrap_or(rest),
            rest.get(last_slash + i + 1..),
        ),
        None => (rest, None),
    };
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    let mut purl = format!("pkg:oci/{}", encode(&name));
    if let Some(d) = digest {
        purl.push('@');
        purl.push_str(&encode(d));
    }
    let mut qualifiers = Vec::new();
    if matches!(transport, None | Some("docker://")) {
        qualifiers.push(format!("repository_url={}", encode(path)));
    }
    if let Some(tag) = tag.filter(|t| !t.is_empty()) {
        qualifiers.push(format!("tag={}", encode(tag)));
    }
    if !qualifiers.is_empty() {
        purl.push('?');
        purl.push_str(&qualifiers.join("&"));
    }
    purl
}

/// The package's id in a statement: its purl, else `name@version`.
fn package_id(finding: &Finding) -> Option<String> {
    let package = finding.package.as_ref()?;
    Some(
        package
            .purl
            .clone()
            .unwrap_or_else(|| format!("{}@{}", package.name, package.version)),
    )
}

/// The OpenVEX document for the report's vulnerability findings (reported and suppressed).
pub fn openvex(report: &Report, statements: &[Statement], timestamp: &str) -> Vec<u8> {
    let images: BTreeSet<&str> = report
        .targets
        .iter()
        .filter(|t| t.kind == "image")
        .map(|t| t.name.as_str())
        .collect();
    // (vulnerability, status, justification, text) -> target -> package ids
    type Key = (OutVulnerability, Status, Option<String>, Option<String>);
    let mut grouped: BTreeMap<Key, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for finding in report.findings.iter().chain(&report.suppressed) {
        if finding.kind != FindingKind::Vulnerability {
            continue;
        }
        let Some(package) = package_id(finding) else {
            continue;
        };
        let ids = finding_ids(finding);
        let vulnerability = OutVulnerability {
            name: finding.rule_id.clone(),
            aliases: ids.into_iter().skip(1).collect(),
        };
        let key = match decide(statements, finding) {
            Some(s) => (
                vulnerability,
                s.status,
                s.justification.clone(),
                s.detail.clone(),
            ),
            None => (vulnerability, Status::UnderInvestigation, None, None),
        };
        grouped
            .entry(key)
            .or_default()
            .entry(finding.target.clone())
            .or_default()
            .insert(package);
    }
    let mut out = Vec::with_capacity(grouped.len());
    for ((vulnerability, status, justification, detail), targets) in grouped {
        let mut products = Vec::new();
        for (target, packages) in targets {
            if images.contains(target.as_str()) {
                products.push(Product {
                    id: image_purl(&target),
                    subcomponents: packages.into_iter().map(|id| Subcomponent { id }).collect(),
                });
            } else {
                products.extend(packages.into_iter().map(|id| Product {
                    id,
                    subcomponents: Vec::new(),
                }));
            }
        }
        products.sort();
        products.dedup();
        // OpenVEX: not_affected needs a justification or an impact statement (not both);
        // affected needs an action statement.
        let (justification, impact_statement, action_statement) = match status {
            Status::NotAffected => match (justification, detail) {
                (Some(j), _) => (Some(j), None, None),
                (None, d) => (
                    None,
                    Some(d.unwrap_or_else(|| "not affected (no justification given)".into())),
                    None,
                ),
            },
            Status::Affected => (
                None,
                None,
                Some(detail.unwrap_or_else(|| "upgrade to a fixed version".into())),
            ),
            _ => (None, detail, None),
        };
        out.push(OutStatement {
            vulnerability,
            products,
            status: status.as_str(),
            justification,
            impact_statement,
            action_statement,
        });
    }
    out.sort();
    let body = serde_json::to_vec(&out).unwrap_or_default();
    let document = Document {
        context: "https://openvex.dev/ns/v0.2.0",
        id: format!(
            "https://openvex.dev/docs/public/assay-{}",
            assay_oci::Digest::sha256_of(&body).hex()
        ),
        author: "assay",
        timestamp: timestamp.to_string(),
        version: 1,
        tooling: format!("assay {}", env!("CARGO_PKG_VERSION")),
        statements: out,
    };
    let mut bytes = serde_json::to_vec_pretty(&document).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_targets_become_oci_purls() {
        assert_eq!(
            image_purl("registry.example.com/shop/orders:1.4"),
            "pkg:oci/orders?repository_url=registry.example.com%2Fshop%2Forders&tag=1.4"
        );
        assert_eq!(image_purl("oci:build/image:1.0"), "pkg:oci/image?tag=1.0");
        assert_eq!(
            image_purl("127.0.0.1:5000/app"),
            "pkg:oci/app?repository_url=127.0.0.1%3A5000%2Fapp"
        );
        assert_eq!(image_purl("docker-archive:img.tar"), "pkg:oci/img.tar");
    }
}

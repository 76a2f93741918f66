//! One problem found in one place.

use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::Severity;

/// Which scanner family produced a finding; gates (`--fail-on vuln=HIGH`) and filters use it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FindingKind {
    /// A misconfiguration in a Dockerfile or manifest.
    Misconfig,
    /// A known vulnerability in a package.
    Vulnerability,
    /// A secret or sensitive file.
    Secret,
    /// A malicious file.
    Malware,
    /// A license that the policy forbids or cannot classify.
    License,
    /// A compliance baseline control that does not hold.
    Baseline,
    /// A suspicious request in a Kubernetes audit log.
    Audit,
}

impl FindingKind {
    /// Every kind, in report order.
    pub const ALL: [FindingKind; 7] = [
        FindingKind::Misconfig,
        FindingKind::Vulnerability,
        FindingKind::Secret,
        FindingKind::Malware,
        FindingKind::License,
        FindingKind::Baseline,
        FindingKind::Audit,
    ];

    /// The lower-case name used in JSON and on the command line (`misconfig`).
    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::Misconfig => "misconfig",
            FindingKind::Vulnerability => "vulnerability",
            FindingKind::Secret => "secret",
            FindingKind::Malware => "malware",
            FindingKind::License => "license",
            FindingKind::Baseline => "baseline",
            FindingKind::Audit => "audit",
        }
    }

    /// Parses a kind or the scanner name users type (`vuln`, `misconfig`, `secret`, ...).
    pub fn from_scanner_name(name: &str) -> Option<Self> {
        match name.trim().to_ascii_lowercase().as_str() {
            "misconfig" | "config" | "iac" => Some(FindingKind::Misconfig),
            "vuln" | "vulnerability" | "vulnerabilities" => Some(FindingKind::Vulnerability),
            "secret" | "secrets" => Some(FindingKind::Secret),
            "malware" => Some(FindingKind::Malware),
            "license" | "licenses" => Some(FindingKind::License),
            "baseline" | "baselines" | "compliance" => Some(FindingKind::Baseline),
            "audit" | "audit-log" => Some(FindingKind::Audit),
            _ => None,
        }
    }
}

impl fmt::Display for FindingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a finding is: a file position, or an image layer and path.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Location {
    /// The file, relative to the scanned directory where there is one, with `/` separators.
    pub path: String,
    /// 1-based first line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// 1-based first column.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    /// 1-based last line (inclusive).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_line: Option<u32>,
    /// The layer's diff_id, for findings inside images.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer: Option<String>,
}

impl Location {
    /// A location covering lines `line..=end_line` of `path`.
    pub fn lines(path: impl Into<String>, line: u32, end_line: u32) -> Self {
        Location {
            path: path.into(),
            line: Some(line),
            column: Some(1),
            end_line: Some(end_line.max(line)),
            layer: None,
        }
    }

    /// `path:line:column`, as much of it as is known.
    pub fn display(&self) -> String {
        match (self.line, self.column) {
            (Some(l), Some(c)) => format!("{}:{l}:{c}", self.path),
            (Some(l), None) => format!("{}:{l}", self.path),
            _ => self.path.clone(),
        }
    }
}

/// The package a finding is about (vulnerabilities, licenses).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PackageRef {
    /// Package name as its ecosystem spells it.
    pub name: String,
    /// Installed version.
    pub version: String,
    /// OSV ecosystem name (`Debian`, `PyPI`, `npm`, ...).
    pub ecosystem: String,
    /// Package URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
}

/// Why a finding does not count: which ignore entry or inline comment silenced it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Suppression {
    /// `assayignore`, `inline` or `annotation`.
    pub kind: String,
    /// The reason the user wrote, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Where the suppression was written (`.assayignore:4`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// One problem in one place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable fingerprint of the finding: the same problem in the same place keeps it when
    /// unrelated lines move, so code-scanning alerts and baselines follow it.
    pub id: String,
    /// Scanner family.
    pub kind: FindingKind,
    /// The rule (`ASSAY-DF-001`, a Rego rule) or, for vulnerabilities, the advisory id.
    pub rule_id: String,
    /// How bad it is.
    pub severity: Severity,
    /// One line naming the problem (the rule's title).
    pub title: String,
    /// What exactly was found here.
    pub message: String,
    /// The scanned target this finding belongs to (a file or image name).
    pub target: String,
    /// Where in the target.
    pub location: Location,
    /// The object concerned: `Deployment/prod/web`, a Dockerfile stage, a container.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// The package concerned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package: Option<PackageRef>,
    /// How to fix it (a fixed version for vulnerabilities).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    /// Links for more information.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
    /// Set when an ignore entry or inline comment silenced the finding.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppression: Option<Suppression>,
    /// For image findings when golden base images are configured: whether what was found
    /// came with the golden base image's layers or with the layers built on it, so teams
    /// see (and gate on) what they own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<Origin>,
}

/// Which part of an image a finding came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// The leading layers shared with the golden base image.
    Base,
    /// The layers built on top of the base (or the whole image, when built on none).
    Application,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Origin::Base => "base image",
            Origin::Application => "application",
        })
    }
}

impl Finding {
    /// A finding with its fingerprint computed from the stable parts of what it is about.
    ///
    /// `anchor` is what identifies the place besides the file (the instruction text, the
    /// container name): line numbers are left out on purpose so that the fingerprint survives
    /// edits elsewhere in the file.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        kind: FindingKind,
        rule_id: impl Into<String>,
        severity: Severity,
        title: impl Into<String>,
        message: impl Into<String>,
        target: impl Into<String>,
        location: Location,
        anchor: &str,
    ) -> Self {
        let mut finding = Finding {
            id: String::new(),
            kind,
            rule_id: rule_id.into(),
            severity,
            title: title.into(),
            message: message.into(),
            target: target.into(),
            location,
            resource: None,
            package: None,
            fix: None,
            references: Vec::new(),
            suppression: None,
            origin: None,
        };
        finding.id = finding.fingerprint(anchor);
        finding
    }

    /// Sets the resource and refreshes the fingerprint to include it.
    pub fn with_resource(mut self, resource: impl Into<String>, anchor: &str) -> Self {
        self.resource = Some(resource.into());
        self.id = self.fingerprint(anchor);
        self
    }

    /// Sets the remediation text.
    pub fn with_fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }

    fn fingerprint(&self, anchor: &str) -> String {
        let mut h = Sha256::new();
        for part in [
            self.kind.as_str(),
            &self.rule_id,
            &self.target,
            &self.location.path,
            self.location.layer.as_deref().unwrap_or(""),
            self.resource.as_deref().unwrap_or(""),
            self.package.as_ref().map_or("", |p| p.name.as_str()),
            self.package.as_ref().map_or("", |p| p.version.as_str()),
            anchor,
        ] {
            h.update(part.as_bytes());
            h.update([0u8]);
        }
        hex::encode(&h.finalize()[..16])
    }

    /// The order every report lists findings in: target, file, line, rule, then the rest, so
    /// output is byte-identical for the same input.
    pub fn sort_key(&self) -> impl Ord + '_ {
        (
            &self.target,
            &self.location.path,
            self.location.line,
            self.location.column,
            &self.rule_id,
            std::cmp::Reverse(self.severity),
            &self.resource,
            &self.id,
            &self.message,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(line: u32, anchor: &str) -> Finding {
        Finding::new(
            FindingKind::Misconfig,
            "ASSAY-DF-001",
            Severity::High,
            "t",
            "m",
            "Dockerfile",
            Location::lines("Dockerfile", line, line),
            anchor,
        )
    }

    #[test]
    fn fingerprint_ignores_line_moves_but_not_the_anchor() {
        assert_eq!(at(3, "FROM x").id, at(9, "FROM x").id);
        assert_ne!(at(3, "FROM x").id, at(3, "FROM y").id);
        assert_eq!(at(3, "FROM x").id.len(), 32);
    }

    #[test]
    fn scanner_names_map_to_kinds() {
        assert_eq!(
            FindingKind::from_scanner_name("vuln"),
            Some(FindingKind::Vulnerability)
        );
        assert_eq!(FindingKind::from_scanner_name("nope"), None);
    }
}

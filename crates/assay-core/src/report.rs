//! The one result of a scan that every output format is written from.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{Finding, FindingKind, RuleDoc, Severity};

/// Version of the JSON report layout (docs/json-format.md). Bumped on any incompatible change;
/// fields may be added without a bump.
pub const SCHEMA_VERSION: &str = "1.0";

/// What was scanned, one entry per file or image.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TargetSummary {
    /// Target name as findings refer to it (`fixtures/demo/Dockerfile`).
    pub name: String,
    /// `dockerfile`, `kubernetes`, `image`, ...
    pub kind: String,
    /// For images, when golden images are configured: the one it is built on, or none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_image: Option<crate::BaseImage>,
    /// The rules that ran on this target, so that formats listing passed checks (JUnit) can
    /// name them. Not part of the JSON layout.
    #[serde(skip)]
    pub rules_checked: Vec<CheckedRule>,
}

/// A rule that ran on a target: its id and title.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct CheckedRule {
    /// Rule id.
    pub id: String,
    /// Rule title.
    pub title: String,
}

/// An input that could not be scanned; the scan goes on with the others and exits 2.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ScanError {
    /// The file or reference.
    pub target: String,
    /// One line naming file:line when known.
    pub message: String,
}

/// Everything a scan produced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// Layout version of this report ([`SCHEMA_VERSION`]).
    pub schema_version: String,
    /// Tool name and version.
    pub tool: Tool,
    /// Scan time, present only when `SOURCE_DATE_EPOCH` set it, so that reports are
    /// byte-identical for the same input by default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// What the user asked to scan.
    pub artifact: String,
    /// Every scanned target, sorted.
    pub targets: Vec<TargetSummary>,
    /// Findings that count, sorted by [`Finding::sort_key`].
    pub findings: Vec<Finding>,
    /// Findings silenced by an ignore entry or inline comment, sorted likewise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suppressed: Vec<Finding>,
    /// Findings dropped from this report by `--severity` (still counted by the gate).
    #[serde(default)]
    pub filtered_out: usize,
    /// Documentation of every rule that appears in `findings` or `suppressed`.
    pub rules: BTreeMap<String, RuleDoc>,
    /// Inputs that could not be scanned.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ScanError>,
    /// The licenses of each image's packages, by target name, when the license scanner ran
    /// (empty, and absent from the JSON, otherwise).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub license_summary: BTreeMap<String, LicenseSummary>,
}

/// How many packages of a target use each license and each license category: the overview
/// next to the license findings (which only name what the policy rejects).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LicenseSummary {
    /// Packages counted, with or without a license.
    pub packages: usize,
    /// Packages per category ([`LicenseSummary::CATEGORIES`]), of the declared licenses
    /// taken together (OR picks the least restrictive choice, AND the most); only
    /// categories that occur. Packages without a license are counted in `without_license`.
    pub categories: BTreeMap<String, usize>,
    /// Packages per declared license, as an SPDX id or expression (the declared text when
    /// it is not SPDX); a package declaring several counts under each.
    pub licenses: BTreeMap<String, usize>,
    /// Packages with no license found.
    pub without_license: usize,
}

impl LicenseSummary {
    /// The category names, least restrictive first (the order to show them in).
    pub const CATEGORIES: [&'static str; 5] = [
        "permissive",
        "weak-copyleft",
        "strong-copyleft",
        "network-copyleft",
        "unknown",
    ];

    /// The categories that occur with their counts, in [`LicenseSummary::CATEGORIES`] order.
    pub fn categories_in_order(&self) -> Vec<(&str, usize)> {
        Self::CATEGORIES
            .iter()
            .filter_map(|c| self.categories.get(*c).map(|n| (*c, *n)))
            .filter(|(_, n)| *n > 0)
            .collect()
    }

    /// The `n` most used licenses, most packages first, then by name.
    pub fn top(&self, n: usize) -> Vec<(&str, usize)> {
        let mut all: Vec<(&str, usize)> = self
            .licenses
            .iter()
            .map(|(l, count)| (l.as_str(), *count))
            .collect();
        all.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        all.truncate(n);
        all
    }
}

/// The producer of a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tool {
    /// Always `assay`.
    pub name: String,
    /// The assay version.
    pub version: String,
}

impl Report {
    /// An empty report for `artifact`, produced by assay `version`.
    pub fn new(artifact: impl Into<String>, version: impl Into<String>) -> Self {
        Report {
            schema_version: SCHEMA_VERSION.to_string(),
            tool: Tool {
                name: "assay".to_string(),
                version: version.into(),
            },
            created_at: None,
            artifact: artifact.into(),
            targets: Vec::new(),
            findings: Vec::new(),
            suppressed: Vec::new(),
            filtered_out: 0,
            rules: BTreeMap::new(),
            errors: Vec::new(),
            license_summary: BTreeMap::new(),
        }
    }

    /// Sorts and deduplicates every list so that output does not depend on scan order.
    pub fn normalize(&mut self) {
        self.targets.sort();
        self.targets.dedup();
        for list in [&mut self.findings, &mut self.suppressed] {
            list.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
            list.dedup_by(|a, b| a.id == b.id && a.location == b.location);
        }
        self.errors.sort();
        self.errors.dedup();
    }

    /// Number of findings per severity, most severe first, every severity present.
    pub fn counts_by_severity(&self) -> Vec<(Severity, usize)> {
        Severity::ALL_DESCENDING
            .iter()
            .map(|s| {
                (
                    *s,
                    self.findings.iter().filter(|f| f.severity == *s).count(),
                )
            })
            .collect()
    }

    /// Number of findings per kind, only the kinds that occur.
    pub fn counts_by_kind(&self) -> Vec<(FindingKind, usize)> {
        FindingKind::ALL
            .iter()
            .map(|k| (*k, self.findings.iter().filter(|f| f.kind == *k).count()))
            .filter(|(_, n)| *n > 0)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn license_summary_is_absent_from_json_when_empty_and_ordered_when_shown() {
        let mut report = Report::new("x", "0.1.0");
        let json = serde_json::to_string(&report).unwrap();
        assert!(!json.contains("license_summary"), "{json}");

        let summary = LicenseSummary {
            packages: 6,
            categories: BTreeMap::from([
                ("unknown".to_string(), 1),
                ("strong-copyleft".to_string(), 2),
                ("permissive".to_string(), 2),
            ]),
            licenses: BTreeMap::from([
                ("MIT".to_string(), 2),
                ("GPL-2.0-only".to_string(), 2),
                ("BSD".to_string(), 1),
            ]),
            without_license: 1,
        };
        assert_eq!(
            summary.categories_in_order(),
            [("permissive", 2), ("strong-copyleft", 2), ("unknown", 1)]
        );
        assert_eq!(summary.top(2), [("GPL-2.0-only", 2), ("MIT", 2)]);
        report.license_summary.insert("img".into(), summary.clone());
        let back: Report = serde_json::from_str(&serde_json::to_string(&report).unwrap()).unwrap();
        assert_eq!(back.license_summary["img"], summary);
    }
}

//! The compiled form of one OSV `affected` entry: what a lookup returns.
//!
//! An OSV record is split per affected package, keeping only what matching and reporting use:
//! ranges reduced to typed events, CVSS vectors already scored, the source's severity label,
//! a one-line summary, fixed versions and reference URLs. `details`, credits and
//! source-specific blobs stay out of the database: they are most of a record's bytes and a
//! scan never shows them.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::name::{ecosystem_base, package_key};
use super::severity::{CvssScore, Severity};
use crate::osv::model::{self, Vulnerability};
use crate::version::Event;

/// Longest summary kept, in characters; a summary is a title, not the details.
const MAX_SUMMARY_CHARS: usize = 200;

/// One vulnerability as it affects one package of one ecosystem (release).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Advisory {
    /// The record's own id.
    pub id: String,
    /// Its aliases (sorted, without the id).
    pub aliases: Vec<String>,
    /// The record's `modified` time, as published.
    pub modified: String,
    /// The ecosystem, with its release when the record names one (`Debian:12`).
    pub ecosystem: String,
    /// The package name as the record spells it.
    pub package: String,
    /// `ECOSYSTEM` and `SEMVER` ranges (`GIT` ranges are dropped at import).
    pub ranges: Vec<AffectedRange>,
    /// Versions listed one by one.
    pub versions: Vec<String>,
    /// CVSS vectors with their scores.
    pub cvss: Vec<CvssScore>,
    /// The source's own severity label (`MODERATE`, `low`, ...), if any.
    pub label: Option<String>,
    /// One-line summary (the record's summary, else the first line of its details).
    /// Stored once per vulnerability ([`Details`]), not per package.
    #[serde(skip)]
    pub summary: String,
    /// Every `fixed` version of the ranges, in record order.
    pub fixed: Vec<String>,
    /// Reference URLs. Stored once per vulnerability ([`Details`]), not per package.
    #[serde(skip)]
    pub references: Vec<String>,
}

/// What a vulnerability says whatever the package: stored once per id.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Details {
    /// One-line summary.
    pub summary: String,
    /// Reference URLs.
    pub references: Vec<String>,
}

/// A version range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AffectedRange {
    /// How its versions are ordered.
    pub kind: RangeKind,
    /// Its events, in record order.
    pub events: Vec<AffectedEvent>,
}

/// How a range's versions are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RangeKind {
    /// `ECOSYSTEM`: the ecosystem's own ordering.
    Ecosystem,
    /// `SEMVER`: SemVer 2.0 precedence.
    Semver,
}

impl RangeKind {
    /// The OSV name.
    pub fn as_str(self) -> &'static str {
        match self {
            RangeKind::Ecosystem => "ECOSYSTEM",
            RangeKind::Semver => "SEMVER",
        }
    }
}

/// One range event (the serialisable twin of [`Event`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AffectedEvent {
    /// `introduced`.
    Introduced(String),
    /// `fixed`.
    Fixed(String),
    /// `last_affected`.
    LastAffected(String),
    /// `limit`.
    Limit(String),
}

impl AffectedEvent {
    /// As the range evaluator's [`Event`].
    pub fn to_event(&self) -> Event {
        match self {
            AffectedEvent::Introduced(v) => Event::Introduced(v.clone()),
            AffectedEvent::Fixed(v) => Event::Fixed(v.clone()),
            AffectedEvent::LastAffected(v) => Event::LastAffected(v.clone()),
            AffectedEvent::Limit(v) => Event::Limit(v.clone()),
        }
    }
}

impl std::fmt::Display for AffectedEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AffectedEvent::Introduced(v) => write!(f, "introduced {v}"),
            AffectedEvent::Fixed(v) => write!(f, "fixed {v}"),
            AffectedEvent::LastAffected(v) => write!(f, "last_affected {v}"),
            AffectedEvent::Limit(v) => write!(f, "limit {v}"),
        }
    }
}

impl Advisory {
    /// The id a finding is shown under: the first CVE among the id and aliases, else the id.
    pub fn primary_id(&self) -> &str {
        std::iter::once(&self.id)
            .chain(&self.aliases)
            .find(|id| id.starts_with("CVE-"))
            .unwrap_or(&self.id)
    }

    /// The id and every alias.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.id.as_str()).chain(self.aliases.iter().map(String::as_str))
    }

    /// This advisory's severity (see [`Severity::pick`]).
    pub fn severity(&self) -> Severity {
        Severity::pick(&self.cvss, self.label.as_deref())
    }

    /// Splits an OSV record into one advisory per affected package, each with its key.
    ///
    /// Entries without a package, or with neither ranges nor versions left after import
    /// (only `GIT` ranges), affect nothing assay can match and are left out. Several entries
    /// for the same package and ecosystem are merged into one advisory.
    pub fn from_osv(record: &Vulnerability) -> Vec<(String, Advisory)> {
        let mut aliases: Vec<String> = record
            .aliases
            .iter()
            .filter(|a| **a != record.id)
            .cloned()
            .collect();
        aliases.sort();
        aliases.dedup();
        let summary = summary(record);
        let references: Vec<String> = record.references.iter().map(|r| r.url.clone()).collect();
        let record_label = label_of(record.database_specific.as_ref());

        let mut out: Vec<(String, Advisory)> = Vec::new();
        for affected in &record.affected {
            let Some(package) = &affected.package else {
                continue;
            };
            let ranges: Vec<AffectedRange> =
                affected.ranges.iter().filter_map(compile_range).collect();
            if ranges.is_empty() && affected.versions.is_empty() {
                continue;
            }
            let severities = if affected.severity.is_empty() {
                &record.severity
            } else {
                &affected.severity
            };
            let cvss: Vec<CvssScore> = severities
                .iter()
                .filter_map(|s| CvssScore::from_osv(&s.kind, &s.score))
                .collect();
            let label = label_of(affected.ecosystem_specific.as_ref())
                .or_else(|| label_of(affected.database_specific.as_ref()))
                .or_else(|| record_label.clone())
                .or_else(|| {
                    severities
                        .iter()
                        .find(|s| s.kind == "Ubuntu")
                        .map(|s| s.score.clone())
                });
            let fixed: Vec<String> = ranges
                .iter()
                .flat_map(|r| &r.events)
                .filter_map(|e| match e {
                    AffectedEvent::Fixed(v) => Some(v.clone()),
                    _ => None,
                })
                .collect();
            let ecosystem = package.ecosystem.trim().to_owned();
            let key = package_key(&ecosystem, &package.name);
            if let Some((_, existing)) = out
                .iter_mut()
                .find(|(k, a)| *k == key && a.ecosystem == ecosystem)
            {
                existing.ranges.extend(ranges);
                existing.versions.extend(affected.versions.iter().cloned());
                existing.fixed.extend(fixed);
                continue;
            }
            out.push((
                key,
                Advisory {
                    id: record.id.clone(),
                    aliases: aliases.clone(),
                    modified: record.modified.clone(),
                    ecosystem,
                    package: package.name.trim().to_owned(),
                    ranges,
                    versions: affected.versions.clone(),
                    cvss,
                    label,
                    summary: summary.clone(),
                    fixed,
                    references: references.clone(),
                },
            ));
        }
        out
    }

    /// The ecosystem without release (`Debian` for `Debian:12`).
    pub fn ecosystem_base(&self) -> &str {
        ecosystem_base(&self.ecosystem)
    }
}

/// A range assay evaluates; `None` for other types (`GIT`, unknown future ones).
fn compile_range(range: &model::Range) -> Option<AffectedRange> {
    let kind = match range.kind.as_str() {
        "ECOSYSTEM" => RangeKind::Ecosystem,
        "SEMVER" => RangeKind::Semver,
        _ => return None,
    };
    let events = range
        .events
        .iter()
        .flat_map(|e| {
            [
                e.introduced.clone().map(AffectedEvent::Introduced),
                e.fixed.clone().map(AffectedEvent::Fixed),
                e.last_affected.clone().map(AffectedEvent::LastAffected),
                e.limit.clone().map(AffectedEvent::Limit),
            ]
        })
        .flatten()
        .collect();
    Some(AffectedRange { kind, events })
}

/// The record's summary, else the first non-empty line of its details, cut to a title.
fn summary(record: &Vulnerability) -> String {
    let text = record
        .summary
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .or_else(|| {
            record
                .details
                .as_deref()
                .and_then(|d| d.lines().find(|l| !l.trim().is_empty()))
        })
        .unwrap_or("");
    let text = text.trim();
    if text.chars().count() <= MAX_SUMMARY_CHARS {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(MAX_SUMMARY_CHARS - 3).collect();
    cut.push_str("...");
    cut
}

/// A severity label in a source-specific object: `severity` (GitHub, Red Hat) or `urgency`
/// (Debian), as a string.
fn label_of(value: Option<&Value>) -> Option<String> {
    let object = value?.as_object()?;
    ["severity", "urgency"]
        .iter()
        .filter_map(|k| object.get(*k)?.as_str())
        .map(str::trim)
        .find(|s| !s.is_empty())
        .map(str::to_owned)
}

//! The OSV schema as serde types.
//!
//! Only the fields assay uses are typed; everything else (`credits`, `schema_version`,
//! source-specific keys) is ignored, so records written for newer schema versions still read.
//! Free-form objects (`database_specific`, `ecosystem_specific`) stay [`serde_json::Value`]:
//! their shape differs per source, and the few keys assay reads are looked up by name.

use serde::Deserialize;
use serde_json::Value;

/// One OSV record: a vulnerability and the packages it affects.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Vulnerability {
    /// The record's id (`GHSA-...`, `PYSEC-...`, `DSA-...`, `CVE-...`).
    pub id: String,
    /// When the record last changed (RFC 3339); used to keep the newest of duplicate ids.
    #[serde(default)]
    pub modified: String,
    /// When the record was first published.
    #[serde(default)]
    pub published: Option<String>,
    /// Set when the record was retracted: withdrawn records are not imported.
    #[serde(default)]
    pub withdrawn: Option<String>,
    /// Other ids of the same vulnerability; merged so one vulnerability is one finding.
    #[serde(default, deserialize_with = "null_as_default")]
    pub aliases: Vec<String>,
    /// Ids of related but different vulnerabilities (not merged).
    #[serde(default, deserialize_with = "null_as_default")]
    pub related: Vec<String>,
    /// One-line summary.
    #[serde(default)]
    pub summary: Option<String>,
    /// Long description (Markdown).
    #[serde(default)]
    pub details: Option<String>,
    /// Severity scores of the whole record (CVSS vectors, Ubuntu priorities).
    #[serde(default, deserialize_with = "null_as_default")]
    pub severity: Vec<Severity>,
    /// The affected packages and versions.
    #[serde(default, deserialize_with = "null_as_default")]
    pub affected: Vec<Affected>,
    /// Links: advisories, fixes, reports.
    #[serde(default, deserialize_with = "null_as_default")]
    pub references: Vec<Reference>,
    /// Source-specific data; GitHub puts its `severity` label here.
    #[serde(default)]
    pub database_specific: Option<Value>,
}

/// A severity score: `type` names the system, `score` is its vector or label.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Severity {
    /// `CVSS_V2`, `CVSS_V3`, `CVSS_V4` or `Ubuntu`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The vector (`CVSS:3.1/AV:N/...`) or, for `Ubuntu`, the priority word.
    pub score: String,
}

/// One affected package with its version ranges.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Affected {
    /// Which package. Optional in the schema (records about a whole product have none).
    #[serde(default)]
    pub package: Option<Package>,
    /// Severity for this package only, overriding the record's.
    #[serde(default, deserialize_with = "null_as_default")]
    pub severity: Vec<Severity>,
    /// Version ranges.
    #[serde(default, deserialize_with = "null_as_default")]
    pub ranges: Vec<Range>,
    /// Affected versions listed one by one.
    #[serde(default, deserialize_with = "null_as_default")]
    pub versions: Vec<String>,
    /// Ecosystem-specific data; Debian and Ubuntu put an urgency/severity here.
    #[serde(default)]
    pub ecosystem_specific: Option<Value>,
    /// Source-specific data for this package.
    #[serde(default)]
    pub database_specific: Option<Value>,
}

/// A package: ecosystem and name, as the ecosystem spells them.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Package {
    /// OSV ecosystem, with an optional release suffix (`PyPI`, `Debian:12`, `Alpine:v3.19`).
    pub ecosystem: String,
    /// Package name (source package for Linux distributions).
    pub name: String,
    /// Package URL, when given.
    #[serde(default)]
    pub purl: Option<String>,
}

/// A version range.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Range {
    /// `ECOSYSTEM`, `SEMVER` or `GIT`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Repository URL (GIT ranges).
    #[serde(default)]
    pub repo: Option<String>,
    /// The events, in any order.
    #[serde(default, deserialize_with = "null_as_default")]
    pub events: Vec<RangeEvent>,
}

/// One range event: exactly one of the four keys is set in valid records.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
pub struct RangeEvent {
    /// First affected version (`"0"`: from the beginning).
    #[serde(default)]
    pub introduced: Option<String>,
    /// First version no longer affected.
    #[serde(default)]
    pub fixed: Option<String>,
    /// Last affected version.
    #[serde(default)]
    pub last_affected: Option<String>,
    /// Exclusive upper bound of the whole range.
    #[serde(default)]
    pub limit: Option<String>,
}

/// A link about the vulnerability.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Reference {
    /// `ADVISORY`, `FIX`, `WEB`, `REPORT`, `PACKAGE`, ...
    #[serde(rename = "type", default)]
    pub kind: String,
    /// The URL.
    pub url: String,
}

/// Reads `null` as the default value: some sources write `"aliases": null`.
fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

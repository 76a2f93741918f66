//! `.assayignore`: findings the team has accepted, with a reason and an optional expiry.
//!
//! Two shapes are read. YAML, for scoped entries:
//!
//! ```yaml
//! ignore:
//!   - id: ASSAY-DF-002
//!     path: "services/legacy/**"     # optional glob on the finding's file
//!     package: openssl               # optional package name (vulnerabilities)
//!     expires: 2027-03-31            # optional; after this day the entry stops suppressing
//!     reason: base image migration tracked in OPS-142
//! ```
//!
//! and Trivy's line shape, so `.trivyignore` files can be renamed and kept:
//! `CVE-2023-1234 exp:2027-01-31  # reason`.

use std::path::Path;

use assay_core::{Finding, Suppression};
use globset::{Glob, GlobMatcher};
use jiff::civil::Date;
use serde::Deserialize;

/// One accepted finding pattern.
#[derive(Debug, Clone)]
pub struct IgnoreEntry {
    /// Rule or advisory id (`*` for any).
    pub id: String,
    path: Option<GlobMatcher>,
    package: Option<String>,
    /// Last day the entry suppresses.
    pub expires: Option<Date>,
    reason: Option<String>,
    /// `file:line` of the entry.
    pub source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct YamlFile {
    #[serde(default)]
    ignore: Vec<YamlEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct YamlEntry {
    id: String,
    path: Option<String>,
    package: Option<String>,
    expires: Option<String>,
    reason: Option<String>,
}

/// The parsed file plus the warnings about expired entries.
#[derive(Debug, Default)]
pub struct IgnoreFile {
    entries: Vec<IgnoreEntry>,
}

fn parse_date(text: &str, source: &str) -> Result<Date, String> {
    text.trim()
        .parse::<Date>()
        .map_err(|_| format!("{source}: expiry {text:?} is not a YYYY-MM-DD date"))
}

fn glob(pattern: &str, source: &str) -> Result<GlobMatcher, String> {
    Glob::new(pattern)
        .map(|g| g.compile_matcher())
        .map_err(|e| format!("{source}: bad path pattern {pattern:?}: {e}"))
}

impl IgnoreFile {
    /// Reads `path`; a missing file is an empty list only when `required` is false.
    pub fn load(path: &Path, required: bool) -> Result<IgnoreFile, String> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => {
                return Ok(IgnoreFile::default());
            }
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        IgnoreFile::parse(&path.display().to_string(), &text)
    }

    /// Parses either shape; `name` is used in messages.
    pub fn parse(name: &str, text: &str) -> Result<IgnoreFile, String> {
        let is_yaml = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with('#'))
            .is_some_and(|l| l.starts_with("ignore:"));
        if is_yaml {
            Self::parse_yaml(name, text)
        } else {
            Self::parse_lines(name, text)
        }
    }

    fn parse_yaml(name: &str, text: &str) -> Result<IgnoreFile, String> {
        let file: YamlFile = yaml_serde::from_str(text).map_err(|e| match e.location() {
            Some(loc) => format!("{name}:{}: {e}", loc.line()),
            None => format!("{name}: {e}"),
        })?;
        let mut entries = Vec::new();
        for (i, e) in file.ignore.into_iter().enumerate() {
            // Entries are listed in order; report their position as the entry number since
            // the YAML parser gives no per-item line.
            let source = format!("{name}: entry {}", i + 1);
            entries.push(IgnoreEntry {
                id: e.id,
                path: e.path.as_deref().map(|p| glob(p, &source)).transpose()?,
                package: e.package,
                expires: e
                    .expires
                    .as_deref()
                    .map(|d| parse_date(d, &source))
                    .transpose()?,
                reason: e.reason,
                source,
            });
        }
        Ok(IgnoreFile { entries })
    }

    fn parse_lines(name: &str, text: &str) -> Result<IgnoreFile, String> {
        let mut entries = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let source = format!("{name}:{}", i + 1);
            let (body, comment) = match raw.split_once('#') {
                Some((b, c)) => (
                    b.trim(),
                    Some(c.trim().to_string()).filter(|c| !c.is_empty()),
                ),
                None => (raw.trim(), None),
            };
            let mut words = body.split_whitespace();
            let Some(id) = words.next() else { continue };
            let mut entry = IgnoreEntry {
                id: id.to_string(),
                path: None,
                package: None,
                expires: None,
                reason: comment,
                source: source.clone(),
            };
            for word in words {
                if let Some(d) = word.strip_prefix("exp:") {
                    entry.expires = Some(parse_date(d, &source)?);
                } else if let Some(p) = word.strip_prefix("path:") {
                    entry.path = Some(glob(p, &source)?);
                } else if let Some(p) = word.strip_prefix("package:") {
                    entry.package = Some(p.to_string());
                } else {
                    return Err(format!(
                        "{source}: unexpected {word:?} (expected exp:DATE, path:GLOB or package:NAME)"
                    ));
                }
            }
            entries.push(entry);
        }
        Ok(IgnoreFile { entries })
    }

    /// Entries whose expiry is before `today`: they no longer suppress.
    pub fn expired(&self, today: Date) -> impl Iterator<Item = &IgnoreEntry> {
        self.entries
            .iter()
            .filter(move |e| e.expires.is_some_and(|d| d < today))
    }

    /// The suppression for `finding`, if a live entry matches it.
    pub fn suppression_for(&self, finding: &Finding, today: Date) -> Option<Suppression> {
        self.entries
            .iter()
            .filter(|e| e.expires.is_none_or(|d| d >= today))
            .find(|e| {
                (e.id == "*" || e.id == finding.rule_id)
                    && e.path
                        .as_ref()
                        .is_none_or(|g| g.is_match(&finding.location.path))
                    && e.package
                        .as_ref()
                        .is_none_or(|p| finding.package.as_ref().is_some_and(|fp| &fp.name == p))
            })
            .map(|e| Suppression {
                kind: "assayignore".to_string(),
                reason: e.reason.clone(),
                source: Some(e.source.clone()),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use assay_core::{FindingKind, Location, Severity};

    fn finding(id: &str, path: &str) -> Finding {
        Finding::new(
            FindingKind::Misconfig,
            id,
            Severity::High,
            "t",
            "m",
            path,
            Location::lines(path, 1, 1),
            "",
        )
    }

    fn day(s: &str) -> Date {
        s.parse().unwrap_or_default()
    }

    #[test]
    fn yaml_entries_scope_by_path_and_expire() {
        let file = IgnoreFile::parse(
            ".assayignore",
            "ignore:\n  - id: ASSAY-DF-001\n    path: \"legacy/**\"\n    expires: 2026-12-31\n    reason: migrating\n",
        )
        .unwrap_or_default();
        let hit = finding("ASSAY-DF-001", "legacy/Dockerfile");
        let other = finding("ASSAY-DF-001", "app/Dockerfile");
        assert!(file.suppression_for(&hit, day("2026-12-31")).is_some());
        assert!(file.suppression_for(&other, day("2026-12-31")).is_none());
        assert!(file.suppression_for(&hit, day("2027-01-01")).is_none());
        assert_eq!(file.expired(day("2027-01-01")).count(), 1);
    }

    #[test]
    fn trivy_line_shape_is_read() {
        let file = IgnoreFile::parse("x", "# accepted\nASSAY-DF-002 exp:2030-01-01 # known\n")
            .unwrap_or_default();
        let s = file.suppression_for(&finding("ASSAY-DF-002", "Dockerfile"), day("2026-01-01"));
        assert_eq!(s.and_then(|s| s.reason), Some("known".to_string()));
    }

    #[test]
    fn bad_dates_name_the_line() {
        let err = IgnoreFile::parse("f", "A\nB exp:tomorrow\n")
            .err()
            .unwrap_or_default();
        assert!(err.starts_with("f:2: "), "{err}");
    }
}

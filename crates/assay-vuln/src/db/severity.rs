//! Severity: CVSS vectors scored at build time, ecosystem labels, and the bands between them.
//!
//! Vectors are scored when the database is built (the `cvss` crate, RustSec's maintained
//! implementation of v2, v3.x and v4), so a scan reads a number and never parses a vector.
//! A record's severity is, in order: its CVSS v3.x score (what NVD and the other scanners
//! report, so assay's levels agree with theirs), else its v4 score, else its v2 score, else the
//! source's own label (GitHub's `MODERATE`, Debian's urgency, Ubuntu's priority), else unknown.

use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A severity level, ordered from least to most severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Level {
    /// Neither a score nor a label was published.
    Unknown,
    /// CVSS 0.1-3.9 (and 0.0), or the source says low, negligible or unimportant.
    Low,
    /// CVSS 4.0-6.9, or the source says medium or moderate.
    Medium,
    /// CVSS 7.0-8.9 (v2: 7.0-10.0), or the source says high or important.
    High,
    /// CVSS 9.0-10.0 (v3 and v4), or the source says critical.
    Critical,
}

impl Level {
    /// The upper-case name reports use: `CRITICAL`, `HIGH`, `MEDIUM`, `LOW`, `UNKNOWN`.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Unknown => "UNKNOWN",
            Level::Low => "LOW",
            Level::Medium => "MEDIUM",
            Level::High => "HIGH",
            Level::Critical => "CRITICAL",
        }
    }

    /// The level a source's own label means, if it is one assay knows.
    ///
    /// GitHub: `LOW`/`MODERATE`/`HIGH`/`CRITICAL`; Debian urgency: `unimportant`, `low`,
    /// `medium`, `high`; Ubuntu priority: `negligible` .. `critical`; Red Hat: `important`.
    pub fn from_label(label: &str) -> Option<Level> {
        let level = match label.trim().to_ascii_lowercase().as_str() {
            "critical" => Level::Critical,
            "high" | "important" => Level::High,
            "medium" | "moderate" => Level::Medium,
            "low" | "negligible" | "unimportant" => Level::Low,
            _ => return None,
        };
        Some(level)
    }

    /// The CVSS qualitative band of `score` for a vector of `version` (2, 3 or 4).
    pub fn from_cvss(version: u8, score: f64) -> Level {
        if version == 2 {
            // CVSS v2 (NVD) has three bands: 0-3.9 low, 4-6.9 medium, 7-10 high.
            return match score {
                s if s >= 7.0 => Level::High,
                s if s >= 4.0 => Level::Medium,
                _ => Level::Low,
            };
        }
        match score {
            s if s >= 9.0 => Level::Critical,
            s if s >= 7.0 => Level::High,
            s if s >= 4.0 => Level::Medium,
            _ => Level::Low,
        }
    }
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A CVSS vector with the base score computed from it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CvssScore {
    /// Major version: 2, 3 or 4.
    pub version: u8,
    /// The vector as published.
    pub vector: String,
    /// The base score, 0.0-10.0.
    pub score: f64,
}

impl CvssScore {
    /// Scores an OSV severity entry (`type` `CVSS_V2`/`CVSS_V3`/`CVSS_V4`); `None` for other
    /// types and for vectors that do not parse (a bad vector must not fail a whole build).
    pub fn from_osv(kind: &str, vector: &str) -> Option<CvssScore> {
        let (version, score) = match kind {
            "CVSS_V2" => {
                let v = cvss::v2::Vector::from_str(vector.trim()).ok()?;
                (2, v.score().value())
            }
            "CVSS_V3" | "CVSS_V4" => {
                let v = cvss::Cvss::from_str(vector.trim()).ok()?;
                let version = if kind == "CVSS_V3" { 3 } else { 4 };
                (version, v.score())
            }
            _ => return None,
        };
        if !(0.0..=10.0).contains(&score) {
            return None;
        }
        Some(CvssScore {
            version,
            vector: vector.trim().to_owned(),
            score,
        })
    }

    /// This score's qualitative band.
    pub fn level(&self) -> Level {
        Level::from_cvss(self.version, self.score)
    }
}

/// The severity of one match, and where it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Severity {
    /// The level.
    pub level: Level,
    /// The CVSS score it came from, if any.
    pub cvss: Option<CvssScore>,
    /// The source's label it came from, when there was no usable CVSS score.
    pub label: Option<String>,
}

impl Severity {
    /// The severity of a record with these scores and label (see the module docs for the order).
    pub fn pick(scores: &[CvssScore], label: Option<&str>) -> Severity {
        for version in [3, 4, 2] {
            let best = scores
                .iter()
                .filter(|s| s.version == version)
                .max_by(|a, b| a.score.total_cmp(&b.score));
            if let Some(best) = best {
                return Severity {
                    level: best.level(),
                    cvss: Some(best.clone()),
                    label: None,
                };
            }
        }
        if let Some(label) = label
            && let Some(level) = Level::from_label(label)
        {
            return Severity {
                level,
                cvss: None,
                label: Some(label.to_owned()),
            };
        }
        Severity {
            level: Level::Unknown,
            cvss: None,
            label: None,
        }
    }

    /// A rank to choose the most informative of several severities: CVSS first, then label.
    pub(crate) fn rank(&self) -> (u8, Level, u64) {
        let source = match (&self.cvss, &self.label) {
            (Some(_), _) => 2,
            (None, Some(_)) => 1,
            (None, None) => 0,
        };
        // Scores are 0.0-10.0 with one decimal: scaled they compare as integers.
        let score = self
            .cvss
            .as_ref()
            .map_or(0, |c| (c.score * 10.0).round() as u64);
        (source, self.level, score)
    }
}

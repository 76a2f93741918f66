//! Report formats: every output assay writes about a scan comes from one [`Report`] through
//! [`render`], so the formats cannot disagree about what was found.
//!
//! Each format lives in its own module under `formats/` and only reads the report; none of
//! them prints. Deterministic output is the rule: the report is sorted before it gets here and
//! the only time that appears (GitLab's required scan times) comes from the caller.
#![deny(missing_docs)]

use std::fmt;
use std::str::FromStr;

use assay_core::Report;

pub mod formats;
pub mod sbom;

pub use formats::gitlab::GitlabReportType;

/// An output format the user can ask for with `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Human-readable, grouped by target.
    Table,
    /// assay's own JSON (docs/json-format.md).
    Json,
    /// SARIF 2.1.0 for GitHub code scanning.
    Sarif,
    /// JUnit XML for Jenkins and GitLab test reports.
    Junit,
    /// GitLab security report; `None` picks the type from the report's targets.
    Gitlab(Option<GitlabReportType>),
    /// Markdown summary for `$GITHUB_STEP_SUMMARY` and pull-request comments.
    Markdown,
    /// A user's minijinja template (`--template F`).
    Template,
}

impl Format {
    /// Every name `--format` accepts.
    pub const NAMES: &'static [&'static str] = &[
        "table",
        "json",
        "sarif",
        "junit",
        "gitlab",
        "gitlab-sast",
        "gitlab-container-scanning",
        "gitlab-dependency-scanning",
        "markdown",
        "template",
    ];
}

/// A `--format` value that is not one of [`Format::NAMES`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown format {0:?} (expected one of: {names})", names = Format::NAMES.join(", "))]
pub struct ParseFormatError(pub String);

impl FromStr for Format {
    type Err = ParseFormatError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "table" => Format::Table,
            "json" => Format::Json,
            "sarif" => Format::Sarif,
            "junit" => Format::Junit,
            "gitlab" => Format::Gitlab(None),
            "gitlab-sast" => Format::Gitlab(Some(GitlabReportType::Sast)),
            "gitlab-container-scanning" => {
                Format::Gitlab(Some(GitlabReportType::ContainerScanning))
            }
            "gitlab-dependency-scanning" => {
                Format::Gitlab(Some(GitlabReportType::DependencyScanning))
            }
            "markdown" | "md" => Format::Markdown,
            "template" => Format::Template,
            other => return Err(ParseFormatError(other.to_string())),
        })
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Format::Table => "table",
            Format::Json => "json",
            Format::Sarif => "sarif",
            Format::Junit => "junit",
            Format::Gitlab(None) => "gitlab",
            Format::Gitlab(Some(t)) => return write!(f, "gitlab-{}", t.as_str().replace('_', "-")),
            Format::Markdown => "markdown",
            Format::Template => "template",
        };
        f.write_str(name)
    }
}

/// What a format needs besides the report.
#[derive(Debug, Clone, Default)]
pub struct RenderOptions {
    /// ANSI colours in the table (the CLI sets it only on a TTY without `NO_COLOR`).
    pub color: bool,
    /// The template source for [`Format::Template`], with its file name for error messages.
    pub template: Option<(String, String)>,
    /// Scan start and end as Unix seconds, for formats that must carry a time (GitLab).
    /// The CLI takes them from `SOURCE_DATE_EPOCH` when set.
    pub scan_time: (i64, i64),
}

/// A report could not be written in the asked format.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// `--format template` without `--template`.
    #[error("--format template needs --template FILE")]
    MissingTemplate,
    /// The template failed to parse or render; names the file and line.
    #[error("{0}")]
    Template(String),
    /// Serialisation failed (should not happen for well-formed reports).
    #[error("cannot serialise the report: {0}")]
    Serialize(String),
}

/// Writes `report` in `format`.
pub fn render(
    report: &Report,
    format: Format,
    options: &RenderOptions,
) -> Result<Vec<u8>, RenderError> {
    match format {
        Format::Table => Ok(formats::table::render(report, options.color).into_bytes()),
        Format::Json => formats::json::render(report),
        Format::Sarif => formats::sarif::render(report),
        Format::Junit => Ok(formats::junit::render(report).into_bytes()),
        Format::Gitlab(kind) => formats::gitlab::render(report, kind, options.scan_time),
        Format::Markdown => Ok(formats::markdown::render(report).into_bytes()),
        Format::Template => {
            let (name, source) = options
                .template
                .as_ref()
                .ok_or(RenderError::MissingTemplate)?;
            formats::template::render(report, name, source).map(String::into_bytes)
        }
    }
}

//! The compiled vulnerability database: built once from OSV, opened fast at scan time.
//!
//! `assay db build` imports OSV sources ([`crate::osv`]), splits every record per affected
//! package ([`Advisory`]), and writes one file ([`file`](mod@file) describes the layout) keyed by
//! ecosystem and normalised package name ([`name`]). A scan opens the file (header, metadata
//! and index only) and looks packages up one by one; [`matches`](fn@matches) evaluates the ranges with
//! [`crate::version`] and merges aliases so one vulnerability of one package is one match.
//!
//! The file carries a schema version ([`SCHEMA_VERSION`]): a file written by another assay is
//! refused with a message saying to rebuild it, never misread.

mod advisory;
mod build;
pub mod distribution;
pub mod file;
mod matching;
pub mod name;
pub mod severity;

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use advisory::{Advisory, AffectedEvent, AffectedRange, Details, RangeKind};
pub use build::{BuildSummary, build, build_at, build_labeled, build_labeled_at};
pub use file::SCHEMA_VERSION;
pub use matching::{Match, matches};
pub use severity::{CvssScore, Level, Severity};

use crate::osv::ImportError;
use crate::version::VersionError;

/// Why a database could not be built, opened or read. Each names the file.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// A source could not be imported.
    #[error(transparent)]
    Import(#[from] ImportError),
    /// The database file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// The file is not an assay database.
    #[error("{path}: not an assay vulnerability database")]
    NotADatabase {
        /// The file.
        path: PathBuf,
    },
    /// The file was written with another schema.
    #[error(
        "{path}: database schema {found}, this assay reads {expected}: run assay db build/update"
    )]
    Schema {
        /// The file.
        path: PathBuf,
        /// The schema the file has.
        found: u32,
        /// The schema this assay reads.
        expected: u32,
    },
    /// The file is damaged (truncated, or an offset points outside it).
    #[error("{path}: corrupt database ({what}): run assay db build/update")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        what: String,
    },
    /// `SOURCE_DATE_EPOCH` is set but not a number of seconds.
    #[error("SOURCE_DATE_EPOCH={0:?} is not a Unix time in seconds")]
    SourceDateEpoch(String),
    /// An advisory could not be encoded (should not happen: every type is plain data).
    #[error("cannot encode the advisories of {key}: {source}")]
    Encode {
        /// The package key.
        key: String,
        /// The encoder's error.
        source: postcard::Error,
    },
    /// The installed version is not valid for its ecosystem.
    #[error("{ecosystem} package {name}: {source}")]
    InvalidVersion {
        /// The ecosystem asked.
        ecosystem: String,
        /// The package asked.
        name: String,
        /// Why the version was rejected.
        source: VersionError,
    },
}

/// What a database holds and how it was built: `assay db info`.
///
/// Every field comes from the build inputs (and `SOURCE_DATE_EPOCH`), so the same inputs
/// give the same info, byte for byte.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DbInfo {
    /// The file's schema version.
    pub schema_version: u32,
    /// When it was built (RFC 3339, UTC).
    pub build_time: String,
    /// The sources it was built from, in build order.
    pub sources: Vec<SourceInfo>,
    /// Distinct vulnerability records per ecosystem (with release: `Debian:12`).
    pub ecosystems: BTreeMap<String, u64>,
    /// Distinct vulnerability records.
    pub vulnerabilities: u64,
    /// Distinct packages (ecosystem without release, normalised name).
    pub packages: u64,
    /// Records seen more than once (same id in several sources): the newest was kept.
    pub duplicates: u64,
}

/// One build source and what was read from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceInfo {
    /// The path as given to `assay db build`.
    pub path: String,
    /// JSON documents read.
    pub files: u64,
    /// Records imported.
    pub records: u64,
    /// Withdrawn records skipped.
    pub withdrawn: u64,
    /// `GIT` ranges dropped (assay matches versions, not commits).
    pub git_ranges: u64,
}

/// An open database.
#[derive(Debug)]
pub struct Database {
    reader: file::Reader,
    info: DbInfo,
}

impl Database {
    /// Opens a database file: checks the header and schema, reads metadata and index.
    ///
    /// # Errors
    /// [`DbError::Schema`] for a file of another schema, [`DbError::NotADatabase`],
    /// [`DbError::Corrupt`], [`DbError::Io`].
    pub fn open(path: &Path) -> Result<Database, DbError> {
        let reader = file::Reader::open(path)?;
        let info: DbInfo = serde_json::from_slice(reader.meta()).map_err(|e| DbError::Corrupt {
            path: path.to_path_buf(),
            what: format!("metadata: {e}"),
        })?;
        Ok(Database { reader, info })
    }

    /// What the database holds and how it was built.
    pub fn info(&self) -> &DbInfo {
        &self.info
    }

    /// The advisories of a package that apply to `ecosystem`.
    ///
    /// `name` is normalised as its ecosystem does ([`name::normalize_name`]). An ecosystem with
    /// a release (`Debian:12`) gets the records of that release and those without a release
    /// (`Debian`); an ecosystem without one gets only records without one.
    ///
    /// # Errors
    /// [`DbError::Io`] or [`DbError::Corrupt`] if the stored list cannot be read.
    pub fn lookup(&self, ecosystem: &str, name: &str) -> Result<Vec<Advisory>, DbError> {
        let key = name::package_key(ecosystem, name);
        let Some(bytes) = self.reader.get(file::Table::Packages, &key)? else {
            return Ok(Vec::new());
        };
        let advisories: Vec<Advisory> =
            postcard::from_bytes(&bytes).map_err(|e| self.corrupt(&key, e))?;
        let ecosystem = ecosystem.trim();
        let mut out = Vec::new();
        for mut advisory in advisories {
            if !ecosystem_covers(&advisory.ecosystem, ecosystem) {
                continue;
            }
            let details = self.details(&advisory.id)?;
            advisory.summary = details.summary;
            advisory.references = details.references;
            out.push(advisory);
        }
        Ok(out)
    }

    /// The summary and references of a vulnerability (empty if the file has none for it).
    fn details(&self, id: &str) -> Result<Details, DbError> {
        match self.reader.get(file::Table::Vulnerabilities, id)? {
            Some(bytes) => postcard::from_bytes(&bytes).map_err(|e| self.corrupt(id, e)),
            None => Ok(Details::default()),
        }
    }

    fn corrupt(&self, key: &str, error: postcard::Error) -> DbError {
        DbError::Corrupt {
            path: self.reader.path().to_path_buf(),
            what: format!("entry {}: {error}", key.replace('\0', "/")),
        }
    }
}

/// Where the database lives: `$ASSAY_DB`, else `$XDG_CACHE_HOME/assay/db/assay.db`, else
/// `~/.cache/assay/db/assay.db` (the XDG default), else `.cache/...` in the current directory
/// when there is no home.
pub fn default_path() -> PathBuf {
    path_from(
        std::env::var_os("ASSAY_DB"),
        std::env::var_os("XDG_CACHE_HOME"),
        std::env::var_os("HOME"),
    )
}

/// [`default_path`] from given variables (empty ones count as unset, as XDG says).
pub fn path_from(
    assay_db: Option<std::ffi::OsString>,
    xdg_cache_home: Option<std::ffi::OsString>,
    home: Option<std::ffi::OsString>,
) -> PathBuf {
    let set = |v: Option<std::ffi::OsString>| v.filter(|v| !v.is_empty()).map(PathBuf::from);
    if let Some(path) = set(assay_db) {
        return path;
    }
    // XDG: a relative XDG_CACHE_HOME is invalid and must be ignored.
    let cache = set(xdg_cache_home)
        .filter(|p| p.is_absolute())
        .or_else(|| set(home).map(|h| h.join(".cache")))
        .unwrap_or_else(|| PathBuf::from(".cache"));
    cache.join("assay").join("db").join("assay.db")
}

/// Whether an advisory recorded for `advisory` applies to a package of `asked`: the same
/// ecosystem and release, an advisory for the whole ecosystem (`Debian` covers `Debian:12`),
/// or one for a stream of the asked release (OSV's Red Hat records are per product stream:
/// `Red Hat:enterprise_linux:9::appstream` covers `Red Hat:enterprise_linux:9`).
fn ecosystem_covers(advisory: &str, asked: &str) -> bool {
    advisory == asked
        || advisory == name::ecosystem_base(advisory)
        || advisory
            .strip_prefix(asked)
            .is_some_and(|rest| rest.starts_with(':'))
}

#[cfg(test)]
mod ecosystem_tests {
    use super::ecosystem_covers;

    #[test]
    fn release_streams_and_whole_ecosystems_cover_a_release() {
        assert!(ecosystem_covers("Debian:12", "Debian:12"));
        assert!(ecosystem_covers("Debian", "Debian:12"));
        assert!(!ecosystem_covers("Debian:11", "Debian:12"));
        assert!(ecosystem_covers(
            "Red Hat:enterprise_linux:9::appstream",
            "Red Hat:enterprise_linux:9"
        ));
        assert!(!ecosystem_covers(
            "Red Hat:enterprise_linux:8::appstream",
            "Red Hat:enterprise_linux:9"
        ));
        // A prefix that is not a whole release part does not count.
        assert!(!ecosystem_covers("Alpine:v3.20", "Alpine:v3.2"));
    }
}

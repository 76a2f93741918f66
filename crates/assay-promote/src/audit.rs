//! The promotion record: what was promoted, from where to where, under which policy, with
//! every requirement's result and the approvers. It is attached to the promoted image as a
//! signed attestation (its own predicate type) and appended to a JSON-lines audit log.

use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::evaluate::Requirement;

/// Predicate type URI of promotion records: [`crate::PROMOTION_PREDICATE_TYPE`].
pub use crate::PROMOTION_PREDICATE_TYPE as PREDICATE_TYPE;

/// The tool that promoted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tool {
    /// `assay`.
    pub name: String,
    /// Its version.
    pub version: String,
}

/// One promotion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PromotionRecord {
    /// The source as named.
    pub source: String,
    /// The destination as named.
    pub destination: String,
    /// The source digest.
    pub source_digest: String,
    /// The destination digest (equal: digests are preserved).
    pub destination_digest: String,
    /// The policy file.
    pub policy: String,
    /// sha256 of the policy file's bytes.
    pub policy_digest: String,
    /// Every requirement's result.
    pub requirements: Vec<Requirement>,
    /// Release managers whose approval counted.
    pub approvers: Vec<String>,
    /// The promoting tool.
    pub tool: Tool,
    /// When (RFC 3339 UTC).
    pub time: String,
}

/// Appends `record` as one JSON line (one `write` on a file opened for appending, so
/// concurrent promotions do not interleave lines).
pub fn append(log: &Path, record: &PromotionRecord) -> Result<(), Error> {
    let mut line =
        serde_json::to_vec(record).map_err(|e| Error::Input(format!("promotion record: {e}")))?;
    line.push(b'\n');
    let io = |source| Error::Io {
        path: log.to_path_buf(),
        source,
    };
    if let Some(dir) = log.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .map_err(io)?;
    file.write_all(&line).map_err(io)?;
    file.sync_all().map_err(io)
}

/// The records of an audit log about `digest` (all when `None`), oldest first. A line that
/// is not a record is an error naming `file:line`.
pub fn read_log(log: &Path, digest: Option<&str>) -> Result<Vec<PromotionRecord>, Error> {
    let text = std::fs::read_to_string(log).map_err(|source| Error::Io {
        path: log.to_path_buf(),
        source,
    })?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let record: PromotionRecord = serde_json::from_str(line).map_err(|e| {
            Error::Input(format!(
                "{}:{}: not a promotion record: {e}",
                log.display(),
                i + 1
            ))
        })?;
        if digest.is_none_or(|d| record.source_digest == d || record.destination_digest == d) {
            out.push(record);
        }
    }
    Ok(out)
}

//! The `secrets:` section of `assay.yaml`: rules to turn off and allow-list entries by rule,
//! path glob and value hash (the SHA-256 of the exact secret, so the allow-list itself never
//! holds a secret).

use globset::{Glob, GlobMatcher};
use serde::Deserialize;

use super::rule_by_id;
use crate::content::Detection;

/// `secrets:` as written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct SecretsConfig {
    /// Rule ids not to run.
    pub disable: Vec<String>,
    /// Findings to allow; each entry matches when all of its given fields match.
    pub allow: Vec<AllowEntry>,
}

/// One allow-list entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct AllowEntry {
    /// A rule id (`ASSAY-SEC-038`).
    pub rule: Option<String>,
    /// A glob over the path in the image or directory (`app/tests/**`); a leading `/` is
    /// ignored.
    pub path: Option<String>,
    /// Lower-case hex SHA-256 of the secret value (shown in JSON output as `value-sha256`).
    pub value_sha256: Option<String>,
    /// Why it is allowed (shown on the suppressed finding).
    pub reason: Option<String>,
}

/// A `secrets:` section that does not validate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AllowListError {
    /// An unknown rule id.
    #[error("secrets: unknown rule id {0:?}")]
    UnknownRule(String),
    /// A bad glob.
    #[error("secrets: allow[{index}]: path {glob:?}: {why}")]
    BadGlob {
        /// Entry index.
        index: usize,
        /// The glob.
        glob: String,
        /// The parser's reason.
        why: String,
    },
    /// Not a SHA-256.
    #[error("secrets: allow[{index}]: value-sha256 must be 64 hex digits")]
    BadHash {
        /// Entry index.
        index: usize,
    },
    /// An entry with no field to match on would allow everything.
    #[error("secrets: allow[{index}]: give at least one of rule, path, value-sha256")]
    Empty {
        /// Entry index.
        index: usize,
    },
}

/// A validated [`SecretsConfig`].
#[derive(Debug, Clone, Default)]
pub struct AllowList {
    disabled: Vec<String>,
    entries: Vec<(AllowEntry, Option<GlobMatcher>)>,
}

impl AllowList {
    /// Validates `config`: known rule ids, valid globs and hashes.
    pub fn new(config: &SecretsConfig) -> Result<AllowList, AllowListError> {
        for id in &config.disable {
            if rule_by_id(id).is_none() {
                return Err(AllowListError::UnknownRule(id.clone()));
            }
        }
        let mut entries = Vec::new();
        for (index, entry) in config.allow.iter().enumerate() {
            if entry.rule.is_none() && entry.path.is_none() && entry.value_sha256.is_none() {
                return Err(AllowListError::Empty { index });
            }
            if let Some(id) = &entry.rule
                && rule_by_id(id).is_none()
            {
                return Err(AllowListError::UnknownRule(id.clone()));
            }
            if let Some(hash) = &entry.value_sha256
                && (hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()))
            {
                return Err(AllowListError::BadHash { index });
            }
            let glob = entry
                .path
                .as_deref()
                .map(|g| {
                    Glob::new(g.trim_start_matches('/'))
                        .map(|g| g.compile_matcher())
                        .map_err(|e| AllowListError::BadGlob {
                            index,
                            glob: g.to_string(),
                            why: e.kind().to_string(),
                        })
                })
                .transpose()?;
            let mut entry = entry.clone();
            entry.value_sha256 = entry.value_sha256.map(|h| h.to_ascii_lowercase());
            entries.push((entry, glob));
        }
        Ok(AllowList {
            disabled: config.disable.clone(),
            entries,
        })
    }

    /// Whether the rule is turned off.
    pub fn is_disabled(&self, rule_id: &str) -> bool {
        self.disabled.iter().any(|d| d == rule_id)
    }

    /// The index and entry allowing `detection`, if any.
    pub fn allowing(&self, detection: &Detection) -> Option<(usize, &AllowEntry)> {
        let hash = detection.hit.secret.as_ref().map(|s| s.sha256.as_str());
        self.entries
            .iter()
            .enumerate()
            .find(|(_, (entry, glob))| {
                entry
                    .rule
                    .as_deref()
                    .is_none_or(|r| r == detection.hit.rule_id)
                    && glob
                        .as_ref()
                        .is_none_or(|g| g.is_match(detection.path.trim_start_matches('/')))
                    && entry
                        .value_sha256
                        .as_deref()
                        .is_none_or(|h| Some(h) == hash)
            })
            .map(|(i, (entry, _))| (i, entry))
    }
}

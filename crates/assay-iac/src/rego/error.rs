//! What can go wrong with users' policies, each error on one line naming the file and line.
//!
//! regorus reports problems as multi-line diagnostics (`--> file:line:col`, the source line, a
//! caret, `error: message`); [`Diagnostic::from_regorus`] folds them into `file:line:col:
//! message` so that CI logs and `assay` output stay one line per problem.

use std::fmt;

/// An error loading, evaluating or testing Rego policies.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegoError {
    /// A policy directory, policy file or data file could not be read.
    #[error("{path}: {message}")]
    Read {
        /// The file or directory.
        path: String,
        /// What went wrong, lower case.
        message: String,
    },
    /// A policy does not parse or compile (unsafe variables, unknown functions...).
    #[error("{location}: {message}")]
    Policy {
        /// `file:line:col`, or the file alone when regorus gave no position.
        location: String,
        /// What is wrong, lower case.
        message: String,
    },
    /// A data file (`*.json`, `*.yaml`) is not valid or conflicts with another one.
    #[error("{path}: {message}")]
    Data {
        /// The data file.
        path: String,
        /// What is wrong, lower case.
        message: String,
    },
    /// A `# METADATA` annotation block is not valid YAML.
    #[error("{path}:{line}: invalid metadata annotation: {message}")]
    Metadata {
        /// The policy file.
        path: String,
        /// Line of the `# METADATA` comment.
        line: u32,
        /// What is wrong, lower case.
        message: String,
    },
    /// A rule failed while being evaluated (conflicting values, a builtin error...).
    #[error("{file}:{line}: evaluating {rule}: {message}")]
    Eval {
        /// The rule path (`data.main.deny`).
        rule: String,
        /// The file where the rule is declared.
        file: String,
        /// Line of the rule's first declaration.
        line: u32,
        /// What went wrong, lower case, with its own `file:line:col` when regorus gave one.
        message: String,
    },
    /// A rule produced a result assay cannot use (an object without `msg`, an unknown severity).
    #[error("{file}:{line}: {rule}: {message}")]
    Result {
        /// The rule path (`data.main.deny`).
        rule: String,
        /// The file where the rule is declared.
        file: String,
        /// Line of the rule's first declaration.
        line: u32,
        /// What is wrong, lower case.
        message: String,
    },
    /// The input document could not be handed to the engine.
    #[error("{path}: cannot use as policy input: {message}")]
    Input {
        /// The scanned file.
        path: String,
        /// What went wrong, lower case.
        message: String,
    },
}

/// A regorus error taken apart: the position it names, if any, and its message on one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Diagnostic {
    /// `file:line:col` as regorus printed it.
    pub location: Option<String>,
    /// Line named by the location.
    pub line: Option<u32>,
    /// The message, one line, first letter lower case.
    pub message: String,
}

impl Diagnostic {
    /// Folds a regorus error (possibly a multi-line source excerpt) into one line.
    pub fn from_regorus(err: &impl fmt::Display) -> Self {
        Self::from_text(&format!("{err:#}"))
    }

    /// Folds diagnostic text into one line.
    pub fn from_text(text: &str) -> Self {
        let mut location = None;
        let mut message = None;
        let mut other = Vec::new();
        for raw in text.lines() {
            let line = raw.trim();
            if let Some(loc) = line.strip_prefix("--> ") {
                location = Some(loc.trim().to_string());
            } else if let Some(msg) = line.strip_prefix("error: ") {
                message = Some(msg.trim().to_string());
            } else if !line.is_empty() && !line.contains('|') {
                other.push(line.to_string());
            }
        }
        let message = message.unwrap_or_else(|| other.join("; "));
        let line = location.as_deref().and_then(line_of);
        Diagnostic {
            location,
            line,
            message: lower_first(&message),
        }
    }

    /// `location: message`, or the message alone.
    pub fn one_line(&self) -> String {
        match &self.location {
            Some(loc) => format!("{loc}: {}", self.message),
            None => self.message.clone(),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.one_line())
    }
}

/// The line of `file:line:col`.
fn line_of(location: &str) -> Option<u32> {
    let mut parts = location.rsplitn(3, ':');
    let _col = parts.next()?;
    parts.next()?.parse().ok()
}

/// `Failed to parse` -> `failed to parse`, leaving acronyms (`YAML`) and names alone.
pub(crate) fn lower_first(message: &str) -> String {
    let mut chars = message.chars();
    match (chars.next(), chars.next()) {
        (Some(first), Some(second)) if first.is_uppercase() && second.is_lowercase() => first
            .to_lowercase()
            .chain(message.chars().skip(1))
            .collect(),
        _ => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_a_source_excerpt_into_file_line_col_and_message() {
        let text = "\n--> policies/a.rego:3:5\n  |\n3 | deny {\n  |     ^\nerror: `if` keyword is required before rule body";
        let d = Diagnostic::from_text(text);
        assert_eq!(d.location.as_deref(), Some("policies/a.rego:3:5"));
        assert_eq!(d.line, Some(3));
        assert_eq!(
            d.one_line(),
            "policies/a.rego:3:5: `if` keyword is required before rule body"
        );
    }

    #[test]
    fn keeps_plain_messages_and_lowers_their_first_letter() {
        let d = Diagnostic::from_text("Failed to parse YAML");
        assert_eq!(d.location, None);
        assert_eq!(d.one_line(), "failed to parse YAML");
    }
}

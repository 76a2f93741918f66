//! Errors: one file a cataloger could not read (the walk goes on), and a catalog that could
//! not be made at all.

/// A package database or manifest that could not be parsed. The other files are still
/// catalogued; these are reported next to the inventory.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CatalogError {
    /// The file is not UTF-8 text.
    #[error("{path}: not UTF-8 text")]
    NotUtf8 {
        /// The file.
        path: String,
    },
    /// A syntax error at a line.
    #[error("{path}:{line}: {why}")]
    Syntax {
        /// The file.
        path: String,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        why: String,
    },
    /// A JSON document that does not parse or has the wrong shape.
    #[error("{path}: {source}")]
    Json {
        /// The file.
        path: String,
        /// The parser's error (it names the line and column).
        source: serde_json::Error,
    },
    /// A binary database or archive that is not in the format its name promises (an rpmdb
    /// page out of range, a truncated header blob, a zip that does not open).
    #[error("{path}: {why}")]
    Format {
        /// The file.
        path: String,
        /// What is wrong, lowercase, naming the offset or entry where it helps.
        why: String,
    },
    /// A YAML document that does not parse or has the wrong shape.
    #[error("{path}: {source}")]
    Yaml {
        /// The file.
        path: String,
        /// The parser's error (it names the line and column).
        source: yaml_serde::Error,
    },
    /// A TOML document that does not parse or has the wrong shape.
    #[error("{path}: {}", one_line(&source.to_string()))]
    Toml {
        /// The file.
        path: String,
        /// The parser's error.
        source: toml::de::Error,
    },
}

/// Cataloguing an image failed as a whole.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The image could not be walked.
    #[error(transparent)]
    Image(#[from] assay_oci::Error),
}

/// A multi-line parser message (the toml crate's has a source snippet with a caret) as one
/// line: its first line (the position), then its last (what is wrong).
fn one_line(message: &str) -> String {
    let lines: Vec<&str> = message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    match lines.as_slice() {
        [] => String::new(),
        [only] => (*only).to_string(),
        [first, .., last] => format!("{first}: {last}"),
    }
}

/// The content as text, or [`CatalogError::NotUtf8`].
pub(crate) fn text<'a>(path: &str, content: &'a [u8]) -> Result<&'a str, CatalogError> {
    std::str::from_utf8(content).map_err(|_| CatalogError::NotUtf8 {
        path: path.to_string(),
    })
}

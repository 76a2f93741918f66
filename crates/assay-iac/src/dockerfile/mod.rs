//! Dockerfile parsing and rules (being written).

use assay_core::{Finding, Rule};

use crate::{IacOptions, ParseError};

/// The built-in Dockerfile rules.
pub static RULES: &[Rule] = &[];

/// Parses `text` (named `path` in findings) and runs the Dockerfile rules.
pub fn scan(path: &str, text: &str, options: &IacOptions) -> Result<Vec<Finding>, ParseError> {
    let _ = (path, text, options);
    Ok(Vec::new())
}

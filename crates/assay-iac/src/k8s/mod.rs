//! Kubernetes manifest loading and rules (being written).

use assay_core::{Finding, Rule};

use crate::{IacOptions, ParseError};

/// The built-in Kubernetes rules.
pub static RULES: &[Rule] = &[];

/// What scanning one YAML/JSON file gave.
#[derive(Debug, Default)]
pub struct ManifestScan {
    /// Whether the file held at least one Kubernetes object (others are skipped quietly).
    pub is_kubernetes: bool,
    /// Findings of the Kubernetes rules.
    pub findings: Vec<Finding>,
}

/// Loads every document of `text` (named `path` in findings) and runs the Kubernetes rules.
pub fn scan(path: &str, text: &str, options: &IacOptions) -> Result<ManifestScan, ParseError> {
    let _ = (path, text, options);
    Ok(ManifestScan::default())
}

//! Rust: `Cargo.lock` (v1 to v4 share the `[[package]]` shape). Packages without a `source`
//! are the workspace's own crates, not dependencies, and are skipped: matching them by name
//! against crates.io advisories would only produce false positives.

use assay_core::{Package, purl};
use serde::Deserialize;

use crate::error::{CatalogError, text};
use crate::{Cataloger, File, file_name};

/// The `Cargo.lock` cataloger.
#[derive(Debug, Clone, Copy)]
pub struct CargoLock;

#[derive(Deserialize)]
struct Lock {
    #[serde(default)]
    package: Vec<LockPackage>,
}

#[derive(Deserialize)]
struct LockPackage {
    name: String,
    version: String,
    source: Option<String>,
}

impl Cataloger for CargoLock {
    fn name(&self) -> &'static str {
        "cargo-lock"
    }

    fn wants(&self, path: &str) -> bool {
        file_name(path) == "Cargo.lock"
    }

    fn catalog(&self, file: &File<'_>) -> Result<Vec<Package>, CatalogError> {
        let text = text(file.path, file.content)?;
        let lock: Lock = toml::from_str(text).map_err(|source| CatalogError::Toml {
            path: file.path.to_string(),
            source,
        })?;
        Ok(lock
            .package
            .into_iter()
            .filter(|p| p.source.is_some())
            .map(|p| Package {
                purl: purl("cargo", None, &p.name, &p.version, &[]),
                name: p.name,
                version: p.version,
                ecosystem: "crates.io".into(),
                source_name: None,
                source_version: None,
                licenses: Vec::new(),
                layer: file.layer.map(str::to_string),
                path: file.path.to_string(),
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn reads_registry_crates_and_skips_the_workspace_own() {
        let lock = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fixtures/catalog/rust/Cargo.lock"
        ))
        .unwrap();
        let file = File {
            path: "src/app/Cargo.lock",
            content: &lock,
            layer: None,
            distro: None,
        };
        let got: Vec<_> = CargoLock
            .catalog(&file)
            .unwrap()
            .into_iter()
            .map(|p| format!("{} {} {}", p.name, p.ecosystem, p.purl.unwrap_or_default()))
            .collect();
        assert_eq!(
            got,
            [
                "serde crates.io pkg:cargo/serde@1.0.219",
                "smallvec crates.io pkg:cargo/smallvec@1.13.2",
            ]
        );
    }

    #[test]
    fn reports_a_broken_lock_with_its_path() {
        let file = File {
            path: "Cargo.lock",
            content: b"[[package]]\nname = 1\n",
            layer: None,
            distro: None,
        };
        let error = CargoLock.catalog(&file).unwrap_err().to_string();
        assert!(error.starts_with("Cargo.lock: "), "{error}");
    }
}

//! Rust: `Cargo.lock` (v1 to v4 share the `[[package]]` shape) and the dependency list
//! `cargo auditable` embeds in binaries ([`CargoAuditable`]). Packages without a `source`
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

/// Binaries built with `cargo auditable`: a `.dep-v0` ELF section holding zlib-compressed
/// JSON (`{"packages": [{"name", "version", "source", "kind", "root"}]}`). Crates from
/// crates.io that end up in the binary (`kind` runtime, the default) are reported; the root
/// crate, local path crates and build-time dependencies are not.
#[derive(Debug, Clone, Copy)]
pub struct CargoAuditable;

/// The audit data is small; more than this after decompression is not a real section.
const MAX_AUDIT_JSON: u64 = 8 << 20;

#[derive(Deserialize)]
struct Audit {
    packages: Vec<AuditPackage>,
}

#[derive(Deserialize)]
struct AuditPackage {
    name: String,
    version: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    root: bool,
}

impl Cataloger for CargoAuditable {
    fn name(&self) -> &'static str {
        "cargo-auditable"
    }

    fn wants(&self, path: &str) -> bool {
        super::go::executable_path(path)
    }

    fn catalog(&self, file: &File<'_>) -> Result<Vec<Package>, CatalogError> {
        use std::io::Read;
        let Some(section) = super::elf::Elf::parse(file.content).and_then(|e| e.section(".dep-v0"))
        else {
            return Ok(Vec::new());
        };
        let error = |why: String| CatalogError::Format {
            path: file.path.to_string(),
            why,
        };
        let mut json = Vec::new();
        flate2::read::ZlibDecoder::new(section)
            .take(MAX_AUDIT_JSON)
            .read_to_end(&mut json)
            .map_err(|e| error(format!(".dep-v0 section: {e}")))?;
        let audit: Audit =
            serde_json::from_slice(&json).map_err(|e| error(format!(".dep-v0 section: {e}")))?;
        Ok(audit
            .packages
            .into_iter()
            .filter(|p| !p.root && p.source == "crates.io" && p.kind.as_deref() != Some("build"))
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

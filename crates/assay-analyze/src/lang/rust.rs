//! Rust: `Cargo.lock` (v1 to v4 share the `[[package]]` shape) and the dependency list
//! `cargo auditable` embeds in binaries ([`CargoAuditable`]). Packages without a `source`
//! are the workspace's own crates, not dependencies, and are skipped: matching them by name
//! against crates.io advisories would only produce false positives.

use assay_core::{Package, purl};
use serde::Deserialize;

use crate::error::{CatalogError, text};
use crate::{Cataloger, File, file_name};

/// crates.io's index as `Cargo.lock` names it: the git index, or the sparse protocol.
const CRATES_IO_SOURCES: [&str; 2] = [
    "registry+https://github.com/rust-lang/crates.io-index",
    "sparse+https://index.crates.io/",
];

/// The ecosystem a locked package is matched in, and the purl qualifier that says where it
/// came from. Only crates.io packages are `crates.io` (RustSec's advisories are about
/// crates.io crates: a git checkout or another registry's crate of the same name is another
/// crate, and cargo-audit skips them too); the others keep their origin in the purl
/// (`vcs_url`, `repository_url`) under an ecosystem no advisory database uses.
fn origin(source: &str) -> (&'static str, Option<(&'static str, String)>) {
    if CRATES_IO_SOURCES.contains(&source) {
        ("crates.io", None)
    } else if source.starts_with("git+") {
        // `git+URL?branch=..#COMMIT` becomes the purl convention `git+URL@COMMIT` (the query,
        // which names a branch or tag, is dropped: the commit pins it).
        let (url, commit) = source.split_once('#').unwrap_or((source, ""));
        let url = url.split('?').next().unwrap_or(url);
        let vcs = if commit.is_empty() {
            url.to_string()
        } else {
            format!("{url}@{commit}")
        };
        ("cargo-git", Some(("vcs_url", vcs)))
    } else {
        let url = source
            .strip_prefix("registry+")
            .or_else(|| source.strip_prefix("sparse+"))
            .unwrap_or(source);
        ("cargo-registry", Some(("repository_url", url.to_string())))
    }
}

/// The purl of a locked package from `source`, as the cataloger writes it (dependency edges
/// must name the same purls as the components).
pub(crate) fn locked_purl(name: &str, version: &str, source: &str) -> Option<String> {
    let (_, qualifier) = origin(source);
    let qualifiers: Vec<(&str, &str)> = qualifier.iter().map(|(k, v)| (*k, &**v)).collect();
    purl("cargo", None, name, version, &qualifiers)
}

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
            .filter_map(|p| {
                let source = p.source.as_deref()?;
                let (ecosystem, qualifier) = origin(source);
                let qualifiers: Vec<(&str, &str)> =
                    qualifier.iter().map(|(k, v)| (*k, &**v)).collect();
                Some((
                    purl("cargo", None, &p.name, &p.version, &qualifiers),
                    ecosystem,
                    p,
                ))
            })
            .map(|(purl, ecosystem, p)| Package {
                purl,
                name: p.name,
                version: p.version,
                ecosystem: ecosystem.into(),
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

    /// `name ecosystem purl` of each package `CargoLock` finds in `content` at `path`.
    fn catalog(path: &str, content: &[u8]) -> Vec<String> {
        let file = File {
            path,
            content,
            layer: None,
            distro: None,
        };
        CargoLock
            .catalog(&file)
            .unwrap()
            .into_iter()
            .map(|p| format!("{} {} {}", p.name, p.ecosystem, p.purl.unwrap_or_default()))
            .collect()
    }

    #[test]
    fn reads_registry_crates_and_skips_the_workspace_own() {
        let lock = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fixtures/catalog/rust/Cargo.lock"
        ))
        .unwrap();
        let got = catalog("src/app/Cargo.lock", &lock);
        assert_eq!(
            got,
            [
                "serde crates.io pkg:cargo/serde@1.0.219",
                "smallvec crates.io pkg:cargo/smallvec@1.13.2",
            ]
        );
    }

    #[test]
    fn only_crates_io_packages_are_crates_io_and_others_keep_their_origin() {
        let lock = br#"
[[package]]
name = "a"
version = "1.0.0"
source = "sparse+https://index.crates.io/"

[[package]]
name = "b"
version = "2.0.0"
source = "git+https://github.com/acme/b?branch=main#0123abcd"

[[package]]
name = "c"
version = "3.0.0"
source = "registry+https://crates.acme.example/index"
"#;
        let got = catalog("Cargo.lock", lock);
        assert_eq!(got.len(), 3);
        assert_eq!(got[0], "a crates.io pkg:cargo/a@1.0.0");
        assert!(
            got[1].starts_with("b cargo-git pkg:cargo/b@2.0.0?vcs_url="),
            "{}",
            got[1]
        );
        assert!(
            got[1].ends_with("vcs_url=git%2Bhttps://github.com/acme/b%400123abcd"),
            "{}",
            got[1]
        );
        assert!(
            got[2].starts_with("c cargo-registry pkg:cargo/c@3.0.0?repository_url="),
            "{}",
            got[2]
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

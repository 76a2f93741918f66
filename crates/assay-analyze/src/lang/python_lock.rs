//! Python requirement and lock files: pinned `requirements*.txt` lines ([`Requirements`]),
//! `poetry.lock` ([`PoetryLock`]), `Pipfile.lock` ([`PipfileLock`]) and `uv.lock`
//! ([`UvLock`]). Only exact versions are inventory: a `requirements.txt` range says what may
//! be installed, not what is. Packages from a local directory, a file or a VCS checkout are
//! not on PyPI and are skipped.

use std::collections::BTreeMap;

use assay_core::{Package, purl};
use serde::Deserialize;

use super::python::normalize;
use crate::error::{CatalogError, text};
use crate::{Cataloger, File, file_name};

/// Pinned lines of `requirements.txt` (and `requirements-dev.txt`, `requirements/*.txt`).
#[derive(Debug, Clone, Copy)]
pub struct Requirements;

/// `poetry.lock`.
#[derive(Debug, Clone, Copy)]
pub struct PoetryLock;

/// `Pipfile.lock`.
#[derive(Debug, Clone, Copy)]
pub struct PipfileLock;

/// `uv.lock`.
#[derive(Debug, Clone, Copy)]
pub struct UvLock;

fn package(name: &str, version: &str, file: &File<'_>) -> Package {
    Package {
        name: name.to_string(),
        version: version.to_string(),
        ecosystem: "PyPI".into(),
        purl: purl("pypi", None, &normalize(name), version, &[]),
        source_name: None,
        source_version: None,
        licenses: Vec::new(),
        layer: file.layer.map(str::to_string),
        path: file.path.to_string(),
    }
}

impl Cataloger for Requirements {
    fn name(&self) -> &'static str {
        "python-requirements"
    }

    fn wants(&self, path: &str) -> bool {
        let name = file_name(path);
        (name.starts_with("requirements") && name.ends_with(".txt"))
            || (path.contains("requirements/") && name.ends_with(".txt"))
    }

    /// `name==1.2.3` or `name[extra]===1.2.3`, with markers, hashes and comments ignored and
    /// `\` continuations joined. Options (`-r`, `--index-url`) and unpinned lines are skipped.
    fn catalog(&self, file: &File<'_>) -> Result<Vec<Package>, CatalogError> {
        let text = text(file.path, file.content)?;
        let mut out = Vec::new();
        let mut logical = String::new();
        for line in text.lines() {
            let line = line.split(" #").next().unwrap_or_default();
            if let Some(more) = line.trim_end().strip_suffix('\\') {
                logical.push_str(more);
                logical.push(' ');
                continue;
            }
            logical.push_str(line);
            let entry = std::mem::take(&mut logical);
            let entry = entry.split(';').next().unwrap_or_default().trim();
            if entry.is_empty() || entry.starts_with(['#', '-']) {
                continue;
            }
            let Some((name, version)) = entry.split_once("==") else {
                continue;
            };
            let version = version
                .trim_start_matches('=')
                .split_whitespace()
                .next()
                .unwrap_or_default();
            let name = name.split('[').next().unwrap_or_default().trim();
            let valid_name = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
            if valid_name && !version.is_empty() && !version.contains('*') {
                out.push(package(name, version, file));
            }
        }
        Ok(out)
    }
}

#[derive(Deserialize)]
struct TomlLock {
    #[serde(default)]
    package: Vec<TomlPackage>,
}

#[derive(Deserialize)]
struct TomlPackage {
    name: String,
    version: Option<String>,
    /// poetry: `[package.source] type = "git" | "directory" | "file" | "url" | "legacy"`;
    /// uv: `source = { registry = "..." }`, `{ editable = "." }`, `{ git = "..." }`.
    #[serde(default)]
    source: Option<toml::Table>,
}

fn toml_lock(
    file: &File<'_>,
    registry: fn(&toml::Table) -> bool,
) -> Result<Vec<Package>, CatalogError> {
    let text = text(file.path, file.content)?;
    let lock: TomlLock = toml::from_str(text).map_err(|source| CatalogError::Toml {
        path: file.path.to_string(),
        source,
    })?;
    Ok(lock
        .package
        .iter()
        .filter(|p| p.source.as_ref().is_none_or(registry))
        .filter_map(|p| p.version.as_deref().map(|v| package(&p.name, v, file)))
        .collect())
}

impl Cataloger for PoetryLock {
    fn name(&self) -> &'static str {
        "poetry-lock"
    }

    fn wants(&self, path: &str) -> bool {
        file_name(path) == "poetry.lock"
    }

    fn catalog(&self, file: &File<'_>) -> Result<Vec<Package>, CatalogError> {
        // A private index (`legacy`) still serves PyPI packages.
        toml_lock(file, |source| {
            matches!(
                source.get("type").and_then(|t| t.as_str()),
                Some("legacy") | None
            )
        })
    }
}

impl Cataloger for UvLock {
    fn name(&self) -> &'static str {
        "uv-lock"
    }

    fn wants(&self, path: &str) -> bool {
        file_name(path) == "uv.lock"
    }

    fn catalog(&self, file: &File<'_>) -> Result<Vec<Package>, CatalogError> {
        toml_lock(file, |source| source.contains_key("registry"))
    }
}

#[derive(Deserialize)]
struct Pipfile {
    #[serde(default)]
    default: BTreeMap<String, PipfileEntry>,
    #[serde(default)]
    develop: BTreeMap<String, PipfileEntry>,
}

#[derive(Deserialize)]
struct PipfileEntry {
    version: Option<String>,
}

impl Cataloger for PipfileLock {
    fn name(&self) -> &'static str {
        "pipfile-lock"
    }

    fn wants(&self, path: &str) -> bool {
        file_name(path) == "Pipfile.lock"
    }

    /// `default` and `develop` sections; entries without `version` (`git`, `path`) skipped.
    fn catalog(&self, file: &File<'_>) -> Result<Vec<Package>, CatalogError> {
        let lock: Pipfile =
            serde_json::from_slice(file.content).map_err(|source| CatalogError::Json {
                path: file.path.to_string(),
                source,
            })?;
        Ok(lock
            .default
            .iter()
            .chain(&lock.develop)
            .filter_map(|(name, entry)| {
                let version = entry.version.as_deref()?.strip_prefix("==")?;
                Some(package(name, version, file))
            })
            .collect())
    }
}

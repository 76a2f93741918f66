//! Node.js: installed packages' `node_modules/**/package.json` ([`NodePackage`]) and npm lock
//! files, `package-lock.json` v1 (`dependencies`, nested) and v2/v3 (`packages`, keyed by
//! install path) ([`NodeLock`]). Lock files inside `node_modules` (npm's hidden
//! `.package-lock.json`, published packages' own) are not read: what is installed there is
//! already seen through its `package.json`.

use std::collections::BTreeMap;

use assay_core::{Package, purl};
use serde::Deserialize;

use crate::error::CatalogError;
use crate::{Cataloger, File, file_name};

/// Installed packages: `node_modules/NAME/package.json`, `node_modules/@SCOPE/NAME/package.json`.
#[derive(Debug, Clone, Copy)]
pub struct NodePackage;

/// npm lock files.
#[derive(Debug, Clone, Copy)]
pub struct NodeLock;

#[derive(Deserialize)]
struct Manifest {
    name: Option<String>,
    version: Option<String>,
    #[serde(default)]
    license: Option<serde_json::Value>,
    #[serde(default)]
    licenses: Option<serde_json::Value>,
}

impl Cataloger for NodePackage {
    fn name(&self) -> &'static str {
        "node-package"
    }

    fn wants(&self, path: &str) -> bool {
        let Some((_, rest)) = path.rsplit_once("node_modules/") else {
            return false;
        };
        let Some(dir) = rest.strip_suffix("/package.json") else {
            return false;
        };
        match dir.split_once('/') {
            None => !dir.is_empty() && !dir.starts_with(['.', '@']),
            Some((scope, name)) => {
                scope.starts_with('@') && !name.is_empty() && !name.contains('/')
            }
        }
    }

    fn catalog(&self, file: &File<'_>) -> Result<Vec<Package>, CatalogError> {
        let manifest: Manifest =
            serde_json::from_slice(file.content).map_err(|source| CatalogError::Json {
                path: file.path.to_string(),
                source,
            })?;
        let (Some(name), Some(version)) = (manifest.name, manifest.version) else {
            return Ok(Vec::new());
        };
        let mut licenses = license_values(manifest.license.as_ref());
        licenses.extend(license_values(manifest.licenses.as_ref()));
        Ok(vec![package(&name, &version, licenses, file)])
    }
}

/// `"MIT"`, `{"type": "MIT"}` or a list of either (the old `licenses` field).
fn license_values(value: Option<&serde_json::Value>) -> Vec<String> {
    match value {
        Some(serde_json::Value::String(s)) if !s.is_empty() => vec![s.clone()],
        Some(serde_json::Value::Object(o)) => o
            .get("type")
            .and_then(|t| t.as_str())
            .map(|t| vec![t.to_string()])
            .unwrap_or_default(),
        Some(serde_json::Value::Array(items)) => {
            items.iter().flat_map(|i| license_values(Some(i))).collect()
        }
        _ => Vec::new(),
    }
}

pub(crate) fn package(
    name: &str,
    version: &str,
    licenses: Vec<String>,
    file: &File<'_>,
) -> Package {
    let (namespace, short) = match name.split_once('/') {
        Some((scope, short)) if scope.starts_with('@') => (Some(scope), short),
        _ => (None, name),
    };
    Package {
        name: name.to_string(),
        version: version.to_string(),
        ecosystem: "npm".into(),
        purl: purl("npm", namespace, short, version, &[]),
        source_name: None,
        source_version: None,
        licenses,
        layer: file.layer.map(str::to_string),
        path: file.path.to_string(),
    }
}

#[derive(Deserialize)]
struct Lock {
    #[serde(default)]
    packages: Option<BTreeMap<String, LockPackage>>,
    #[serde(default)]
    dependencies: Option<BTreeMap<String, LockDependency>>,
}

#[derive(Deserialize)]
struct LockPackage {
    name: Option<String>,
    version: Option<String>,
    #[serde(default)]
    license: Option<serde_json::Value>,
    #[serde(default)]
    link: bool,
}

#[derive(Deserialize)]
struct LockDependency {
    version: Option<String>,
    #[serde(default)]
    dependencies: BTreeMap<String, LockDependency>,
}

impl Cataloger for NodeLock {
    fn name(&self) -> &'static str {
        "node-lock"
    }

    fn wants(&self, path: &str) -> bool {
        file_name(path) == "package-lock.json" && !path.contains("node_modules/")
    }

    fn catalog(&self, file: &File<'_>) -> Result<Vec<Package>, CatalogError> {
        let lock: Lock =
            serde_json::from_slice(file.content).map_err(|source| CatalogError::Json {
                path: file.path.to_string(),
                source,
            })?;
        let mut packages = Vec::new();
        if let Some(entries) = lock.packages {
            for (key, entry) in &entries {
                // "" is the project itself; keys outside node_modules are workspace members.
                let Some((_, installed_as)) = key.rsplit_once("node_modules/") else {
                    continue;
                };
                let Some(version) = entry.version.as_deref().filter(|_| !entry.link) else {
                    continue;
                };
                let name = entry.name.as_deref().unwrap_or(installed_as);
                let licenses = license_values(entry.license.as_ref());
                packages.push(package(name, version, licenses, file));
            }
        } else if let Some(dependencies) = &lock.dependencies {
            v1(dependencies, file, &mut packages);
        }
        Ok(packages)
    }
}

/// v1 `dependencies`, nested; versions that are URLs (`file:`, `github:`) are not registry
/// packages and are skipped.
fn v1(dependencies: &BTreeMap<String, LockDependency>, file: &File<'_>, out: &mut Vec<Package>) {
    for (name, dependency) in dependencies {
        if let Some(version) = dependency.version.as_deref().filter(|v| !v.contains(':')) {
            out.push(package(name, version, Vec::new(), file));
        }
        v1(&dependency.dependencies, file, out);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/catalog/node/");
        std::fs::read(format!("{dir}{name}")).unwrap()
    }

    fn catalog(cataloger: &dyn Cataloger, path: &str, content: &[u8]) -> Vec<String> {
        let file = File {
            path,
            content,
            layer: None,
            distro: None,
        };
        let packages = cataloger.catalog(&file).unwrap();
        packages
            .iter()
            .map(|p| format!("{}@{} {}", p.name, p.version, p.purl.as_deref().unwrap()))
            .collect()
    }

    #[test]
    fn wants_installed_package_manifests_only() {
        assert!(NodePackage.wants("app/node_modules/ms/package.json"));
        assert!(NodePackage.wants("app/node_modules/@types/ms/package.json"));
        assert!(NodePackage.wants("app/node_modules/debug/node_modules/ms/package.json"));
        assert!(!NodePackage.wants("app/package.json"));
        assert!(!NodePackage.wants("app/node_modules/ms/test/package.json"));
        assert!(!NodePackage.wants("app/node_modules/.bin/package.json"));
        assert!(NodeLock.wants("app/package-lock.json"));
        assert!(!NodeLock.wants("app/node_modules/.package-lock.json"));
        assert!(!NodeLock.wants("app/node_modules/x/package-lock.json"));
    }

    #[test]
    fn reads_a_real_npm_v3_lock_with_a_nested_version() {
        let got = catalog(
            &NodeLock,
            "app/package-lock.json",
            &fixture("package-lock.json"),
        );
        assert_eq!(
            got,
            [
                "@types/ms@0.7.34 pkg:npm/%40types/ms@0.7.34",
                "debug@4.3.4 pkg:npm/debug@4.3.4",
                "ms@2.1.2 pkg:npm/ms@2.1.2",
                "ms@2.1.3 pkg:npm/ms@2.1.3",
            ]
        );
    }

    #[test]
    fn reads_a_v1_lock() {
        let lock = br#"{"lockfileVersion": 1, "dependencies": {
            "debug": {"version": "4.3.4", "dependencies": {"ms": {"version": "2.1.2"}}},
            "local": {"version": "file:../local"}}}"#;
        let got = catalog(&NodeLock, "package-lock.json", lock);
        assert_eq!(
            got,
            [
                "debug@4.3.4 pkg:npm/debug@4.3.4",
                "ms@2.1.2 pkg:npm/ms@2.1.2"
            ]
        );
    }

    #[test]
    fn reads_real_installed_package_json() {
        let got = catalog(
            &NodePackage,
            "app/node_modules/@types/ms/package.json",
            &fixture("node_modules_@types_ms_package.json"),
        );
        assert_eq!(got, ["@types/ms@0.7.34 pkg:npm/%40types/ms@0.7.34"]);
    }
}

//! Dependencies between packages, where lock files record them: `package-lock.json` (v1
//! `requires`, v2/v3 `packages.*.dependencies`, resolved the way Node resolves: the nearest
//! `node_modules` up the tree) and `Cargo.lock` (`dependencies = ["name", "name version",
//! "name version (source)"]`). Edges name packages by the same purls the catalogers give
//! them, so SBOM writers can link them to the catalogued packages.
//!
//! Kept apart from the catalogers because an edge needs the whole lock file at once, while
//! a cataloger emits packages; [`crate::catalog_files`] calls [`dependencies`] on the same
//! final file contents.

use std::collections::BTreeMap;

use assay_core::{Dependency, purl};
use serde::Deserialize;

use crate::{Found, file_name};

/// The dependency edges recorded in `files` (lock files that fail to parse give none; the
/// cataloger reports them).
pub fn dependencies<'a, 'b: 'a>(files: impl IntoIterator<Item = &'a Found<'b>>) -> Vec<Dependency> {
    let mut out = Vec::new();
    for found in files {
        let name = file_name(found.path);
        if name == "package-lock.json" && !found.path.contains("node_modules/") {
            npm(found.content, &mut out);
        } else if name == "Cargo.lock" {
            cargo(found.content, &mut out);
        }
    }
    out.sort();
    out.dedup();
    out
}

fn npm_purl(name: &str, version: &str) -> Option<String> {
    let (namespace, short) = match name.split_once('/') {
        Some((scope, short)) if scope.starts_with('@') => (Some(scope), short),
        _ => (None, name),
    };
    purl("npm", namespace, short, version, &[])
}

#[derive(Deserialize)]
struct NpmLock {
    #[serde(default)]
    packages: Option<BTreeMap<String, NpmPackage>>,
    #[serde(default)]
    dependencies: Option<BTreeMap<String, NpmV1>>,
}

#[derive(Deserialize)]
struct NpmPackage {
    name: Option<String>,
    version: Option<String>,
    #[serde(default)]
    link: bool,
    #[serde(default)]
    dependencies: BTreeMap<String, String>,
    #[serde(default, rename = "optionalDependencies")]
    optional: BTreeMap<String, String>,
    #[serde(default, rename = "peerDependencies")]
    peer: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct NpmV1 {
    version: Option<String>,
    #[serde(default)]
    requires: BTreeMap<String, String>,
    #[serde(default)]
    dependencies: BTreeMap<String, NpmV1>,
}

fn npm(content: &[u8], out: &mut Vec<Dependency>) {
    let Ok(lock) = serde_json::from_slice::<NpmLock>(content) else {
        return;
    };
    if let Some(packages) = &lock.packages {
        npm_v2(packages, out);
    } else if let Some(dependencies) = &lock.dependencies {
        npm_v1(dependencies, &[], out);
    }
}

/// The purl of the package installed at `key` (`node_modules/a/node_modules/b`).
fn installed(packages: &BTreeMap<String, NpmPackage>, key: &str) -> Option<String> {
    let entry = packages.get(key).filter(|e| !e.link)?;
    let installed_as = key.rsplit_once("node_modules/")?.1;
    let name = entry.name.as_deref().unwrap_or(installed_as);
    npm_purl(name, entry.version.as_deref()?)
}

fn npm_v2(packages: &BTreeMap<String, NpmPackage>, out: &mut Vec<Dependency>) {
    for (key, entry) in packages {
        // The project itself ("") and workspace members are not catalogued packages.
        let Some(parent) = installed(packages, key) else {
            continue;
        };
        let wanted = entry
            .dependencies
            .keys()
            .chain(entry.optional.keys())
            .chain(entry.peer.keys());
        for name in wanted {
            // Node's lookup: `<key>/node_modules/<name>`, then each ancestor's.
            let mut base = key.as_str();
            let child = loop {
                let candidate = format!("{base}/node_modules/{name}");
                let candidate = candidate.trim_start_matches('/');
                if packages.contains_key(candidate) {
                    break installed(packages, candidate);
                }
                match base.rsplit_once("/node_modules/") {
                    Some((up, _)) => base = up,
                    None if !base.is_empty() => base = "",
                    None => break None,
                }
            };
            if let Some(child) = child {
                out.push(Dependency {
                    parent: parent.clone(),
                    child,
                });
            }
        }
    }
}

/// v1: `requires` names resolve in the entry's own nested `dependencies`, then in each
/// enclosing scope (`scopes`, innermost last).
fn npm_v1<'a>(
    dependencies: &'a BTreeMap<String, NpmV1>,
    scopes: &[&'a BTreeMap<String, NpmV1>],
    out: &mut Vec<Dependency>,
) {
    let mut chain: Vec<&BTreeMap<String, NpmV1>> = scopes.to_vec();
    chain.push(dependencies);
    for (name, entry) in dependencies {
        let Some(parent) = entry
            .version
            .as_deref()
            .filter(|v| !v.contains(':'))
            .and_then(|v| npm_purl(name, v))
        else {
            continue;
        };
        for required in entry.requires.keys() {
            let found = std::iter::once(&entry.dependencies)
                .chain(chain.iter().rev().copied())
                .find_map(|scope| scope.get(required));
            let child = found
                .and_then(|d| d.version.as_deref())
                .filter(|v| !v.contains(':'))
                .and_then(|v| npm_purl(required, v));
            if let Some(child) = child {
                out.push(Dependency {
                    parent: parent.clone(),
                    child,
                });
            }
        }
        npm_v1(&entry.dependencies, &chain, out);
    }
}

#[derive(Deserialize)]
struct CargoLock {
    #[serde(default)]
    package: Vec<CargoPackage>,
}

#[derive(Deserialize)]
struct CargoPackage {
    name: String,
    version: String,
    source: Option<String>,
    #[serde(default)]
    dependencies: Vec<String>,
}

fn cargo(content: &[u8], out: &mut Vec<Dependency>) {
    let Ok(text) = std::str::from_utf8(content) else {
        return;
    };
    let Ok(lock) = toml::from_str::<CargoLock>(text) else {
        return;
    };
    // Only registry/git packages are catalogued (the cataloger skips path packages, which
    // have no `source`), so only edges between those can be linked; purls as the cataloger
    // writes them (git and other-registry packages carry their origin as a qualifier).
    let locked_purl = |p: &CargoPackage| {
        let source = p.source.as_deref()?;
        crate::lang::rust::locked_purl(&p.name, &p.version, source)
    };
    // Packages by name: a lock of a thousand packages names each dependency by name (and
    // version when several are locked), so a scan per edge would be quadratic.
    let mut by_name: std::collections::HashMap<&str, Vec<&CargoPackage>> =
        std::collections::HashMap::new();
    for p in &lock.package {
        by_name.entry(p.name.as_str()).or_default().push(p);
    }
    for package in &lock.package {
        let Some(parent) = locked_purl(package) else {
            continue;
        };
        for spec in &package.dependencies {
            let mut words = spec.split_whitespace();
            let name = words.next().unwrap_or("");
            let version = words.next();
            let mut matching = by_name
                .get(name)
                .into_iter()
                .flatten()
                .filter(|p| version.is_none_or(|v| p.version == v));
            let (Some(child), None) = (matching.next(), matching.next()) else {
                continue;
            };
            if let Some(child) = locked_purl(child) {
                out.push(Dependency {
                    parent: parent.clone(),
                    child,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn edges(path: &str, content: &str) -> Vec<String> {
        let found = [Found {
            path,
            content: content.as_bytes(),
            layer: None,
        }];
        dependencies(found.iter())
            .into_iter()
            .map(|d| format!("{} -> {}", d.parent, d.child))
            .collect()
    }

    #[test]
    fn npm_v3_resolves_nested_before_hoisted() {
        let lock = r#"{"lockfileVersion":3,"packages":{
          "":{"dependencies":{"express":"^4"}},
          "node_modules/express":{"version":"4.19.2","dependencies":{"debug":"2.6.9","@types/ms":"*"}},
          "node_modules/express/node_modules/debug":{"version":"2.6.9","dependencies":{"ms":"2.0.0"}},
          "node_modules/debug":{"version":"4.3.4","dependencies":{"ms":"2.1.2"}},
          "node_modules/ms":{"version":"2.1.2"},
          "node_modules/@types/ms":{"version":"0.7.34"}}}"#;
        assert_eq!(
            edges("app/package-lock.json", lock),
            [
                "pkg:npm/debug@2.6.9 -> pkg:npm/ms@2.1.2",
                "pkg:npm/debug@4.3.4 -> pkg:npm/ms@2.1.2",
                "pkg:npm/express@4.19.2 -> pkg:npm/%40types/ms@0.7.34",
                "pkg:npm/express@4.19.2 -> pkg:npm/debug@2.6.9",
            ]
        );
    }

    #[test]
    fn npm_v1_requires_resolve_through_scopes() {
        let lock = r#"{"lockfileVersion":1,"dependencies":{
          "a":{"version":"1.0.0","requires":{"b":"^1","c":"^1"},
               "dependencies":{"b":{"version":"1.5.0"}}},
          "b":{"version":"2.0.0"},
          "c":{"version":"1.1.0","requires":{"missing":"1"}}}}"#;
        assert_eq!(
            edges("package-lock.json", lock),
            [
                "pkg:npm/a@1.0.0 -> pkg:npm/b@1.5.0",
                "pkg:npm/a@1.0.0 -> pkg:npm/c@1.1.0",
            ]
        );
    }

    #[test]
    fn cargo_lock_names_with_and_without_versions() {
        let lock = r#"
[[package]]
name = "app"
version = "0.1.0"
dependencies = ["serde", "syn 2.0.1"]

[[package]]
name = "serde"
version = "1.0.200"
source = "registry+https://github.com/rust-lang/crates.io-index"
dependencies = ["serde_derive", "syn 1.0.109 (registry+https://github.com/rust-lang/crates.io-index)"]

[[package]]
name = "serde_derive"
version = "1.0.200"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "syn"
version = "1.0.109"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "syn"
version = "2.0.1"
source = "registry+https://github.com/rust-lang/crates.io-index"
"#;
        assert_eq!(
            edges("Cargo.lock", lock),
            [
                "pkg:cargo/serde@1.0.200 -> pkg:cargo/serde_derive@1.0.200",
                "pkg:cargo/serde@1.0.200 -> pkg:cargo/syn@1.0.109",
            ]
        );
        assert!(edges("Cargo.lock", "not toml [").is_empty());
    }

    #[test]
    fn cargo_edges_name_git_packages_by_the_purl_the_cataloger_gives_them() {
        let lock = r#"
[[package]]
name = "serde"
version = "1.0.200"
source = "sparse+https://index.crates.io/"
dependencies = ["forked"]

[[package]]
name = "forked"
version = "0.3.0"
source = "git+https://github.com/acme/forked#abc123"
"#;
        let file = crate::File {
            path: "Cargo.lock",
            content: lock.as_bytes(),
            layer: None,
            distro: None,
        };
        let component = crate::Cataloger::catalog(&crate::lang::rust::CargoLock, &file)
            .unwrap()
            .into_iter()
            .find(|p| p.name == "forked")
            .and_then(|p| p.purl)
            .unwrap();
        assert_eq!(
            edges("Cargo.lock", lock),
            [format!("pkg:cargo/serde@1.0.200 -> {component}")]
        );
    }
}

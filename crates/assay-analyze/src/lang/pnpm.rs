//! pnpm: `pnpm-lock.yaml`, parsed with `yaml_serde`. The `packages` map's keys name each
//! resolved package: `/debug/4.3.4` (lock v5), `/debug@4.3.4` (v6), `debug@4.3.4` (v9), with
//! peer-dependency suffixes (`(react@18.2.0)`, v5's `_react@18.2.0`) that are not part of the
//! version. Entries that are not registry versions (tarballs, git, `file:`) are skipped.

use std::collections::BTreeMap;

use assay_core::Package;
use serde::Deserialize;

use super::node::package;
use crate::error::CatalogError;
use crate::{Cataloger, File, file_name};

/// The `pnpm-lock.yaml` cataloger.
#[derive(Debug, Clone, Copy)]
pub struct PnpmLock;

#[derive(Deserialize)]
struct Lock {
    #[serde(default)]
    packages: Option<BTreeMap<String, serde::de::IgnoredAny>>,
}

/// Name and version of a `packages` key, or `None` for a non-registry entry.
fn split_key(key: &str) -> Option<(&str, &str)> {
    let key = key.strip_prefix('/').unwrap_or(key);
    let key = key.split('(').next().unwrap_or(key);
    // v5: a path segment starting with a digit is the version (`_peer` suffix dropped).
    let v5 = key.match_indices('/').find_map(|(i, _)| {
        let version = &key[i + 1..];
        version
            .starts_with(|c: char| c.is_ascii_digit())
            .then(|| (&key[..i], version.split('_').next().unwrap_or(version)))
    });
    let (name, version) = match v5 {
        Some((name, version)) if !name[1.min(name.len())..].contains('@') => (name, version),
        _ => {
            let at = key[1.min(key.len())..].rfind('@')? + 1;
            (&key[..at], &key[at + 1..])
        }
    };
    let registry = !name.is_empty()
        && !name.contains(':')
        && version.starts_with(|c: char| c.is_ascii_digit());
    registry.then_some((name, version))
}

impl Cataloger for PnpmLock {
    fn name(&self) -> &'static str {
        "pnpm-lock"
    }

    fn wants(&self, path: &str) -> bool {
        file_name(path) == "pnpm-lock.yaml" && !path.contains("node_modules/")
    }

    fn catalog(&self, file: &File<'_>) -> Result<Vec<Package>, CatalogError> {
        let lock: Lock =
            yaml_serde::from_slice(file.content).map_err(|source| CatalogError::Yaml {
                path: file.path.to_string(),
                source,
            })?;
        Ok(lock
            .packages
            .unwrap_or_default()
            .keys()
            .filter_map(|key| split_key(key))
            .map(|(name, version)| package(name, version, Vec::new(), file))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_keys_of_every_lock_version() {
        assert_eq!(split_key("/debug/4.3.4"), Some(("debug", "4.3.4")));
        assert_eq!(
            split_key("/@babel/core/7.24.0_react@18.2.0"),
            Some(("@babel/core", "7.24.0"))
        );
        assert_eq!(split_key("/debug@4.3.4"), Some(("debug", "4.3.4")));
        assert_eq!(
            split_key("@babel/core@7.24.0(react@18.2.0)"),
            Some(("@babel/core", "7.24.0"))
        );
        assert_eq!(split_key("ms@2.1.3"), Some(("ms", "2.1.3")));
        assert_eq!(split_key("github.com/user/repo/abcdef"), None);
    }
}

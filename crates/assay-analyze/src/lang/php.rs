//! PHP: Composer's `composer.lock` (`packages` and `packages-dev`) and what Composer
//! installed, `vendor/composer/installed.json` (Composer 1: a list; Composer 2:
//! `{"packages": [...]}`). Names are `vendor/package`; licenses are SPDX identifiers.

use assay_core::{Package, purl};
use serde::Deserialize;

use crate::error::CatalogError;
use crate::{Cataloger, File, file_name};

/// `composer.lock` and `vendor/composer/installed.json`.
#[derive(Debug, Clone, Copy)]
pub struct Composer;

#[derive(Deserialize)]
struct Entry {
    name: String,
    version: Option<String>,
    #[serde(default)]
    license: Vec<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Document {
    Lock {
        #[serde(default)]
        packages: Vec<Entry>,
        #[serde(default, rename = "packages-dev")]
        packages_dev: Vec<Entry>,
    },
    Installed1(Vec<Entry>),
}

impl Cataloger for Composer {
    fn name(&self) -> &'static str {
        "composer"
    }

    fn wants(&self, path: &str) -> bool {
        file_name(path) == "composer.lock" || path.ends_with("vendor/composer/installed.json")
    }

    fn catalog(&self, file: &File<'_>) -> Result<Vec<Package>, CatalogError> {
        let document: Document =
            serde_json::from_slice(file.content).map_err(|source| CatalogError::Json {
                path: file.path.to_string(),
                source,
            })?;
        let entries = match document {
            Document::Lock {
                packages,
                packages_dev,
            } => packages.into_iter().chain(packages_dev).collect(),
            Document::Installed1(list) => list,
        };
        Ok(entries
            .into_iter()
            .filter_map(|e| {
                // `dev-main` branches are not releases.
                let version = e.version.filter(|v| !v.starts_with("dev-"))?;
                let (vendor, short) = e.name.split_once('/')?;
                Some(Package {
                    purl: purl("composer", Some(vendor), short, &version, &[]),
                    name: e.name.clone(),
                    version,
                    ecosystem: "Packagist".into(),
                    source_name: None,
                    source_version: None,
                    licenses: e.license,
                    layer: file.layer.map(str::to_string),
                    path: file.path.to_string(),
                })
            })
            .collect())
    }
}

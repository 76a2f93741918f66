//! .NET: `*.deps.json`, written next to every built application and library. Its
//! `libraries` map is keyed `Name/Version`; only `"type": "package"` entries are NuGet
//! packages (`project` and `reference` entries are the application's own assemblies).

use std::collections::BTreeMap;

use assay_core::{Package, purl};
use serde::Deserialize;

use crate::error::CatalogError;
use crate::{Cataloger, File, file_name};

/// The `*.deps.json` cataloger.
#[derive(Debug, Clone, Copy)]
pub struct DotnetDeps;

#[derive(Deserialize)]
struct Deps {
    #[serde(default)]
    libraries: BTreeMap<String, Library>,
}

#[derive(Deserialize)]
struct Library {
    #[serde(rename = "type")]
    kind: String,
}

impl Cataloger for DotnetDeps {
    fn name(&self) -> &'static str {
        "dotnet-deps"
    }

    fn wants(&self, path: &str) -> bool {
        file_name(path).ends_with(".deps.json")
    }

    fn catalog(&self, file: &File<'_>) -> Result<Vec<Package>, CatalogError> {
        let deps: Deps =
            serde_json::from_slice(file.content).map_err(|source| CatalogError::Json {
                path: file.path.to_string(),
                source,
            })?;
        Ok(deps
            .libraries
            .iter()
            .filter(|(_, library)| library.kind == "package")
            .filter_map(|(key, _)| key.split_once('/'))
            .map(|(name, version)| Package {
                name: name.to_string(),
                version: version.to_string(),
                ecosystem: "NuGet".into(),
                purl: purl("nuget", None, name, version, &[]),
                source_name: None,
                source_version: None,
                licenses: Vec::new(),
                layer: file.layer.map(str::to_string),
                path: file.path.to_string(),
            })
            .collect())
    }
}

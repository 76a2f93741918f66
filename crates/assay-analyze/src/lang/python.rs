//! Python: installed distributions' core metadata, `*.dist-info/METADATA` (wheels, pip) and
//! `*.egg-info/PKG-INFO` or a bare `*.egg-info` file (setuptools). The name is kept as
//! written; the purl uses the PEP 503 normalised form, as the purl spec says for PyPI.

use assay_core::{Package, purl};

use crate::error::{CatalogError, text};
use crate::fields::stanzas;
use crate::{Cataloger, File};

/// The Python metadata cataloger.
#[derive(Debug, Clone, Copy)]
pub struct PythonMetadata;

impl Cataloger for PythonMetadata {
    fn name(&self) -> &'static str {
        "python-metadata"
    }

    fn wants(&self, path: &str) -> bool {
        path.ends_with(".dist-info/METADATA")
            || path.ends_with(".egg-info/PKG-INFO")
            || path.ends_with(".egg-info")
    }

    fn catalog(&self, file: &File<'_>) -> Result<Vec<Package>, CatalogError> {
        let text = text(file.path, file.content)?;
        let headers = stanzas(text, true).map_err(|bad| CatalogError::Syntax {
            path: file.path.to_string(),
            line: bad.line,
            why: "expected `Field: value` in the metadata headers".into(),
        })?;
        let Some(headers) = headers.first() else {
            return Ok(Vec::new());
        };
        let (Some(name), Some(version)) = (headers.get("Name"), headers.get("Version")) else {
            return Ok(Vec::new());
        };
        Ok(vec![Package {
            name: name.to_string(),
            version: version.to_string(),
            ecosystem: "PyPI".into(),
            purl: purl("pypi", None, &normalize(name), version, &[]),
            source_name: None,
            source_version: None,
            licenses: licenses(headers),
            layer: file.layer.map(str::to_string),
            path: file.path.to_string(),
        }])
    }
}

/// PEP 503: lowercase, runs of `-`, `_` and `.` become one `-`.
pub fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !out.ends_with('-') {
                out.push('-');
            }
        } else {
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

/// `License-Expression` (PEP 639) if present, else a one-line `License`, else the license
/// classifiers' last part (`MIT License`).
fn licenses(headers: &crate::fields::Stanza<'_>) -> Vec<String> {
    if let Some(expression) = headers.get("License-Expression").filter(|e| !e.is_empty()) {
        return vec![expression.to_string()];
    }
    if let Some(license) = headers.get("License").filter(|l| {
        !l.is_empty() && !l.contains('\n') && l.len() <= 100 && !l.eq_ignore_ascii_case("UNKNOWN")
    }) {
        return vec![license.to_string()];
    }
    headers
        .all("Classifier")
        .filter_map(|c| c.strip_prefix("License ::"))
        .filter_map(|c| c.rsplit("::").next())
        .map(|c| c.trim().to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn reads_real_pip_metadata() {
        let metadata = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fixtures/catalog/python/six-1.16.0.dist-info/METADATA"
        ))
        .unwrap();
        let path = "usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA";
        assert!(PythonMetadata.wants(path));
        let file = File {
            path,
            content: &metadata,
            layer: None,
            distro: None,
        };
        let packages = PythonMetadata.catalog(&file).unwrap();
        assert_eq!(packages.len(), 1);
        let six = &packages[0];
        assert_eq!((six.name.as_str(), six.version.as_str()), ("six", "1.16.0"));
        assert_eq!(six.licenses, ["MIT"]);
        assert_eq!(six.purl.as_deref(), Some("pkg:pypi/six@1.16.0"));
    }

    #[test]
    fn keeps_the_name_as_written_and_normalises_the_purl() {
        let text = "Metadata-Version: 2.4\nName: Foo_Bar.baz\nVersion: 2.0\n\
                    Classifier: License :: OSI Approved :: BSD License\n\nbody: not a field\n";
        let file = File {
            path: "x/Foo_Bar.baz-2.0.egg-info/PKG-INFO",
            content: text.as_bytes(),
            layer: None,
            distro: None,
        };
        let packages = PythonMetadata.catalog(&file).unwrap();
        assert_eq!(packages[0].name, "Foo_Bar.baz");
        assert_eq!(
            packages[0].purl.as_deref(),
            Some("pkg:pypi/foo-bar-baz@2.0")
        );
        assert_eq!(packages[0].licenses, ["BSD License"]);
    }
}

//! apk: `/lib/apk/db/installed`, one block per package of `X:value` lines (`P:` name, `V:`
//! version, `A:` arch, `o:` origin, the source package; `L:` license), blocks separated by
//! blank lines.

use assay_core::{Package, purl};

use super::distro_qualifier;
use crate::error::{CatalogError, text};
use crate::{Cataloger, File};

/// The apk cataloger.
#[derive(Debug, Clone, Copy)]
pub struct Apk;

#[derive(Default)]
struct Block<'a> {
    name: Option<&'a str>,
    version: Option<&'a str>,
    arch: &'a str,
    origin: Option<&'a str>,
    license: Option<&'a str>,
}

impl Cataloger for Apk {
    fn name(&self) -> &'static str {
        "apk"
    }

    fn wants(&self, path: &str) -> bool {
        path == "lib/apk/db/installed"
    }

    fn catalog(&self, file: &File<'_>) -> Result<Vec<Package>, CatalogError> {
        let text = text(file.path, file.content)?;
        let (ecosystem, namespace) = match file.distro.map(|d| d.id.as_str()) {
            Some("wolfi") => ("Wolfi", "wolfi"),
            Some("chainguard") => ("Chainguard", "chainguard"),
            _ => ("Alpine", "alpine"),
        };
        let distro = distro_qualifier(file.distro);
        let mut packages = Vec::new();
        let mut block = Block::default();
        let mut flush = |block: &mut Block<'_>| {
            let taken = std::mem::take(block);
            let (Some(name), Some(version)) = (taken.name, taken.version) else {
                return;
            };
            packages.push(Package {
                name: name.to_string(),
                version: version.to_string(),
                ecosystem: ecosystem.to_string(),
                purl: purl(
                    "apk",
                    Some(namespace),
                    name,
                    version,
                    &[("arch", taken.arch), ("distro", &distro)],
                ),
                source_name: Some(taken.origin.unwrap_or(name).to_string()),
                source_version: None,
                licenses: taken
                    .license
                    .map(|l| vec![l.to_string()])
                    .unwrap_or_default(),
                layer: file.layer.map(str::to_string),
                path: file.path.to_string(),
            });
        };
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                flush(&mut block);
                continue;
            }
            let Some((key, value)) = line.split_once(':') else {
                return Err(CatalogError::Syntax {
                    path: file.path.to_string(),
                    line: i + 1,
                    why: "expected `X:value`".into(),
                });
            };
            match key {
                "P" => block.name = Some(value),
                "V" => block.version = Some(value),
                "A" => block.arch = value,
                "o" => block.origin = Some(value),
                "L" => block.license = Some(value),
                _ => {}
            }
        }
        flush(&mut block);
        Ok(packages)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn reads_name_version_origin_and_license() {
        let db = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fixtures/catalog/apk/installed"
        ))
        .unwrap();
        let file = File {
            path: "lib/apk/db/installed",
            content: &db,
            layer: Some("sha256:abc"),
            distro: None,
        };
        let packages = Apk.catalog(&file).unwrap();
        let got: Vec<_> = packages
            .iter()
            .map(|p| {
                let origin = p.source_name.as_deref().unwrap();
                format!("{} {} {origin} {:?}", p.name, p.version, p.licenses)
            })
            .collect();
        assert_eq!(
            got,
            [
                "musl 1.2.5-r0 musl [\"MIT\"]",
                "libcrypto3 3.3.2-r0 openssl [\"Apache-2.0\"]",
                "busybox 1.36.1-r29 busybox [\"GPL-2.0-only\"]",
            ]
        );
        assert_eq!(
            packages[1].purl.as_deref(),
            Some("pkg:apk/alpine/libcrypto3@3.3.2-r0?arch=x86_64")
        );
        assert_eq!(packages[0].layer.as_deref(), Some("sha256:abc"));
    }
}

//! dpkg: `/var/lib/dpkg/status` (one stanza per package, only `install ok installed` ones
//! count) and distroless's `/var/lib/dpkg/status.d/NAME` (one stanza per file, often without
//! `Status:`). The source package comes from `Source: name` or `Source: name (version)`;
//! without it dpkg's rule applies: same name, same version. Debian's advisories are per
//! source package, so both are always set.

use assay_core::{Package, purl};

use super::distro_qualifier;
use crate::error::{CatalogError, text};
use crate::fields::stanzas;
use crate::{Cataloger, File};

/// The dpkg cataloger.
#[derive(Debug, Clone, Copy)]
pub struct Dpkg;

impl Cataloger for Dpkg {
    fn name(&self) -> &'static str {
        "dpkg"
    }

    fn wants(&self, path: &str) -> bool {
        path == "var/lib/dpkg/status"
            || path
                .strip_prefix("var/lib/dpkg/status.d/")
                .is_some_and(|name| {
                    !name.is_empty() && !name.contains('/') && !name.ends_with(".md5sums")
                })
    }

    fn catalog(&self, file: &File<'_>) -> Result<Vec<Package>, CatalogError> {
        let text = text(file.path, file.content)?;
        let stanzas = stanzas(text, false).map_err(|bad| CatalogError::Syntax {
            path: file.path.to_string(),
            line: bad.line,
            why: "expected `Field: value` or a continuation line".into(),
        })?;
        let ubuntu = file.distro.is_some_and(|d| d.id == "ubuntu");
        let (ecosystem, namespace) = if ubuntu {
            ("Ubuntu", "ubuntu")
        } else {
            ("Debian", "debian")
        };
        let distro = distro_qualifier(file.distro);
        let mut packages = Vec::new();
        for stanza in &stanzas {
            // status.d files may omit Status; the main database always has it.
            if stanza
                .get("Status")
                .is_some_and(|s| s.split_whitespace().nth(2) != Some("installed"))
            {
                continue;
            }
            let (Some(name), Some(version)) = (stanza.get("Package"), stanza.get("Version")) else {
                continue;
            };
            let (source_name, source_version) = match stanza.get("Source") {
                Some(source) => match source.split_once('(') {
                    Some((n, v)) => (n.trim(), v.trim_end_matches(')').trim()),
                    None => (source.trim(), version),
                },
                None => (name, version),
            };
            let arch = stanza.get("Architecture").unwrap_or_default();
            packages.push(Package {
                name: name.to_string(),
                version: version.to_string(),
                ecosystem: ecosystem.to_string(),
                purl: purl(
                    "deb",
                    Some(namespace),
                    name,
                    version,
                    &[("arch", arch), ("distro", &distro)],
                ),
                source_name: Some(source_name.to_string()),
                source_version: Some(source_version.to_string()),
                licenses: Vec::new(),
                layer: file.layer.map(str::to_string),
                path: file.path.to_string(),
            });
        }
        Ok(packages)
    }
}

/// The licenses a machine-readable (DEP-5) `usr/share/doc/PACKAGE/copyright` declares: the
/// short name on the first line of every `License:` field, in order of first appearance.
/// Files in the older free-form style declare nothing machine-readable and give none.
pub(crate) fn copyright_licenses(content: &[u8]) -> Vec<String> {
    let Ok(text) = std::str::from_utf8(content) else {
        return Vec::new();
    };
    let Ok(stanzas) = stanzas(text, false) else {
        return Vec::new();
    };
    let machine_readable = stanzas
        .first()
        .and_then(|s| s.get("Format"))
        .is_some_and(|f| f.contains("copyright-format") || f.contains("dep5"));
    if !machine_readable {
        return Vec::new();
    }
    let mut out: Vec<String> = Vec::new();
    for stanza in &stanzas {
        for license in stanza.all("License") {
            let name = license.lines().next().unwrap_or_default().trim();
            if !name.is_empty() && !out.iter().any(|l| l == name) {
                out.push(name.to_string());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn catalog(path: &str, text: &str) -> Vec<Package> {
        let file = File {
            path,
            content: text.as_bytes(),
            layer: None,
            distro: None,
        };
        Dpkg.catalog(&file).unwrap()
    }

    #[test]
    fn wants_the_status_database_and_distroless_status_d() {
        assert!(Dpkg.wants("var/lib/dpkg/status"));
        assert!(Dpkg.wants("var/lib/dpkg/status.d/libc6"));
        assert!(!Dpkg.wants("var/lib/dpkg/status.d/libc6.md5sums"));
        assert!(!Dpkg.wants("var/lib/dpkg/status-old"));
        assert!(!Dpkg.wants("var/lib/dpkg/status.d/"));
    }

    #[test]
    fn keeps_source_name_and_version_and_skips_removed_packages() {
        let status = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fixtures/catalog/dpkg/status"
        ))
        .unwrap();
        let removed = "\nPackage: old\nStatus: deinstall ok config-files\nVersion: 1.0\n";
        let packages = catalog("var/lib/dpkg/status", &format!("{status}{removed}"));
        let got: Vec<_> = packages
            .iter()
            .map(|p| {
                format!(
                    "{} {} src={} {}",
                    p.name,
                    p.version,
                    p.source_name.as_deref().unwrap(),
                    p.source_version.as_deref().unwrap()
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                "base-files 12.4+deb12u11 src=base-files 12.4+deb12u11",
                "bash 5.2.15-2+b8 src=bash 5.2.15-2",
                "libc6 2.36-9+deb12u14 src=glibc 2.36-9+deb12u14",
                "tar 1.34+dfsg-1.2+deb12u1 src=tar 1.34+dfsg-1.2+deb12u1",
            ]
        );
        assert_eq!(
            packages[1].purl.as_deref(),
            Some("pkg:deb/debian/bash@5.2.15-2+b8?arch=amd64")
        );
    }

    #[test]
    fn reads_dep5_license_short_names_only_from_machine_readable_files() {
        let dep5 = "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\
                    Upstream-Name: bash\n\nFiles: *\nCopyright: 1987-2022 FSF\nLicense: GPL-3+\n\n\
                    Files: lib/readline/*\nLicense: GPL-3+\n\nFiles: examples/*\nLicense: BSD-3-clause\n\n\
                    License: GPL-3+\n This program is free software;\n .\n more text\n";
        assert_eq!(
            copyright_licenses(dep5.as_bytes()),
            ["GPL-3+", "BSD-3-clause"]
        );
        let free_form = "This is Debian's prepackaged version of tar.\n\nCopyright: FSF\n";
        assert!(copyright_licenses(free_form.as_bytes()).is_empty());
        assert!(copyright_licenses(b"\xff\xfe").is_empty());
    }

    #[test]
    fn reads_a_distroless_stanza_without_status() {
        let stanza = "Package: tzdata\nVersion: 2024a-0+deb12u1\nArchitecture: all\n";
        let packages = catalog("var/lib/dpkg/status.d/tzdata", stanza);
        assert_eq!(packages.len(), 1);
        assert_eq!(packages[0].path, "var/lib/dpkg/status.d/tzdata");
    }
}

//! What an image or a directory contains: the [`Package`]s catalogers found, the [`Distro`]
//! they were installed on, and the [`Inventory`] holding both in a deterministic order, so
//! that two scans of the same image serialise to the same bytes.

use serde::{Deserialize, Serialize};

use crate::finding::PackageRef;

/// One installed package, as a package database or manifest records it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Package {
    /// Name as its ecosystem spells it (`libc6`, `Flask`, `@babel/core`).
    pub name: String,
    /// Installed version, exactly as recorded (`1:2.36-9+deb12u4`).
    pub version: String,
    /// OSV ecosystem name without a release (`Debian`, `Ubuntu`, `Alpine`, `PyPI`, `npm`,
    /// `crates.io`); the release of OS packages is the inventory's [`Distro::ecosystem`].
    pub ecosystem: String,
    /// Package URL (`pkg:deb/debian/libc6@2.36-9?arch=amd64&distro=debian-12`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
    /// The source package it was built from, when the database says (dpkg `Source:`, apk
    /// origin).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_name: Option<String>,
    /// The source package's version when it differs from `version` (binNMUs, dpkg
    /// `Source: name (version)`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_version: Option<String>,
    /// Declared licenses: from an image or lock-file catalogue, SPDX expressions where the
    /// declared text maps to one (Debian's `GPL-2+` becomes `GPL-2.0-or-later`), the text
    /// as written otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub licenses: Vec<String>,
    /// The diff_id of the layer the record came from, for images.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<String>,
    /// The file that records it (`var/lib/dpkg/status`), relative to the image root.
    pub path: String,
}

impl Package {
    /// The short reference findings carry.
    pub fn to_ref(&self) -> PackageRef {
        PackageRef {
            name: self.name.clone(),
            version: self.version.clone(),
            ecosystem: self.ecosystem.clone(),
            purl: self.purl.clone(),
        }
    }
}

/// Builds a package URL with the `purl` crate, which percent-encodes each part as the spec
/// says. `None` when a part is not allowed (an empty name, a bad qualifier key).
pub fn purl(
    kind: &str,
    namespace: Option<&str>,
    name: &str,
    version: &str,
    qualifiers: &[(&str, &str)],
) -> Option<String> {
    if name.is_empty() {
        return None;
    }
    let mut builder = purl::GenericPurlBuilder::new(kind.to_string(), name);
    if let Some(namespace) = namespace.filter(|n| !n.is_empty()) {
        builder = builder.with_namespace(namespace);
    }
    if !version.is_empty() {
        builder = builder.with_version(version);
    }
    for (key, value) in qualifiers.iter().filter(|(_, v)| !v.is_empty()) {
        builder = builder.with_qualifier(*key, *value).ok()?;
    }
    builder.build().ok().map(|p| p.to_string())
}

/// The operating system an image was built on, from `/etc/os-release`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Distro {
    /// `ID` (`debian`, `ubuntu`, `alpine`).
    pub id: String,
    /// `VERSION_ID` (`12`, `22.04`, `3.20.3`), when set (Debian testing has none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// `VERSION_CODENAME` (`bookworm`, `jammy`), when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub codename: Option<String>,
    /// The OSV ecosystem its OS packages are published under (`Debian:12`, `Ubuntu:22.04`,
    /// `Alpine:v3.20`); empty when the distro is not one OSV covers.
    pub ecosystem: String,
}

/// Everything found in one target.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inventory {
    /// The operating system, when `/etc/os-release` says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distro: Option<Distro>,
    /// Packages in [`Inventory::sort`] order.
    pub packages: Vec<Package>,
    /// Dependencies between packages where lock files record them, sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<crate::Dependency>,
    /// The golden image an image is built on, when golden images are configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_image: Option<crate::BaseImage>,
}

impl Inventory {
    /// An inventory of `packages`, sorted and with exact duplicates removed.
    pub fn new(distro: Option<Distro>, packages: Vec<Package>) -> Inventory {
        let mut inventory = Inventory {
            distro,
            packages,
            dependencies: Vec::new(),
            base_image: None,
        };
        inventory.sort();
        inventory
    }

    /// Sorts by ecosystem, name, version, then where it was found, and drops exact
    /// duplicates, so the order never depends on walk or thread order.
    pub fn sort(&mut self) {
        self.packages.sort_by(|a, b| {
            (&a.ecosystem, &a.name, &a.version, &a.path, a).cmp(&(
                &b.ecosystem,
                &b.name,
                &b.version,
                &b.path,
                b,
            ))
        });
        self.packages.dedup();
        self.dependencies.sort();
        self.dependencies.dedup();
    }

    /// Whether `package` came from a layer of the golden base image.
    pub fn in_base_image(&self, package: &Package) -> bool {
        self.base_image
            .as_ref()
            .is_some_and(|b| b.contains_layer(package.layer.as_deref()))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn package(ecosystem: &str, name: &str, version: &str, path: &str) -> Package {
        Package {
            name: name.into(),
            version: version.into(),
            ecosystem: ecosystem.into(),
            purl: None,
            source_name: None,
            source_version: None,
            licenses: Vec::new(),
            layer: None,
            path: path.into(),
        }
    }

    #[test]
    fn inventory_sorts_by_ecosystem_name_version_path_and_dedups() {
        let inventory = Inventory::new(
            None,
            vec![
                package("npm", "b", "1", "x"),
                package("Debian", "z", "1", "s"),
                package("npm", "a", "2", "y"),
                package("npm", "a", "2", "x"),
                package("npm", "a", "2", "x"),
            ],
        );
        let keys: Vec<_> = inventory
            .packages
            .iter()
            .map(|p| format!("{}/{}@{} {}", p.ecosystem, p.name, p.version, p.path))
            .collect();
        assert_eq!(
            keys,
            ["Debian/z@1 s", "npm/a@2 x", "npm/a@2 y", "npm/b@1 x"]
        );
    }

    #[test]
    fn purl_encodes_epochs_scopes_and_qualifiers() {
        assert_eq!(
            purl(
                "deb",
                Some("debian"),
                "libc6",
                "2.36-9+deb12u4",
                &[("arch", "amd64"), ("distro", "debian-12")]
            )
            .unwrap(),
            "pkg:deb/debian/libc6@2.36-9+deb12u4?arch=amd64&distro=debian-12"
        );
        assert_eq!(
            purl("deb", Some("debian"), "tar", "1:1.34+dfsg-1.2", &[]).unwrap(),
            "pkg:deb/debian/tar@1:1.34+dfsg-1.2"
        );
        assert_eq!(
            purl("npm", Some("@babel"), "core", "7.24.0", &[]).unwrap(),
            "pkg:npm/%40babel/core@7.24.0"
        );
        assert_eq!(purl("pypi", None, "", "1", &[]), None);
    }
}

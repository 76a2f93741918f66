//! Catalogers: what packages an image holds, read from the package databases and manifests
//! its layers carry.
//!
//! Each [`Cataloger`] says which paths it wants and turns one file's content into
//! [`Package`]s. [`catalog_image`] runs a single layer walk for all of them (the walker reads
//! each wanted file once), keeps, for every wanted path, the content of the last layer that
//! wrote it, and drops the paths the final squashed tree no longer has (a whiteout, an
//! opaque directory, a link put over the file). Only then are files parsed, so a database a
//! later layer rewrote is read once in its final form, and the distro from `/etc/os-release`
//! is known to every cataloger (an Ubuntu dpkg database is the `Ubuntu` ecosystem, not
//! `Debian`).
//!
//! The list of catalogers is explicit ([`CATALOGERS`]); nothing registers itself.
#![deny(missing_docs)]

pub mod baseline;
pub mod content;
pub mod deps;
mod distro;
mod error;
mod fields;
mod image;
pub mod lang;
pub mod license;
pub mod malware;
pub mod os;
pub mod secrets;
#[cfg(feature = "yara")]
pub mod yara;

pub use assay_core::{Distro, Inventory, Package};
pub use distro::{OS_RELEASE_PATHS, parse_os_release};
pub use error::{CatalogError, Error};
pub use image::{Catalog, Found, catalog_files, catalog_image, catalog_image_with};

/// One file handed to a cataloger.
#[derive(Debug, Clone, Copy)]
pub struct File<'a> {
    /// Normalised path inside the image (`var/lib/dpkg/status`, no leading `/`).
    pub path: &'a str,
    /// The file's content.
    pub content: &'a [u8],
    /// The diff_id of the layer the content came from, when known.
    pub layer: Option<&'a str>,
    /// The image's distro, when `/etc/os-release` names one.
    pub distro: Option<&'a Distro>,
}

/// Finds packages in the files it wants. Called from worker threads, hence `Sync`.
pub trait Cataloger: Sync {
    /// A short unique id (`dpkg`, `python-metadata`).
    fn name(&self) -> &'static str;

    /// Whether the file at `path` (normalised, no leading `/`) is one this cataloger reads.
    /// Called for every regular file of every layer: keep it to string comparisons.
    fn wants(&self, path: &str) -> bool;

    /// The packages `file` records.
    fn catalog(&self, file: &File<'_>) -> Result<Vec<Package>, CatalogError>;
}

/// Every cataloger, in the order their results are merged (the inventory is sorted after).
pub static CATALOGERS: &[&dyn Cataloger] = &[
    &os::dpkg::Dpkg,
    &os::apk::Apk,
    &os::rpm::Rpm,
    &lang::python::PythonMetadata,
    &lang::node::NodePackage,
    &lang::node::NodeLock,
    &lang::rust::CargoLock,
    &lang::rust::CargoAuditable,
    &lang::go::GoBinary,
    &lang::go::GoMod,
    &lang::java::JavaArchive,
    &lang::yarn::YarnLock,
    &lang::pnpm::PnpmLock,
    &lang::python_lock::Requirements,
    &lang::python_lock::PoetryLock,
    &lang::python_lock::PipfileLock,
    &lang::python_lock::UvLock,
    &lang::ruby::GemfileLock,
    &lang::ruby::GemSpec,
    &lang::php::Composer,
    &lang::dotnet::DotnetDeps,
];

/// The base name of a normalised path.
fn file_name(path: &str) -> &str {
    path.rsplit_once('/').map_or(path, |(_, name)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cataloger_names_are_unique() {
        let mut names: Vec<&str> = CATALOGERS.iter().map(|c| c.name()).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len(), "duplicate cataloger names: {names:?}");
    }
}

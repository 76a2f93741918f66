//! rpm: the installed-package database in its three on-disk forms, all read in Rust:
//! SQLite `rpmdb.sqlite` (RHEL 9, Fedora 33+, [`sqlite`]), Berkeley DB `Packages` (RHEL 7/8,
//! CentOS, Amazon Linux 2, [`bdb`]) and ndb `Packages.db` (SUSE, [`ndb`]). Each holds one rpm
//! header blob per package ([`header`]); name, `[epoch:]version-release`, arch, license,
//! the source RPM and the file list are read from it. `gpg-pubkey` entries are imported
//! signing keys, not software, and are skipped.

mod bdb;
mod header;
mod ndb;
mod sqlite;

use assay_core::{Package, purl};

use super::distro_qualifier;
use crate::distro::{rpm_ecosystem, rpm_namespace};
use crate::error::CatalogError;
use crate::{Cataloger, File, file_name};

/// The rpm cataloger.
#[derive(Debug, Clone, Copy)]
pub struct Rpm;

/// The directories rpm keeps its database in (`/usr/lib/sysimage/rpm` since rpm 4.16).
const DIRS: &[&str] = &["var/lib/rpm/", "usr/lib/sysimage/rpm/"];

/// Reads every header blob of one database format.
type Reader = fn(&[u8]) -> Result<Vec<Vec<u8>>, String>;

/// Which of the three formats a wanted path is.
fn format(path: &str) -> Option<Reader> {
    let name = DIRS.iter().find_map(|d| path.strip_prefix(d))?;
    match name {
        "rpmdb.sqlite" => Some(sqlite_values),
        "Packages" => Some(bdb::values),
        "Packages.db" => Some(ndb::values),
        _ => None,
    }
}

/// The `blob` column of every row of the `Packages` table.
fn sqlite_values(data: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    let db = sqlite::Database::open(data)?;
    let root = db.table_root("Packages")?;
    let mut out = Vec::new();
    db.walk_table(root, &mut |row| {
        if let Some(sqlite::Value::Blob(blob)) = row.get(1) {
            out.push(blob.to_vec());
        }
    })?;
    Ok(out)
}

/// Every package header of an rpm database file.
fn headers(file_path: &str, content: &[u8]) -> Result<Vec<header::Header>, CatalogError> {
    let error = |why: String| CatalogError::Format {
        path: file_path.to_string(),
        why,
    };
    let read = format(file_path).ok_or_else(|| error("not an rpm database".into()))?;
    let mut out = Vec::new();
    for (i, blob) in read(content).map_err(error)?.iter().enumerate() {
        let header =
            header::parse(blob).map_err(|why| error(format!("package {}: {why}", i + 1)))?;
        if header.name != "gpg-pubkey" {
            out.push(header);
        }
    }
    Ok(out)
}

/// The files the packages of an rpm database own, without the leading `/`; for the
/// "owned by an OS package" check of language packages.
pub(crate) fn owned_files(path: &str, content: &[u8]) -> Vec<String> {
    headers(path, content)
        .map(|hs| {
            hs.into_iter()
                .flat_map(|h| h.files)
                .map(|f| f.trim_start_matches('/').to_string())
                .collect()
        })
        .unwrap_or_default()
}

impl Cataloger for Rpm {
    fn name(&self) -> &'static str {
        "rpm"
    }

    fn wants(&self, path: &str) -> bool {
        matches!(file_name(path), "rpmdb.sqlite" | "Packages" | "Packages.db")
            && format(path).is_some()
    }

    fn catalog(&self, file: &File<'_>) -> Result<Vec<Package>, CatalogError> {
        let ecosystem = rpm_ecosystem(file.distro);
        let namespace = rpm_namespace(file.distro);
        let distro = distro_qualifier(file.distro);
        let mut packages = Vec::new();
        for h in headers(file.path, file.content)? {
            let version = if h.release.is_empty() {
                h.version.clone()
            } else {
                format!("{}-{}", h.version, h.release)
            };
            let epoch = h.epoch.map(|e| e.to_string()).unwrap_or_default();
            let (source_name, source_version) = match h.source() {
                Some((name, vr)) => {
                    let evr = match h.epoch {
                        Some(e) => format!("{e}:{vr}"),
                        None => vr.to_string(),
                    };
                    (Some(name.to_string()), Some(evr))
                }
                None => (None, None),
            };
            packages.push(Package {
                purl: purl(
                    "rpm",
                    Some(namespace),
                    &h.name,
                    &version,
                    &[
                        ("arch", &h.arch),
                        ("epoch", &epoch),
                        ("upstream", &h.source_rpm),
                        ("distro", &distro),
                    ],
                ),
                version: h.evr(),
                name: h.name,
                ecosystem: ecosystem.clone(),
                source_name,
                source_version,
                licenses: if h.license.is_empty() {
                    Vec::new()
                } else {
                    vec![h.license]
                },
                layer: file.layer.map(str::to_string),
                path: file.path.to_string(),
            });
        }
        Ok(packages)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wants_the_three_databases_in_both_places() {
        for path in [
            "var/lib/rpm/rpmdb.sqlite",
            "var/lib/rpm/Packages",
            "usr/lib/sysimage/rpm/Packages.db",
            "usr/lib/sysimage/rpm/rpmdb.sqlite",
        ] {
            assert!(Rpm.wants(path), "{path}");
        }
        assert!(!Rpm.wants("var/lib/rpm/Name"));
        assert!(!Rpm.wants("opt/var/lib/rpm/Packages"));
        assert!(!Rpm.wants("var/lib/rpm/rpmdb.sqlite-wal"));
    }
}

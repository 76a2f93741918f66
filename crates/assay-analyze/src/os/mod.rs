//! Operating-system package databases.

pub mod apk;
pub mod dpkg;
pub mod rpm;

use assay_core::Distro;

use crate::Cataloger;

/// `distro=ID-VERSION_ID`, the purl qualifier Syft and Trivy write for OS packages.
pub(crate) fn distro_qualifier(distro: Option<&Distro>) -> String {
    match distro {
        Some(Distro {
            id,
            version_id: Some(v),
            ..
        }) => format!("{id}-{v}"),
        Some(d) => d.id.clone(),
        None => String::new(),
    }
}

/// Catalogers whose packages are the operating system's own: files these packages install
/// are not reported again as language packages.
pub(crate) const OS_CATALOGERS: &[&str] = &["dpkg", "apk", "rpm"];

/// Files read only to complete OS packages, not catalogued themselves: dpkg's per-package
/// file lists (`info/*.list`, distroless `status.d/*.md5sums`) for file ownership, and
/// `usr/share/doc/PACKAGE/copyright` for declared licenses.
pub(crate) fn auxiliary(path: &str) -> bool {
    if let Some(name) = path.strip_prefix("var/lib/dpkg/info/") {
        return name.ends_with(".list") && !name.contains('/');
    }
    if let Some(name) = path.strip_prefix("var/lib/dpkg/status.d/") {
        return name.ends_with(".md5sums") && !name.contains('/');
    }
    path.strip_prefix("usr/share/doc/")
        .and_then(|rest| rest.strip_suffix("/copyright"))
        .is_some_and(|package| !package.is_empty() && !package.contains('/'))
}

/// Every path (normalised, no leading `/`) an OS package database says it installed: dpkg
/// `.list` files (one absolute path a line) and `.md5sums` (`HASH  path`), apk's
/// `F:` directory and `R:` file lines, and rpm headers' file lists.
pub(crate) fn owned_files(files: &[crate::Found<'_>]) -> std::collections::HashSet<String> {
    let mut owned = std::collections::HashSet::new();
    for found in files {
        let path = found.path;
        if path.starts_with("var/lib/dpkg/info/") && path.ends_with(".list") {
            let text = String::from_utf8_lossy(found.content);
            owned.extend(
                text.lines()
                    .map(|l| l.trim_start_matches('/'))
                    .filter(|l| !l.is_empty())
                    .map(str::to_string),
            );
        } else if path.starts_with("var/lib/dpkg/status.d/") && path.ends_with(".md5sums") {
            let text = String::from_utf8_lossy(found.content);
            owned.extend(
                text.lines()
                    .filter_map(|l| l.split_once("  "))
                    .map(|(_, p)| p.trim_start_matches('/').to_string()),
            );
        } else if apk::Apk.wants(path) {
            let text = String::from_utf8_lossy(found.content);
            let mut dir = "";
            for line in text.lines() {
                if let Some(d) = line.strip_prefix("F:") {
                    dir = d;
                } else if let Some(file) = line.strip_prefix("R:") {
                    owned.insert(if dir.is_empty() {
                        file.to_string()
                    } else {
                        format!("{dir}/{file}")
                    });
                } else if line.is_empty() {
                    dir = "";
                }
            }
        } else if rpm::Rpm.wants(path) {
            owned.extend(rpm::owned_files(path, found.content));
        }
    }
    owned
}

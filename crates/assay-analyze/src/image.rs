//! One walk for every cataloger: collect the final content of each wanted path, then parse.

use std::collections::BTreeMap;

use assay_core::Inventory;
use assay_oci::{
    Entry, EntryKind, FileTree, Image, ImageSource, Layer, Visitor, WalkOptions, Wants,
};

use crate::distro::{OS_RELEASE_PATHS, parse_os_release};
use crate::error::{CatalogError, Error};
use crate::{CATALOGERS, Cataloger, File, Package, os};

/// An image's inventory and what got in the way of it.
#[derive(Debug, Default)]
pub struct Catalog {
    /// Distro and packages, sorted.
    pub inventory: Inventory,
    /// Files that could not be parsed (the others were catalogued).
    pub problems: Vec<CatalogError>,
    /// The walker's warnings (odd layers, files too large to read).
    pub warnings: Vec<assay_oci::Warning>,
}

/// Walks `image` once with every cataloger of [`CATALOGERS`] and builds its inventory from
/// the final state: for each wanted path, the content of the last layer that wrote it,
/// unless a later layer deleted or replaced it.
pub fn catalog_image(
    source: &dyn ImageSource,
    image: &Image,
    options: &WalkOptions,
) -> Result<Catalog, Error> {
    catalog_image_with(source, image, options, &NoWants, &mut assay_oci::NoVisitor)
        .map(|(catalog, _)| catalog)
}

/// [`catalog_image`] sharing its walk with another analysis (the content scanners of
/// [`crate::content`]): `also_wants` adds to what is read, `also` sees every layer, entry
/// and deletion, and only the files `also_wants` asked for. Returns the squashed tree too.
pub fn catalog_image_with(
    source: &dyn ImageSource,
    image: &Image,
    options: &WalkOptions,
    also_wants: &dyn Wants,
    also: &mut dyn Visitor,
) -> Result<(Catalog, FileTree), Error> {
    let wants = AnyCataloger(CATALOGERS);
    let mut collector = Collector::default();
    let mut tee = Tee {
        collector: &mut collector,
        also,
    };
    let walk = assay_oci::walk(source, image, &[&wants, also_wants], &mut tee, options)?;
    let files = collector.files.iter().map(|(path, found)| Found {
        path,
        content: &found.content,
        layer: found.diff_id.as_deref(),
    });
    let early = std::mem::take(&mut collector.early);
    let (inventory, mut problems) = catalog_found(CATALOGERS, files, early);
    if inventory.distro.is_none() {
        problems.extend(unread_os_release(&walk.tree));
    }
    let catalog = Catalog {
        inventory,
        problems,
        warnings: walk.warnings,
    };
    Ok((catalog, walk.tree))
}

/// Why the distro is unknown although `os-release` is there: it is a link that loops, leads
/// nowhere, or leads to a file the walk does not read (only [`OS_RELEASE_PATHS`] are read).
/// Without this an image whose `os-release` is a hostile link would be catalogued as one
/// without a distro, silently, and its OS packages matched against no distro's advisories.
fn unread_os_release(tree: &FileTree) -> Option<CatalogError> {
    OS_RELEASE_PATHS.iter().find_map(|path| {
        if !matches!(tree.get(path)?.kind, EntryKind::Symlink { .. }) {
            return None;
        }
        let why = match tree.resolve(path) {
            Err(_) => format!(
                "a link that loops (more than {} hops); the distribution is unknown",
                assay_oci::MAX_SYMLINK_HOPS
            ),
            Ok(None) => "a link to nothing; the distribution is unknown".to_string(),
            Ok(Some(target)) if !OS_RELEASE_PATHS.contains(&target.path.as_str()) => format!(
                "a link to {}, which is not read; the distribution is unknown",
                target.path
            ),
            Ok(Some(_)) => return None,
        };
        Some(CatalogError::Format {
            path: (*path).to_string(),
            why,
        })
    })
}

/// Wants nothing.
struct NoWants;

impl Wants for NoWants {
    fn wants(&self, _path: &str) -> bool {
        false
    }
}

/// Hands the walk to the catalogers' collector (wants index 0) and to another visitor
/// (index 1), each getting only the files it asked for.
struct Tee<'a> {
    collector: &'a mut Collector,
    also: &'a mut dyn Visitor,
}

impl Visitor for Tee<'_> {
    fn layer(&mut self, layer: &Layer) {
        self.also.layer(layer);
    }

    fn entry(&mut self, layer: &Layer, entry: &Entry) {
        self.also.entry(layer, entry);
    }

    fn file(&mut self, layer: &Layer, entry: &Entry, content: &[u8], wanted_by: &[usize]) {
        if wanted_by.contains(&0) {
            self.collector.file(layer, entry, content, &[0]);
        }
        if wanted_by.contains(&1) {
            self.also.file(layer, entry, content, &[0]);
        }
    }

    fn deleted(&mut self, by: &Layer, entry: &Entry) {
        self.collector.deleted(by, entry);
        self.also.deleted(by, entry);
    }

    fn finish(&mut self, tree: &FileTree) {
        self.collector.finish(tree);
        self.also.finish(tree);
    }
}

/// One file's final content, for [`catalog_files`].
#[derive(Debug, Clone, Copy)]
pub struct Found<'a> {
    /// Normalised path.
    pub path: &'a str,
    /// Content.
    pub content: &'a [u8],
    /// diff_id of the layer it came from.
    pub layer: Option<&'a str>,
}

/// Catalogs already-squashed files (what [`catalog_image`] does after its walk): reads the
/// distro from `os-release`, then hands each file to every cataloger that wants it.
///
/// Files an OS package installed (dpkg `.list`/`.md5sums`, apk `R:` lines, rpm file lists)
/// are not handed to language catalogers: a Debian `python3-six` is reported once, as the
/// dpkg package, not again from its `dist-info`. dpkg packages get the licenses their
/// machine-readable `usr/share/doc/PACKAGE/copyright` declares.
pub fn catalog_files<'a>(
    catalogers: &[&dyn Cataloger],
    files: impl IntoIterator<Item = Found<'a>>,
) -> (Inventory, Vec<CatalogError>) {
    catalog_found(catalogers, files, BTreeMap::new())
}

/// [`catalog_files`] plus the results of catalogers already run during the walk ([`Early`]).
fn catalog_found<'a>(
    catalogers: &[&dyn Cataloger],
    files: impl IntoIterator<Item = Found<'a>>,
    early: BTreeMap<String, Early>,
) -> (Inventory, Vec<CatalogError>) {
    let files: Vec<Found<'a>> = files.into_iter().collect();
    let owned = os::owned_files(&files);
    let copyrights: std::collections::HashMap<&str, &[u8]> = files
        .iter()
        .filter_map(|f| {
            let package = f
                .path
                .strip_prefix("usr/share/doc/")?
                .strip_suffix("/copyright")?;
            Some((package, f.content))
        })
        .collect();
    let distro = OS_RELEASE_PATHS.iter().find_map(|wanted| {
        let found = files.iter().find(|f| f.path == *wanted)?;
        parse_os_release(&String::from_utf8_lossy(found.content))
    });
    let mut packages = Vec::new();
    let mut problems = Vec::new();
    for found in &files {
        let file = File {
            path: found.path,
            content: found.content,
            layer: found.layer,
            distro: distro.as_ref(),
        };
        let os_owned = owned.contains(found.path);
        for cataloger in catalogers.iter().filter(|c| c.wants(found.path)) {
            let is_os = os::OS_CATALOGERS.contains(&cataloger.name());
            if os_owned && !is_os {
                continue;
            }
            match cataloger.catalog(&file) {
                Ok(mut found) => {
                    if cataloger.name() == "dpkg" {
                        for package in found.iter_mut().filter(|p| p.licenses.is_empty()) {
                            if let Some(copyright) = copyrights.get(package.name.as_str()) {
                                package.licenses = os::dpkg::copyright_licenses(copyright);
                            }
                        }
                    }
                    packages.extend(found);
                }
                Err(e) => problems.push(e),
            }
        }
    }
    for (path, parsed) in early {
        if !owned.contains(&path) {
            packages.extend(parsed.packages);
            problems.extend(parsed.problems);
        }
    }
    for package in &mut packages {
        package.licenses = spdx_licenses(std::mem::take(&mut package.licenses));
    }
    let mut inventory = Inventory::new(distro, packages);
    inventory.dependencies = crate::deps::dependencies(&files);
    (inventory, problems)
}

/// Declared licenses as SPDX expressions where they map to one
/// ([`crate::license::to_spdx`]: Debian's `GPL-2+` is `GPL-2.0-or-later`, `MIT License` is
/// `MIT`), the text as written otherwise; empty ones dropped, duplicates after mapping
/// dropped. SBOMs then carry SPDX ids and expressions rather than each ecosystem's spelling.
fn spdx_licenses(declared: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(declared.len());
    for license in declared {
        if license.trim().is_empty() {
            continue;
        }
        let mapped = crate::license::to_spdx(&license).unwrap_or(license);
        if !out.contains(&mapped) {
            out.push(mapped);
        }
    }
    out
}

/// Wants what any cataloger wants, and `os-release`.
struct AnyCataloger(&'static [&'static dyn Cataloger]);

impl Wants for AnyCataloger {
    fn wants(&self, path: &str) -> bool {
        OS_RELEASE_PATHS.contains(&path)
            || os::auxiliary(path)
            || self.0.iter().any(|c| c.wants(path))
    }
}

struct Content {
    layer: usize,
    diff_id: Option<String>,
    content: Vec<u8>,
}

/// Catalogers that never need the distro and read large files (executables, archives):
/// they run as soon as the walk hands over a file, so the collector keeps their few packages
/// instead of every binary's bytes until the walk ends.
const EARLY: &[&str] = &["go-binary", "cargo-auditable", "java-archive"];

/// What the [`EARLY`] catalogers found in one file.
struct Early {
    layer: usize,
    packages: Vec<Package>,
    problems: Vec<CatalogError>,
}

/// Keeps the latest content of each wanted path (or, for [`EARLY`] catalogers' files, what
/// they found in it); drops what later layers delete.
#[derive(Default)]
struct Collector {
    files: BTreeMap<String, Content>,
    early: BTreeMap<String, Early>,
}

impl Visitor for Collector {
    fn file(&mut self, layer: &Layer, entry: &Entry, content: &[u8], _wanted_by: &[usize]) {
        let wanting: Vec<&dyn Cataloger> = CATALOGERS
            .iter()
            .copied()
            .filter(|c| c.wants(&entry.path))
            .collect();
        let diff_id = layer.diff_id.as_ref().map(ToString::to_string);
        if !wanting.is_empty()
            && wanting.iter().all(|c| EARLY.contains(&c.name()))
            && !os::auxiliary(&entry.path)
            && !OS_RELEASE_PATHS.contains(&entry.path.as_str())
        {
            let file = File {
                path: &entry.path,
                content,
                layer: diff_id.as_deref(),
                distro: None,
            };
            let mut parsed = Early {
                layer: layer.index,
                packages: Vec::new(),
                problems: Vec::new(),
            };
            for cataloger in wanting {
                match cataloger.catalog(&file) {
                    Ok(found) => parsed.packages.extend(found),
                    Err(e) => parsed.problems.push(e),
                }
            }
            self.files.remove(&entry.path);
            self.early.insert(entry.path.clone(), parsed);
            return;
        }
        self.early.remove(&entry.path);
        let found = Content {
            layer: layer.index,
            diff_id,
            content: content.to_vec(),
        };
        self.files.insert(entry.path.clone(), found);
    }

    fn deleted(&mut self, _by: &Layer, entry: &Entry) {
        if self
            .files
            .get(&entry.path)
            .is_some_and(|f| f.layer == entry.layer)
        {
            self.files.remove(&entry.path);
        }
        if self
            .early
            .get(&entry.path)
            .is_some_and(|f| f.layer == entry.layer)
        {
            self.early.remove(&entry.path);
        }
    }

    fn finish(&mut self, tree: &FileTree) {
        // The tree decides: a path still there, still a file, still from the same layer.
        self.files.retain(|path, found| {
            tree.get(path).is_some_and(|e| {
                e.layer == found.layer
                    && matches!(e.kind, EntryKind::File | EntryKind::Hardlink { .. })
            })
        });
        self.early.retain(|path, found| {
            tree.get(path).is_some_and(|e| {
                e.layer == found.layer
                    && matches!(e.kind, EntryKind::File | EntryKind::Hardlink { .. })
            })
        });
    }
}

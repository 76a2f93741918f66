//! One walk for every cataloger: collect the final content of each wanted path, then parse.

use std::collections::BTreeMap;

use assay_core::Inventory;
use assay_oci::{
    Entry, EntryKind, FileTree, Image, ImageSource, Layer, Visitor, WalkOptions, Wants,
};

use crate::distro::{OS_RELEASE_PATHS, parse_os_release};
use crate::error::{CatalogError, Error};
use crate::{CATALOGERS, Cataloger, File};

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
    let wants = AnyCataloger(CATALOGERS);
    let mut collector = Collector::default();
    let walk = assay_oci::walk(source, image, &[&wants], &mut collector, options)?;
    let files = collector.files.iter().map(|(path, found)| Found {
        path,
        content: &found.content,
        layer: found.diff_id.as_deref(),
    });
    let (inventory, problems) = catalog_files(CATALOGERS, files);
    Ok(Catalog {
        inventory,
        problems,
        warnings: walk.warnings,
    })
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
pub fn catalog_files<'a>(
    catalogers: &[&dyn Cataloger],
    files: impl IntoIterator<Item = Found<'a>>,
) -> (Inventory, Vec<CatalogError>) {
    let files: Vec<Found<'a>> = files.into_iter().collect();
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
        for cataloger in catalogers.iter().filter(|c| c.wants(found.path)) {
            match cataloger.catalog(&file) {
                Ok(found) => packages.extend(found),
                Err(e) => problems.push(e),
            }
        }
    }
    (Inventory::new(distro, packages), problems)
}

/// Wants what any cataloger wants, and `os-release`.
struct AnyCataloger(&'static [&'static dyn Cataloger]);

impl Wants for AnyCataloger {
    fn wants(&self, path: &str) -> bool {
        OS_RELEASE_PATHS.contains(&path) || self.0.iter().any(|c| c.wants(path))
    }
}

struct Content {
    layer: usize,
    diff_id: Option<String>,
    content: Vec<u8>,
}

/// Keeps the latest content of each wanted path; drops what later layers delete.
#[derive(Default)]
struct Collector {
    files: BTreeMap<String, Content>,
}

impl Visitor for Collector {
    fn file(&mut self, layer: &Layer, entry: &Entry, content: &[u8], _wanted_by: &[usize]) {
        let found = Content {
            layer: layer.index,
            diff_id: layer.diff_id.as_ref().map(ToString::to_string),
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
    }

    fn finish(&mut self, tree: &FileTree) {
        // The tree decides: a path still there, still a file, still from the same layer.
        self.files.retain(|path, found| {
            tree.get(path).is_some_and(|e| {
                e.layer == found.layer
                    && matches!(e.kind, EntryKind::File | EntryKind::Hardlink { .. })
            })
        });
    }
}

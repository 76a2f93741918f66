//! Shared by the integration tests: a recording visitor and one-call open + walk.
#![allow(clippy::unwrap_used, dead_code)]

use std::path::Path;

use assay_oci::testing::{ImageSpec, LayoutBuilder};
use assay_oci::{
    Entry, Error, FileTree, Image, ImageSource, Layer, Limits, OciLayout, Visitor, Walk,
    WalkOptions, Wants, walk,
};

/// Wants paths by a predicate.
pub struct Want<F: Fn(&str) -> bool + Sync>(pub F);

impl<F: Fn(&str) -> bool + Sync> Wants for Want<F> {
    fn wants(&self, path: &str) -> bool {
        (self.0)(path)
    }
}

/// Everything a visitor was told, in order.
#[derive(Debug, Default)]
pub struct Recorder {
    pub events: Vec<String>,
    pub entries: Vec<(usize, Entry)>,
    pub files: Vec<(usize, String, Vec<u8>, Vec<usize>)>,
    pub deleted: Vec<(usize, Entry)>,
    pub tree: Option<FileTree>,
}

impl Visitor for Recorder {
    fn layer(&mut self, layer: &Layer) {
        self.events.push(format!("layer {}", layer.index));
    }
    fn entry(&mut self, layer: &Layer, entry: &Entry) {
        self.events
            .push(format!("entry {} {}", layer.index, entry.path));
        self.entries.push((layer.index, entry.clone()));
    }
    fn file(&mut self, layer: &Layer, entry: &Entry, content: &[u8], wanted_by: &[usize]) {
        self.events
            .push(format!("file {} {}", layer.index, entry.path));
        self.files.push((
            layer.index,
            entry.path.clone(),
            content.to_vec(),
            wanted_by.to_vec(),
        ));
    }
    fn deleted(&mut self, by: &Layer, entry: &Entry) {
        self.events.push(format!(
            "deleted {} {} (from {})",
            by.index, entry.path, entry.layer
        ));
        self.deleted.push((by.index, entry.clone()));
    }
    fn finish(&mut self, tree: &FileTree) {
        self.tree = Some(tree.clone());
    }
}

/// Writes `image` as an untagged layout in `dir`.
pub fn layout_of(dir: &Path, image: ImageSpec) -> OciLayout {
    LayoutBuilder::new().image(None, image).write(dir);
    OciLayout::open(dir, None).unwrap()
}

/// Opens and walks with `wants`, recording.
pub fn walk_with(
    source: &dyn ImageSource,
    wants: &[&dyn Wants],
    options: &WalkOptions,
) -> (Result<Walk, Error>, Recorder) {
    let mut recorder = Recorder::default();
    let image = match Image::open(source, None, &Limits::default()) {
        Ok(image) => image,
        Err(e) => return (Err(e), recorder),
    };
    let result = walk(source, &image, wants, &mut recorder, options);
    (result, recorder)
}

/// Builds a one-image layout in a temp dir and walks it with default options.
pub fn walk_image(image: ImageSpec, wants: &[&dyn Wants]) -> (Result<Walk, Error>, Recorder) {
    walk_image_with(image, wants, &WalkOptions::default())
}

/// Same, with options.
pub fn walk_image_with(
    image: ImageSpec,
    wants: &[&dyn Wants],
    options: &WalkOptions,
) -> (Result<Walk, Error>, Recorder) {
    let dir = tempfile::tempdir().unwrap();
    let layout = layout_of(dir.path(), image);
    walk_with(&layout, wants, options)
}

//! Writing OCI image layouts, and the index documents they (and registries) hold.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use super::{BuiltImage, ImageSpec};
use crate::digest::Digest;
use crate::manifest::{ANNOTATION_REF_NAME, Descriptor, Index};
use crate::media_type;

#[derive(Debug, Clone)]
enum Item {
    Image {
        tag: Option<String>,
        image: ImageSpec,
    },
    Index {
        tag: Option<String>,
        images: Vec<ImageSpec>,
        depth: usize,
    },
    Platforms(Vec<ImageSpec>),
}

/// Builds an OCI layout: tagged or untagged images, multi-platform indexes (nested in a
/// blob, as skopeo writes them, or listed directly in `index.json`).
#[derive(Debug, Clone, Default)]
pub struct LayoutBuilder {
    items: Vec<Item>,
}

/// What a layout holds, for assertions and tampering.
#[derive(Debug, Clone, Default)]
pub struct Written {
    /// Every image written, in the order added.
    pub images: Vec<BuiltImage>,
    /// Digests of the index blobs written (not `index.json`).
    pub indexes: Vec<Digest>,
}

impl LayoutBuilder {
    /// An empty layout.
    pub fn new() -> LayoutBuilder {
        LayoutBuilder::default()
    }

    /// An image entry in `index.json`, tagged with `org.opencontainers.image.ref.name` if
    /// `tag` is given; like skopeo, the entry has no platform.
    pub fn image(mut self, tag: Option<&str>, image: ImageSpec) -> LayoutBuilder {
        self.items.push(Item::Image {
            tag: tag.map(str::to_string),
            image,
        });
        self
    }

    /// A multi-platform index blob referenced from `index.json`.
    pub fn index(self, tag: Option<&str>, images: Vec<ImageSpec>) -> LayoutBuilder {
        self.nested_index(tag, images, 1)
    }

    /// An index wrapped in `depth - 1` further single-entry indexes.
    pub fn nested_index(
        mut self,
        tag: Option<&str>,
        images: Vec<ImageSpec>,
        depth: usize,
    ) -> LayoutBuilder {
        self.items.push(Item::Index {
            tag: tag.map(str::to_string),
            images,
            depth,
        });
        self
    }

    /// Platform manifests listed directly in `index.json`, untagged.
    pub fn platforms(mut self, images: Vec<ImageSpec>) -> LayoutBuilder {
        self.items.push(Item::Platforms(images));
        self
    }

    /// Writes the layout into `dir` (created if missing).
    pub fn write(&self, dir: &Path) -> Written {
        let mut written = Written::default();
        let mut top = Vec::new();
        let mut blobs: Vec<(Digest, Vec<u8>)> = Vec::new();
        let tagged = |mut d: Descriptor, tag: &Option<String>| {
            if let Some(tag) = tag {
                d.annotations
                    .insert(ANNOTATION_REF_NAME.into(), tag.clone());
            }
            d
        };
        for item in &self.items {
            match item {
                Item::Image { tag, image } => {
                    let built = image.build();
                    blobs.extend(built.blobs());
                    let mut desc = built.manifest.clone();
                    desc.platform = None;
                    top.push(tagged(desc, tag));
                    written.images.push(built);
                }
                Item::Platforms(images) => {
                    for image in images {
                        let built = image.build();
                        blobs.extend(built.blobs());
                        top.push(built.manifest.clone());
                        written.images.push(built);
                    }
                }
                Item::Index { tag, images, depth } => {
                    let mut manifests = Vec::new();
                    for image in images {
                        let built = image.build();
                        blobs.extend(built.blobs());
                        manifests.push(built.manifest.clone());
                        written.images.push(built);
                    }
                    let mut desc = None;
                    for _ in 0..(*depth).max(1) {
                        let (d, bytes) = index_blob(manifests);
                        blobs.push((d.digest.clone(), bytes));
                        written.indexes.push(d.digest.clone());
                        manifests = vec![d.clone()];
                        desc = Some(d);
                    }
                    if let Some(desc) = desc {
                        top.push(tagged(desc, tag));
                    }
                }
            }
        }
        let blob_dir = dir.join("blobs").join("sha256");
        fs::create_dir_all(&blob_dir).expect("create layout dir");
        for (digest, bytes) in blobs {
            fs::write(blob_dir.join(digest.hex()), bytes).expect("write blob");
        }
        fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#)
            .expect("write oci-layout");
        let index = Index {
            schema_version: 2,
            media_type: Some(media_type::OCI_INDEX.into()),
            manifests: top,
            annotations: BTreeMap::new(),
        };
        fs::write(
            dir.join("index.json"),
            serde_json::to_vec(&index).expect("index serialises"),
        )
        .expect("write index.json");
        written
    }
}

/// An index blob listing `manifests`.
pub fn index_blob(manifests: Vec<Descriptor>) -> (Descriptor, Vec<u8>) {
    let index = Index {
        schema_version: 2,
        media_type: Some(media_type::OCI_INDEX.into()),
        manifests,
        annotations: BTreeMap::new(),
    };
    let bytes = serde_json::to_vec(&index).expect("index serialises");
    (
        Descriptor::new(
            media_type::OCI_INDEX,
            Digest::sha256_of(&bytes),
            bytes.len() as u64,
        ),
        bytes,
    )
}

/// Where a layout keeps the blob `digest`.
pub fn blob_path(dir: &Path, digest: &Digest) -> PathBuf {
    dir.join("blobs")
        .join(digest.algorithm().as_str())
        .join(digest.hex())
}

//! The layer walker on one hostile layer: the first byte picks how the rest becomes the
//! layer blob (a plain tar; the rest gzip- or zstd-compressed by the fuzz harness, so the tar
//! structure is what mutates; or the rest taken as a gzip or zstd stream, so the
//! decompressors see mutated bytes). The image around it is built in memory, served by an
//! in-memory `ImageSource`, opened and walked with every file wanted; then every path of
//! the squashed tree is resolved through its symlinks. Any layer gives a walk or an error.
//!
//! Limits are tighter than the defaults (64 MiB uncompressed, 100,000 entries, 1 MiB per
//! file read) so a bomb costs the fuzzer milliseconds, not minutes; the code paths that
//! enforce them are the same.
#![no_main]

use std::collections::HashMap;
use std::io::Cursor;

use assay_oci::media_type::{self, Compression};
use assay_oci::testing::{ImageSpec, LayerBlob, compress};
use assay_oci::{
    BlobReader, BlobSource, Digest, Error, FileTree, Image, ImageSource, Limits, Root, Visitor,
    WalkOptions, Wants, walk,
};
use libfuzzer_sys::fuzz_target;

#[derive(Debug)]
struct Memory {
    blobs: HashMap<Digest, Vec<u8>>,
    root: assay_oci::Descriptor,
}

impl BlobSource for Memory {
    fn open_blob(&self, digest: &Digest) -> Result<BlobReader<'_>, Error> {
        match self.blobs.get(digest) {
            Some(bytes) => Ok(Box::new(Cursor::new(bytes.as_slice()))),
            None => Err(Error::BlobNotFound {
                digest: digest.clone(),
                image: "memory".into(),
            }),
        }
    }
}

impl ImageSource for Memory {
    fn name(&self) -> &str {
        "memory"
    }
    fn root(&self) -> Result<Root, Error> {
        Ok(Root::Blob(self.root.clone()))
    }
}

struct Everything;

impl Wants for Everything {
    fn wants(&self, _path: &str) -> bool {
        true
    }
}

struct Resolve;

impl Visitor for Resolve {
    fn finish(&mut self, tree: &FileTree) {
        for entry in tree.iter() {
            let _ = tree.resolve(&entry.path);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let (bytes, media) = match pick % 5 {
        0 => (rest.to_vec(), media_type::OCI_LAYER),
        1 => (
            compress(rest, Compression::Gzip),
            media_type::OCI_LAYER_GZIP,
        ),
        2 => (
            compress(rest, Compression::Zstd),
            media_type::OCI_LAYER_ZSTD,
        ),
        3 => (rest.to_vec(), media_type::OCI_LAYER_GZIP),
        _ => (rest.to_vec(), media_type::OCI_LAYER_ZSTD),
    };
    // The diff_id claims the sha256 of the bytes as given; checking it is switched off below
    // for the compressed cases, where it cannot match.
    let diff_id = Digest::sha256_of(&bytes);
    let built = ImageSpec::new()
        .raw_layer(LayerBlob::raw(bytes, media, diff_id))
        .build();
    let source = Memory {
        blobs: built.blobs().into_iter().collect(),
        root: built.manifest.clone(),
    };
    let limits = Limits {
        max_layer_uncompressed: 64 << 20,
        max_file_read: 1 << 20,
        max_entries: 100_000,
        ..Limits::default()
    };
    let Ok(image) = Image::open(&source, None, &limits) else {
        return;
    };
    let options = WalkOptions {
        limits,
        threads: 1,
        verify_diff_ids: pick % 5 == 0,
        progress: None,
    };
    let _ = walk(&source, &image, &[&Everything], &mut Resolve, &options);
});

//! The capability traits every image source implements, in go-containerregistry's spirit:
//! a source hands out blobs by digest and names its root; everything else (platform choice,
//! verification, parsing) is written once on top, in [`crate::image`].

use std::fmt;
use std::io::Read;
use std::path::Path;

use crate::digest::Digest;
use crate::error::Error;
use crate::image::Layer;
use crate::manifest::{Descriptor, Index};
use crate::verify::VerifyingReader;

/// A raw blob stream; callers verify it (see [`read_verified`]).
pub type BlobReader<'a> = Box<dyn Read + Send + 'a>;

/// Something that stores blobs by digest.
pub trait BlobSource: Send + Sync {
    /// Opens the blob's raw bytes. Implementations do not verify; the caller wraps the
    /// stream in a [`VerifyingReader`], so the check cannot be forgotten per source.
    fn open_blob(&self, digest: &Digest) -> Result<BlobReader<'_>, Error>;

    /// Opens a manifest or index by digest. Registries serve these apart from blobs; layouts
    /// and archives keep them with the blobs, hence the default.
    fn open_manifest(&self, digest: &Digest) -> Result<BlobReader<'_>, Error> {
        self.open_blob(digest)
    }
}

/// Where an image's resolution starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Root {
    /// A content-addressed manifest or index.
    Blob(Descriptor),
    /// An index that is not itself a blob: a layout's `index.json`, trusted as the local
    /// starting point (it has no digest to check).
    Index(Index),
}

/// An image source: blobs plus the root the user named.
pub trait ImageSource: BlobSource + fmt::Debug {
    /// How the user named it, for messages (`oci:/tmp/img:v1`).
    fn name(&self) -> &str;

    /// The manifest or index to start from.
    fn root(&self) -> Result<Root, Error>;

    /// For sources whose layers are directories rather than blobs (`dir:`), the directory
    /// to walk in place for `layer`. Blob-backed sources keep the default.
    fn layer_dir(&self, _layer: &Layer) -> Option<&Path> {
        None
    }

    /// Whether reading a blob again may give other bytes. True for registries, where a
    /// proxy or a mirror can hand out a corrupt copy once: the walker then reads a layer
    /// whose digest did not match again (it cannot ask its reader to, as a small blob's
    /// source does, because the walker has already consumed the bytes). Files on disk give
    /// the same bytes every time.
    fn refetches(&self) -> bool {
        false
    }
}

/// Reads a whole small blob (a config), refusing more than `limit` bytes and checking its
/// digest and size.
pub fn read_verified(
    source: &dyn BlobSource,
    desc: &Descriptor,
    what: &str,
    limit: u64,
) -> Result<Vec<u8>, Error> {
    check_size(desc, what, limit)?;
    read_all(source.open_blob(&desc.digest)?, desc, what)
}

/// [`read_verified`] for a manifest or index, fetched with [`BlobSource::open_manifest`].
pub fn read_manifest(
    source: &dyn BlobSource,
    desc: &Descriptor,
    what: &str,
    limit: u64,
) -> Result<Vec<u8>, Error> {
    check_size(desc, what, limit)?;
    read_all(source.open_manifest(&desc.digest)?, desc, what)
}

fn check_size(desc: &Descriptor, what: &str, limit: u64) -> Result<(), Error> {
    if desc.size > limit {
        return Err(Error::LimitExceeded {
            what: what.to_string(),
            limit,
            layer: None,
        });
    }
    Ok(())
}

fn read_all(raw: BlobReader<'_>, desc: &Descriptor, what: &str) -> Result<Vec<u8>, Error> {
    let mut reader = VerifyingReader::new(raw, desc.digest.clone(), Some(desc.size));
    let mut bytes = Vec::with_capacity(usize::try_from(desc.size.min(1 << 20)).unwrap_or(0));
    let result = reader.read_to_end(&mut bytes).and_then(|_| reader.finish());
    match result {
        Ok(_) => Ok(bytes),
        Err(e) => Err(Error::from_stream(e, what, None, |source| Error::Read {
            what: what.to_string(),
            source,
        })),
    }
}

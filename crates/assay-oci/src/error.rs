//! The crate's error type. Every variant names the object it is about (file, digest, image,
//! layer) because the CLI adds no context of its own beyond the target.

use std::io;
use std::path::PathBuf;

use crate::digest::Digest;
use crate::verify::StreamError;

/// Errors from opening images and walking their layers.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file of a layout, archive or root filesystem could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// The registry refused or failed a request.
    #[error("registry error for {reference}: {source}")]
    Registry {
        /// The image reference (with the digest, for blob requests).
        reference: String,
        /// The client's error.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A blob or document could not be read (an I/O error that is not about a file path).
    #[error("reading {what}: {source}")]
    Read {
        /// What was being read (`layer sha256:...`).
        what: String,
        /// The I/O error.
        source: io::Error,
    },
    /// A blob, manifest or config did not hash to its digest. Never downgraded to a warning:
    /// the bytes are not the image that was named.
    #[error("digest mismatch for {what}: expected {expected}, got {actual}")]
    DigestMismatch {
        /// What was read (`layer sha256:...`, `config of oci:img:v1`).
        what: String,
        /// The digest it should have.
        expected: Digest,
        /// The digest of what was read.
        actual: Digest,
    },
    /// A blob was shorter or longer than its descriptor said.
    #[error("size mismatch for {what}: expected {expected} bytes, read {actual}")]
    SizeMismatch {
        /// What was read.
        what: String,
        /// The descriptor's size.
        expected: u64,
        /// Bytes read (for a longer blob, where reading stopped).
        actual: u64,
    },
    /// A configured limit was hit (decompression bomb, huge header, too many entries).
    #[error("{what} exceeds the limit of {limit}{}", layer.as_ref().map(|l| format!(" in layer {l}")).unwrap_or_default())]
    LimitExceeded {
        /// What grew too large.
        what: String,
        /// The limit.
        limit: u64,
        /// The layer, when the limit is a layer's.
        layer: Option<Digest>,
    },
    /// A layer's compressed stream or tar ended early, e.g. a header claiming more data than
    /// the blob holds.
    #[error("layer {layer} is truncated: {detail}")]
    Truncated {
        /// The layer.
        layer: Digest,
        /// What ended early.
        detail: String,
    },
    /// A layer's bytes are not a valid compressed tar.
    #[error("layer {layer} is corrupt: {source}")]
    CorruptLayer {
        /// The layer.
        layer: Digest,
        /// The decoder's or tar reader's error.
        source: io::Error,
    },
    /// A blob named by a manifest is not in the layout or archive.
    #[error("blob {digest} not found in {image}")]
    BlobNotFound {
        /// The missing blob.
        digest: Digest,
        /// The image source.
        image: String,
    },
    /// A manifest, index, config or archive manifest is not valid JSON of its kind.
    #[error("{what}: invalid JSON: {source}")]
    Json {
        /// The document.
        what: String,
        /// The parser's error.
        source: serde_json::Error,
    },
    /// A layout or archive breaks its format in some other way.
    #[error("{what}: {why}")]
    Invalid {
        /// The file or document.
        what: String,
        /// What is wrong.
        why: String,
    },
    /// A manifest or layer of a type assay does not read (encrypted layers, artifacts).
    #[error("{what} has media type {media_type:?}, which assay cannot read")]
    UnsupportedMediaType {
        /// The blob.
        what: String,
        /// Its media type.
        media_type: String,
    },
    /// The tag named in `oci:DIR:TAG` or an archive reference is not there.
    #[error("no image tagged {tag:?} in {image}; available: {}", list(available))]
    TagNotFound {
        /// The source.
        image: String,
        /// The tag asked for.
        tag: String,
        /// The tags that exist.
        available: Vec<String>,
    },
    /// A layout or archive holds several images and none was named.
    #[error(
        "{image} holds several images, name one; available: {}",
        list(available)
    )]
    AmbiguousImage {
        /// The source.
        image: String,
        /// Tags or names of the images.
        available: Vec<String>,
    },
    /// The index has no manifest for the wanted platform.
    #[error(
        "no {wanted} image in {image}; available platforms: {}",
        list(available)
    )]
    PlatformNotFound {
        /// The index.
        image: String,
        /// The platform asked for (or the default).
        wanted: String,
        /// The platforms the index offers.
        available: Vec<String>,
    },
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_string()
    } else {
        items.join(", ")
    }
}

impl Error {
    /// Turns an I/O error from a stream of `what` into a typed error: a digest, size or limit
    /// failure raised inside the reader stack keeps its type; anything else becomes
    /// `fallback`.
    pub(crate) fn from_stream(
        err: io::Error,
        what: &str,
        layer: Option<&Digest>,
        fallback: impl FnOnce(io::Error) -> Error,
    ) -> Error {
        match find_stream_error(&err) {
            Some(StreamError::DigestMismatch { expected, actual }) => Error::DigestMismatch {
                what: what.to_string(),
                expected: expected.clone(),
                actual: actual.clone(),
            },
            Some(StreamError::SizeMismatch { expected, actual }) => Error::SizeMismatch {
                what: what.to_string(),
                expected: *expected,
                actual: *actual,
            },
            Some(StreamError::LimitExceeded {
                what: limited,
                limit,
            }) => Error::LimitExceeded {
                what: limited.clone(),
                limit: *limit,
                layer: layer.cloned(),
            },
            None => fallback(err),
        }
    }
}

/// Whether a digest or size check inside a reader stack failed.
pub(crate) fn is_mismatch(err: &io::Error) -> bool {
    matches!(
        find_stream_error(err),
        Some(StreamError::DigestMismatch { .. } | StreamError::SizeMismatch { .. })
    )
}

/// Looks through an I/O error (and what the tar reader wrapped it in) for our stream error.
pub(crate) fn find_stream_error(err: &io::Error) -> Option<&StreamError> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = err.get_ref().map(|e| e as _);
    for _ in 0..8 {
        let e = current?;
        if let Some(found) = e.downcast_ref::<StreamError>() {
            return Some(found);
        }
        current = match e.downcast_ref::<io::Error>() {
            Some(io) => io.get_ref().map(|e| e as _),
            None => e.source(),
        };
    }
    None
}

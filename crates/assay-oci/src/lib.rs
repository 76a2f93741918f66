//! Container images for assay: naming them, opening them from an OCI layout, a `docker save`
//! archive or a root filesystem directory, and walking their layers once.
//!
//! The design follows go-containerregistry's small capability traits: a source
//! ([`ImageSource`]) only hands out blobs by digest and names its root; resolving the index,
//! choosing the platform and checking every digest is written once in [`Image::open`], and
//! the layer walker ([`walk()`]) is shared by every source. Blobs are streamed through
//! [`VerifyingReader`], so a digest mismatch is an error wherever bytes are read.
//!
//! The walker never writes to disk: it builds a squashed [`FileTree`] of metadata and reads
//! the content of only the files an analyzer asked for ([`Wants`]), in the same pass. Layers
//! are decompressed in parallel and merged in layer order, so results are deterministic.
//! Hostile layers (`..` paths, link escapes, devices, bombs, lying headers) yield warnings or
//! typed errors bounded by [`Limits`]; nothing panics.
#![deny(missing_docs)]

mod archive;
#[cfg(feature = "remote")]
mod artifact;
pub mod base_image;
mod config;
#[cfg(feature = "remote")]
pub mod copy;
#[cfg(feature = "remote")]
mod credentials;
mod digest;
mod error;
mod image;
mod layout;
mod limits;
pub mod manifest;
pub mod media_type;
mod path;
pub mod platform;
mod reference;
#[cfg(feature = "remote")]
mod remote;
mod rootfs;
mod source;
mod tree;
mod verify;
mod walk;

#[cfg(feature = "testing")]
pub mod testing;

pub use archive::DockerArchive;
#[cfg(feature = "remote")]
pub use artifact::{ArtifactManifest, EMPTY_CONFIG, EMPTY_CONFIG_DATA, Repository};
pub use config::{History, ImageConfig, RootFs, RuntimeConfig};
#[cfg(feature = "remote")]
pub use credentials::{Credential, CredentialError, Credentials};
pub use digest::{Algorithm, Digest, DigestError};
pub use error::Error;
pub use image::{Image, Layer};
pub use layout::OciLayout;
pub use limits::Limits;
pub use manifest::{Descriptor, Index, Manifest};
pub use platform::{Platform, PlatformParseError};
pub use reference::{DEFAULT_REGISTRY, Reference, ReferenceError};
#[cfg(feature = "remote")]
pub use remote::{RegistryAuth, RemoteImage, RemoteOptions};
pub use rootfs::Rootfs;
pub use source::{BlobReader, BlobSource, ImageSource, Root, read_manifest, read_verified};
pub use tree::{Entry, EntryKind, FileTree, MAX_SYMLINK_HOPS, SymlinkLoop};
pub use verify::{LimitReader, StreamError, VerifyingReader};
pub use walk::{
    LayerStats, NoVisitor, Progress, Visitor, Walk, WalkOptions, Wants, Warning, WarningKind, walk,
};

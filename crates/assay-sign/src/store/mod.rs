//! Where signatures and attestations are stored: next to the image, in its registry
//! repository or in its OCI layout, with the same manifest bytes in both.
//!
//! A [`Store`] is opened for one image ([`Location`]): it resolves the image to its digest
//! once ([`Store::subject`]) and then reads and writes manifests by tag or digest, blobs, and
//! lists referrers. Layouts keep tagged manifests as `index.json` entries with an
//! `org.opencontainers.image.ref.name` annotation, so `sha256-<hex>.sig` in a layout is the
//! same tag as in a registry and a layout copied to a registry (or back) keeps its
//! signatures.

mod layout;
mod registry;

use std::collections::BTreeMap;
use std::path::PathBuf;

use assay_oci::{Digest, Reference, RemoteOptions};
use serde::{Deserialize, Serialize};

use crate::error::Error;

pub use layout::{LayoutStore, is_attachment_tag};
pub use registry::RegistryStore;

/// Largest manifest read (signature manifests grow by one layer per signature).
pub const MAX_MANIFEST: u64 = 4 << 20;
/// Largest signature or attestation blob read (attestations may carry whole SBOMs).
pub const MAX_BLOB: u64 = 256 << 20;

/// The image that signatures are about, resolved to its digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    /// The manifest (or index) digest.
    pub digest: Digest,
    /// Its media type.
    pub media_type: String,
    /// Its size in bytes.
    pub size: u64,
    /// Whether the user named it by tag rather than digest (signing a tag warns).
    pub by_tag: bool,
}

/// An image location: a registry reference or an OCI layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// `docker://host/repo:tag@digest`, or the bare reference.
    Registry(Reference),
    /// `oci:DIR[:TAG]` or `oci:DIR@sha256:<hex>`.
    Layout {
        /// The layout folder.
        dir: PathBuf,
        /// The tag (`org.opencontainers.image.ref.name`).
        tag: Option<String>,
        /// A manifest digest in the layout.
        digest: Option<Digest>,
    },
}

impl Location {
    /// Parses `oci:DIR[:TAG]`, `oci:DIR@DIGEST`, `docker://REF` or `REF`.
    pub fn parse(input: &str) -> Result<Location, Error> {
        if let Some(rest) = input.strip_prefix("oci:") {
            if rest.is_empty() {
                return Err(Error::invalid(input, "no layout directory after oci:"));
            }
            if let Some((dir, digest)) = rest.rsplit_once('@') {
                let digest =
                    Digest::parse(digest).map_err(|e| Error::invalid(input, e.to_string()))?;
                return Ok(Location::Layout {
                    dir: PathBuf::from(dir),
                    tag: None,
                    digest: Some(digest),
                });
            }
            if std::path::Path::new(rest).exists() {
                return Ok(Location::Layout {
                    dir: PathBuf::from(rest),
                    tag: None,
                    digest: None,
                });
            }
            return Ok(match rest.rsplit_once(':') {
                Some((dir, tag)) if !dir.is_empty() && is_tag(tag) => Location::Layout {
                    dir: PathBuf::from(dir),
                    tag: Some(tag.to_string()),
                    digest: None,
                },
                _ => Location::Layout {
                    dir: PathBuf::from(rest),
                    tag: None,
                    digest: None,
                },
            });
        }
        let reference = input.strip_prefix("docker://").unwrap_or(input);
        Reference::parse(reference)
            .map(Location::Registry)
            .map_err(|e| Error::invalid(input, e.to_string()))
    }

    /// Opens the store for this location, resolving the image. `Send + Sync` so that
    /// independent reads (cosign's tags, referrers) can be issued concurrently.
    pub fn open(&self, options: &RemoteOptions) -> Result<Box<dyn Store + Send + Sync>, Error> {
        self.open_with(options, None)
    }

    /// [`Location::open`] with the image's manifest already read by the caller (`known`),
    /// which a registry then need not be asked for again; layouts read it locally anyway.
    pub fn open_with(
        &self,
        options: &RemoteOptions,
        known: Option<&[u8]>,
    ) -> Result<Box<dyn Store + Send + Sync>, Error> {
        Ok(match self {
            Location::Registry(reference) => {
                Box::new(RegistryStore::open_with(reference, options, known)?)
            }
            Location::Layout { dir, tag, digest } => {
                Box::new(LayoutStore::open(dir, tag.as_deref(), digest.as_ref())?)
            }
        })
    }
}

/// A tag as OCI defines it.
pub(crate) fn is_tag(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 128
        && !s.starts_with(['.', '-'])
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// Storage next to one image.
pub trait Store: std::fmt::Debug {
    /// The image as the user named it (for messages).
    fn name(&self) -> &str;
    /// The repository (`registry/repo`) written as the payload's `docker-reference` and the
    /// statement's subject name; for layouts, the layout's name.
    fn repository(&self) -> &str;
    /// The resolved image.
    fn subject(&self) -> &Subject;
    /// The manifest tagged `tag`, `None` when the tag does not exist.
    fn manifest_by_tag(&self, tag: &str) -> Result<Option<Vec<u8>>, Error>;
    /// The manifest with `digest`, `None` when it does not exist. Bytes are checked against
    /// the digest.
    fn manifest_by_digest(&self, digest: &Digest) -> Result<Option<Vec<u8>>, Error>;
    /// A blob, checked against its digest and at most `limit` bytes.
    fn blob(&self, digest: &Digest, limit: u64) -> Result<Vec<u8>, Error>;
    /// Stores a blob (no-op when present).
    fn put_blob(&self, bytes: &[u8]) -> Result<Digest, Error>;
    /// Stores a manifest, under `tag` when given (replacing what the tag named).
    fn put_manifest(
        &self,
        bytes: &[u8],
        media_type: &str,
        tag: Option<&str>,
    ) -> Result<Digest, Error>;
    /// The manifests whose `subject` is `digest`: the registry's referrers API where it has
    /// one, and the referrers tag schema (`sha256-<hex>` index) otherwise.
    fn referrers(&self, digest: &Digest) -> Result<Vec<OciDescriptor>, Error>;
}

/// A descriptor with the field order go-containerregistry (and so cosign) writes:
/// `mediaType`, `size`, `digest`, `annotations`, then OCI 1.1's `artifactType`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OciDescriptor {
    /// Media type.
    pub media_type: String,
    /// Size in bytes.
    pub size: u64,
    /// `sha256:<hex>`.
    pub digest: String,
    /// Annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// OCI 1.1 artifact type (referrers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
}

impl OciDescriptor {
    /// A descriptor of `bytes`.
    pub fn of(media_type: &str, bytes: &[u8]) -> OciDescriptor {
        OciDescriptor {
            media_type: media_type.to_string(),
            size: bytes.len() as u64,
            digest: Digest::sha256_of(bytes).to_string(),
            annotations: BTreeMap::new(),
            artifact_type: None,
        }
    }

    /// The parsed digest.
    pub fn parsed_digest(&self) -> Result<Digest, Error> {
        Digest::parse(&self.digest)
            .map_err(|e| Error::invalid(format!("descriptor {}", self.digest), e.to_string()))
    }
}

/// An OCI image manifest as cosign writes signature and attestation manifests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OciManifest {
    /// Always 2.
    pub schema_version: u32,
    /// `application/vnd.oci.image.manifest.v1+json`.
    #[serde(default)]
    pub media_type: String,
    /// OCI 1.1 artifact type (referrers only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    /// The config blob.
    pub config: OciDescriptor,
    /// One layer per signature or attestation.
    #[serde(default)]
    pub layers: Vec<OciDescriptor>,
    /// Annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// OCI 1.1 subject (referrers only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<OciDescriptor>,
}

/// An OCI image index (the referrers tag-schema fallback).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OciIndex {
    /// Always 2.
    pub schema_version: u32,
    /// `application/vnd.oci.image.index.v1+json`.
    #[serde(default)]
    pub media_type: String,
    /// The referrers.
    #[serde(default)]
    pub manifests: Vec<OciDescriptor>,
}

/// The media type of a manifest document: its `mediaType`, or its shape.
pub(crate) fn document_media_type(bytes: &[u8]) -> String {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Shape {
        media_type: Option<String>,
        manifests: Option<serde_json::Value>,
    }
    match serde_json::from_slice::<Shape>(bytes) {
        Ok(Shape {
            media_type: Some(t),
            ..
        }) => t,
        Ok(Shape {
            manifests: Some(_), ..
        }) => assay_oci::media_type::OCI_INDEX.to_string(),
        _ => assay_oci::media_type::OCI_MANIFEST.to_string(),
    }
}

/// Checks `bytes` against `digest`.
pub(crate) fn check_digest(bytes: &[u8], digest: &Digest, what: &str) -> Result<(), Error> {
    let actual = match digest.algorithm() {
        assay_oci::Algorithm::Sha256 => Digest::sha256_of(bytes),
        _ => {
            use sha2::Digest as _;
            Digest::from_raw(digest.algorithm(), &sha2::Sha512::digest(bytes))
        }
    };
    if &actual == digest {
        Ok(())
    } else {
        Err(Error::Verification(format!(
            "{what}: content does not match its digest {digest} (got {actual}): tampered or corrupt"
        )))
    }
}

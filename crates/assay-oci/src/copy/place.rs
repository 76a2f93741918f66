//! A blocking handle on one place (registry repository or OCI layout) for the small reads and
//! writes around a copy: resolving an image, reading attached manifests and blobs, and
//! attaching new ones (signatures, attestations, promotion records).

use bytes::Bytes;
use futures_util::StreamExt;

use super::store::Store;
use super::{CopyError, Endpoint, Location, verify_bytes};
use crate::digest::Digest;
use crate::manifest::Descriptor;

/// One opened registry repository or layout with its own runtime.
#[derive(Debug)]
pub struct Place {
    runtime: &'static tokio::runtime::Runtime,
    store: Store,
    location: Location,
}

impl Place {
    /// Opens `endpoint`; `create` makes a missing layout (for writing).
    pub fn open(endpoint: &Endpoint, create: bool) -> Result<Place, CopyError> {
        let runtime = super::runtime()?;
        let policy = super::registry::Policy {
            retries: super::retries(),
            backoff: super::backoff(),
        };
        let store = runtime.block_on(Store::open(endpoint, create, None, &policy))?;
        Ok(Place {
            runtime,
            store,
            location: endpoint.location.clone(),
        })
    }

    /// The location as the user named it.
    pub fn location(&self) -> &Location {
        &self.location
    }

    /// The digest and bytes of the image the location names (its digest, else its tag,
    /// else `latest`); a pinned digest is checked.
    pub fn resolve(&self) -> Result<(Digest, Vec<u8>), CopyError> {
        let reference = match (self.location.digest(), self.location.tag()) {
            (Some(d), _) => d.to_string(),
            (None, Some(t)) => t.to_string(),
            (None, None) => "latest".to_string(),
        };
        let (bytes, _) = self
            .manifest(&reference)?
            .ok_or_else(|| CopyError::NotFound(self.location.to_string()))?;
        let digest = match self.location.digest() {
            Some(pinned) => verify_bytes(&bytes, pinned, &self.location.to_string())?,
            None => Digest::sha256_of(&bytes),
        };
        Ok((digest, bytes))
    }

    /// A manifest by tag or digest (`None` when absent); by digest it is checked.
    pub fn manifest(&self, reference: &str) -> Result<Option<(Vec<u8>, String)>, CopyError> {
        let found = self.runtime.block_on(self.store.get_manifest(reference))?;
        if let (Some((bytes, _)), Ok(digest)) = (&found, Digest::parse(reference)) {
            verify_bytes(bytes, &digest, &format!("{}@{digest}", self.location))?;
        }
        Ok(found)
    }

    /// A small blob, read whole and checked against its descriptor; at most `limit` bytes.
    pub fn blob(&self, desc: &Descriptor, limit: u64) -> Result<Vec<u8>, CopyError> {
        let what = format!("{}@{}", self.location, desc.digest);
        if desc.size > limit {
            return Err(CopyError::SizeMismatch {
                what,
                expected: limit,
                actual: desc.size,
            });
        }
        self.runtime.block_on(async {
            // From a registry, wrong bytes are fetched again while retries last.
            if let Store::Registry(r) = &self.store {
                return r
                    .get_blob_verified(&desc.digest, desc.size)
                    .await
                    .map_err(|e| match e {
                        CopyError::DigestMismatch {
                            expected, actual, ..
                        } => CopyError::DigestMismatch {
                            what: what.clone(),
                            expected,
                            actual,
                        },
                        CopyError::SizeMismatch {
                            expected, actual, ..
                        } => CopyError::SizeMismatch {
                            what: what.clone(),
                            expected,
                            actual,
                        },
                        e => e,
                    });
            }
            let mut stream = self.store.open_blob(desc).await?;
            let mut out = Vec::new();
            while let Some(chunk) = stream.next().await {
                out.extend_from_slice(&chunk?);
                if out.len() as u64 > desc.size {
                    break;
                }
            }
            if out.len() as u64 != desc.size {
                return Err(CopyError::SizeMismatch {
                    what: what.clone(),
                    expected: desc.size,
                    actual: out.len() as u64,
                });
            }
            verify_bytes(&out, &desc.digest, &what)?;
            Ok(out)
        })
    }

    /// A small blob named only by its digest (a signature or attestation layer found in a
    /// manifest the caller does not trust for sizes), read whole, at most `limit` bytes,
    /// and checked against `digest`. From a registry a broken download resumes as
    /// [`Place::blob`]'s do, and wrong bytes are fetched again while the default retries
    /// last. More than `limit` bytes is a [`CopyError::SizeMismatch`] whose `expected` is
    /// the limit.
    pub fn blob_by_digest(&self, digest: &Digest, limit: u64) -> Result<Vec<u8>, CopyError> {
        let what = format!("{}@{digest}", self.location);
        let backoff = super::backoff();
        let mut attempt = 0u32;
        loop {
            let result = self.runtime.block_on(async {
                let mut stream = match &self.store {
                    Store::Registry(r) => r.open_blob(digest, None).await?,
                    Store::Layout(l) => l.open_blob(digest)?,
                };
                let mut out = Vec::new();
                while let Some(chunk) = stream.next().await {
                    out.extend_from_slice(&chunk?);
                    if out.len() as u64 > limit {
                        return Err(CopyError::SizeMismatch {
                            what: what.clone(),
                            expected: limit,
                            actual: out.len() as u64,
                        });
                    }
                }
                verify_bytes(&out, digest, &what)?;
                Ok(out)
            });
            match result {
                Err(CopyError::DigestMismatch { .. })
                    if matches!(self.store, Store::Registry(_)) && attempt < super::retries() =>
                {
                    attempt += 1;
                    std::thread::sleep(backoff.delay(attempt));
                }
                Err(e) => return Err(super::registry::gave_up(e, attempt + 1)),
                Ok(out) => return Ok(out),
            }
        }
    }

    /// Stores `bytes` as a blob (skipped when present) and returns its descriptor.
    pub fn push_blob(&self, bytes: &[u8], media_type: &str) -> Result<Descriptor, CopyError> {
        let desc = Descriptor::new(media_type, Digest::sha256_of(bytes), bytes.len() as u64);
        self.runtime.block_on(async {
            if self.store.has_blob(&desc.digest).await? {
                return Ok(());
            }
            let data = Bytes::copy_from_slice(bytes);
            self.store.put_blob_bytes(&desc, data).await
        })?;
        Ok(desc)
    }

    /// Stores a manifest under a tag or its digest. Whatever it references must be there.
    pub fn push_manifest(
        &self,
        bytes: &[u8],
        media_type: &str,
        reference: &str,
    ) -> Result<(), CopyError> {
        self.runtime
            .block_on(self.store.put_manifest(bytes, media_type, reference))
    }

    /// The referrers of `subject` (the referrers API, else the tag-schema fallback).
    pub fn referrers(&self, subject: &Digest) -> Result<Vec<Descriptor>, CopyError> {
        self.runtime.block_on(self.store.referrers(subject))
    }

    /// The digest a tag names, `None` when it is absent.
    pub fn tag_digest(&self, tag: &str) -> Result<Option<Digest>, CopyError> {
        self.runtime.block_on(self.store.manifest_digest(tag))
    }

    /// Stores `manifest` (whose `subject` names an image here) as an OCI 1.1 referrer: by
    /// digest, plus, where the registry has no referrers API (and in layouts), an entry in
    /// the tag-schema fallback index, merged with the entries already there.
    pub fn attach_referrer(&self, subject: &Digest, manifest: &[u8]) -> Result<Digest, CopyError> {
        let digest = Digest::sha256_of(manifest);
        let media_type = super::manifest_media_type(manifest);
        self.runtime.block_on(async {
            self.store
                .put_manifest(manifest, &media_type, &digest.to_string())
                .await?;
            if self.store.supports_referrers(subject).await? {
                return Ok(());
            }
            let tag = super::referrers_tag(subject);
            let mut entries = match self.store.get_manifest(&tag).await? {
                Some((bytes, _)) => super::parse_refs(&bytes, &tag)
                    .map(|r| r.manifests)
                    .unwrap_or_default(),
                None => Vec::new(),
            };
            if entries.iter().any(|e| e.digest == digest) {
                return Ok(());
            }
            entries.push(super::referrer_descriptor(manifest));
            let index = serde_json::json!({
                "schemaVersion": 2,
                "mediaType": crate::media_type::OCI_INDEX,
                "manifests": entries,
            });
            let bytes = serde_json::to_vec(&index).map_err(|e| CopyError::InvalidManifest {
                what: tag.clone(),
                reason: e.to_string(),
            })?;
            self.store
                .put_manifest(&bytes, crate::media_type::OCI_INDEX, &tag)
                .await
        })?;
        Ok(digest)
    }
}

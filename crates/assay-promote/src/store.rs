//! Where the evidence of one image is read and written: assay-sign's [`Store`] for the
//! image's registry repository or OCI layout, pinned to the digest being promoted, so every
//! signature and attestation is stored and verified by assay-sign's code (cosign's `.sig` /
//! `.att` tags and OCI 1.1 referrers with the tag-schema fallback).
//!
//! The store is wrapped in a cache because a policy names several keys (the build key, each
//! release manager) and assay-sign verifies one key per pass, each pass reading the same
//! manifests, referrers and envelopes. Content addressed by digest never changes; tags and
//! referrer lists change only through writes, which empty those parts of the cache. So an
//! evaluation fetches each object once however many keys the policy lists.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Mutex, MutexGuard, PoisonError};

use assay_oci::copy::{Endpoint, Location};
use assay_oci::{Digest, Reference, RemoteOptions};
use assay_sign::store::OciDescriptor;
use assay_sign::{Store, Subject};

use crate::error::Error;

/// `endpoint` pinned to `digest` with no tag: registries are then read and written by
/// digest only, and a layout's image is found by digest rather than by its tag.
pub fn pinned(endpoint: &Endpoint, digest: &Digest) -> Result<Endpoint, Error> {
    let location = match &endpoint.location {
        Location::Registry(r) => Location::Registry(
            Reference::parse(&format!("{}/{}@{digest}", r.registry(), r.repository()))
                .map_err(|e| Error::Input(e.to_string()))?,
        ),
        Location::Layout { dir, .. } => Location::Layout {
            dir: dir.clone(),
            tag: None,
        },
    };
    Ok(Endpoint {
        location,
        ..endpoint.clone()
    })
}

/// Opens the evidence store of the image `digest` at `endpoint` (its tag, if any, is not
/// read: the caller has resolved it).
pub fn open(endpoint: &Endpoint, digest: &Digest) -> Result<EvidenceStore, Error> {
    open_with(endpoint, digest, None)
}

/// [`open`] for a caller holding the image's manifest (`known`, checked against `digest`),
/// which spares the registry a request.
pub fn open_with(
    endpoint: &Endpoint,
    digest: &Digest,
    known: Option<&[u8]>,
) -> Result<EvidenceStore, Error> {
    let (location, plain_http) = match pinned(endpoint, digest)?.location {
        Location::Registry(r) => {
            let plain_http = if endpoint.plain_http {
                vec![r.registry().to_string()]
            } else {
                Vec::new()
            };
            (assay_sign::Location::Registry(r), plain_http)
        }
        Location::Layout { dir, .. } => (
            assay_sign::Location::Layout {
                dir,
                tag: None,
                digest: Some(digest.clone()),
            },
            Vec::new(),
        ),
    };
    let options = RemoteOptions {
        auth: endpoint.auth.clone(),
        plain_http,
        ..RemoteOptions::default()
    };
    let store = EvidenceStore::new(location.open_with(&options, known)?);
    // Every caller reads the evidence next.
    store.prefetch();
    Ok(store)
}

/// What was read, by key.
#[derive(Debug, Default)]
struct Cache {
    tags: HashMap<String, Option<Vec<u8>>>,
    manifests: HashMap<Digest, Option<Vec<u8>>>,
    blobs: HashMap<Digest, Vec<u8>>,
    referrers: HashMap<Digest, Vec<OciDescriptor>>,
}

/// An assay-sign store with a read cache (see the module documentation).
#[derive(Debug)]
pub struct EvidenceStore {
    inner: Box<dyn Store + Send + Sync>,
    cache: Mutex<Cache>,
}

impl EvidenceStore {
    /// Caches reads of `inner`.
    pub fn new(inner: Box<dyn Store + Send + Sync>) -> EvidenceStore {
        EvidenceStore {
            inner,
            cache: Mutex::default(),
        }
    }

    /// Reads what gathering evidence reads first (cosign's `.sig`, `.att` and `.sbom` tags
    /// and the referrers of the image) all at once, so gathering finds them in the cache:
    /// on a registry each is a round trip, and one after another they were most of the
    /// time of a re-promotion. Failures are not cached; gathering meets them again and
    /// reports them.
    pub fn prefetch(&self) {
        let digest = self.subject().digest.clone();
        let tags = [
            assay_sign::cosign::signature_tag(&digest),
            assay_sign::cosign::attestation_tag(&digest),
            format!("{}.sbom", assay_sign::cosign::referrers_tag(&digest)),
        ];
        std::thread::scope(|scope| {
            for tag in &tags {
                scope.spawn(move || {
                    let _ = self.manifest_by_tag(tag);
                });
            }
            let _ = self.referrers(&digest);
        });
    }

    fn cache(&self) -> MutexGuard<'_, Cache> {
        // The cache holds only fetched bytes: a panic elsewhere cannot leave it half-updated.
        self.cache.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The value under `key` in the part of the cache `part` selects, fetched once.
    fn cached<K: Eq + Hash + Clone, V: Clone>(
        &self,
        part: fn(&mut Cache) -> &mut HashMap<K, V>,
        key: &K,
        fetch: impl FnOnce() -> Result<V, assay_sign::Error>,
    ) -> Result<V, assay_sign::Error> {
        if let Some(found) = part(&mut self.cache()).get(key) {
            return Ok(found.clone());
        }
        let found = fetch()?;
        part(&mut self.cache()).insert(key.clone(), found.clone());
        Ok(found)
    }

    /// A write changes what tags and referrer lists say (and may create a manifest that
    /// was absent): forget those, keep the immutable blobs.
    fn written(&self) {
        let mut cache = self.cache();
        cache.tags.clear();
        cache.manifests.clear();
        cache.referrers.clear();
    }
}

impl Store for EvidenceStore {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn repository(&self) -> &str {
        self.inner.repository()
    }

    fn subject(&self) -> &Subject {
        self.inner.subject()
    }

    fn manifest_by_tag(&self, tag: &str) -> Result<Option<Vec<u8>>, assay_sign::Error> {
        self.cached(
            |c| &mut c.tags,
            &tag.to_string(),
            || self.inner.manifest_by_tag(tag),
        )
    }

    fn manifest_by_digest(&self, digest: &Digest) -> Result<Option<Vec<u8>>, assay_sign::Error> {
        self.cached(
            |c| &mut c.manifests,
            digest,
            || self.inner.manifest_by_digest(digest),
        )
    }

    fn blob(&self, digest: &Digest, limit: u64) -> Result<Vec<u8>, assay_sign::Error> {
        let bytes = self.cached(|c| &mut c.blobs, digest, || self.inner.blob(digest, limit))?;
        if bytes.len() as u64 > limit {
            return Err(assay_sign::Error::Invalid {
                what: format!("{}@{digest}", self.name()),
                why: format!("larger than {limit} bytes"),
            });
        }
        Ok(bytes)
    }

    fn put_blob(&self, bytes: &[u8]) -> Result<Digest, assay_sign::Error> {
        self.inner.put_blob(bytes)
    }

    fn put_manifest(
        &self,
        bytes: &[u8],
        media_type: &str,
        tag: Option<&str>,
    ) -> Result<Digest, assay_sign::Error> {
        let out = self.inner.put_manifest(bytes, media_type, tag);
        self.written();
        out
    }

    fn referrers(&self, digest: &Digest) -> Result<Vec<OciDescriptor>, assay_sign::Error> {
        self.cached(
            |c| &mut c.referrers,
            digest,
            || self.inner.referrers(digest),
        )
    }
}

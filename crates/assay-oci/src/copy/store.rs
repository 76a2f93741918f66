//! One interface over the two kinds of place, so the engine is written once.

use bytes::Bytes;
use futures_util::stream::BoxStream;

use super::layout::LayoutStore;
use super::registry::{Attempt, Policy, RegistryStore};
use super::{Action, CopyError, CopyOptions, Endpoint, Location};
use crate::digest::Digest;
use crate::manifest::Descriptor;

/// A blob's bytes as they arrive.
pub(crate) type BlobStream = BoxStream<'static, Result<Bytes, CopyError>>;

/// A registry repository or an OCI layout, opened for reading or writing.
#[derive(Debug)]
pub(crate) enum Store {
    /// A registry repository.
    Registry(RegistryStore),
    /// An OCI layout directory.
    Layout(LayoutStore),
}

impl Store {
    /// Opens `endpoint`; `create` makes a missing layout directory (destinations).
    /// `mount_from` names a repository of the same registry blobs may be mounted from, so
    /// token scopes include it.
    pub(crate) async fn open(
        endpoint: &Endpoint,
        create: bool,
        mount_from: Option<&str>,
        policy: &Policy,
    ) -> Result<Store, CopyError> {
        Ok(match &endpoint.location {
            Location::Registry(r) => Store::Registry(RegistryStore::new(
                r,
                &endpoint.auth,
                endpoint.plain_http,
                mount_from,
                // Push access is asked up front only where the engine writes (destinations);
                // elsewhere a write's 401 challenge names the push scope and the client
                // fetches a token for it then, so read-only users can still verify.
                create,
                policy,
            )?),
            Location::Layout { dir, .. } => Store::Layout(LayoutStore::open(dir, create)?),
        })
    }

    /// A manifest by tag or digest with its served media type; `None` when absent.
    pub(crate) async fn get_manifest(
        &self,
        reference: &str,
    ) -> Result<Option<(Vec<u8>, String)>, CopyError> {
        match self {
            Store::Registry(r) => r.get_manifest(reference).await,
            Store::Layout(l) => l.get_manifest(reference),
        }
    }

    /// The digest a tag names; `None` when the tag is absent.
    pub(crate) async fn manifest_digest(&self, tag: &str) -> Result<Option<Digest>, CopyError> {
        match self {
            Store::Registry(r) => r.manifest_digest(tag).await,
            Store::Layout(l) => l.manifest_digest(tag),
        }
    }

    /// Whether a manifest is present by digest.
    pub(crate) async fn has_manifest(&self, digest: &Digest) -> Result<bool, CopyError> {
        match self {
            Store::Registry(r) => Ok(r.manifest_digest(&digest.to_string()).await?.is_some()),
            Store::Layout(l) => Ok(l.has_blob(digest)),
        }
    }

    /// Writes a manifest under a tag or its digest.
    pub(crate) async fn put_manifest(
        &self,
        bytes: &[u8],
        media_type: &str,
        reference: &str,
    ) -> Result<(), CopyError> {
        match self {
            Store::Registry(r) => r.put_manifest(bytes, media_type, reference).await,
            Store::Layout(l) => l.put_manifest(bytes, media_type, reference),
        }
    }

    /// Whether a blob is present.
    pub(crate) async fn has_blob(&self, digest: &Digest) -> Result<bool, CopyError> {
        match self {
            Store::Registry(r) => r.has_blob(digest).await,
            Store::Layout(l) => Ok(l.has_blob(digest)),
        }
    }

    /// A blob's raw bytes, unverified (the writer verifies).
    pub(crate) async fn open_blob(&self, desc: &Descriptor) -> Result<BlobStream, CopyError> {
        match self {
            Store::Registry(r) => r.open_blob(&desc.digest, Some(desc.size)).await,
            Store::Layout(l) => l.open_blob(&desc.digest),
        }
    }

    /// Brings a blob from `source`: mounted when possible, else streamed and verified. One
    /// attempt; the caller starts again when the failure says it may help.
    pub(crate) async fn put_blob(
        &self,
        source: &Store,
        desc: &Descriptor,
        mount_from: Option<&str>,
        options: &CopyOptions,
        what: &str,
    ) -> Result<Action, Attempt> {
        match self {
            Store::Registry(r) => r.put_blob(source, desc, mount_from, options, what).await,
            Store::Layout(l) => {
                let stream = source.open_blob(desc).await?;
                l.put_blob(desc, stream, what).await?;
                Ok(Action::Copy)
            }
        }
    }

    /// Writes a blob held in memory (verified before it is committed; retried).
    pub(crate) async fn put_blob_bytes(
        &self,
        desc: &Descriptor,
        data: Bytes,
    ) -> Result<(), CopyError> {
        let what = format!("blob {}", desc.digest);
        match self {
            Store::Registry(r) => r.upload_bytes(desc, data, &what).await,
            Store::Layout(l) => {
                let stream = futures_util::stream::once(async move { Ok(data) });
                l.put_blob(desc, Box::pin(stream), &what).await
            }
        }
    }

    /// The referrers of `subject`: the referrers API where the registry has it, else the
    /// tag-schema fallback index (`sha256-<hex>`), else none.
    pub(crate) async fn referrers(&self, subject: &Digest) -> Result<Vec<Descriptor>, CopyError> {
        let tag = super::referrers_tag(subject);
        let from_tag = async {
            match self.get_manifest(&tag).await? {
                Some((bytes, _)) => Ok(super::parse_refs(&bytes, &tag)
                    .map(|r| r.manifests)
                    .unwrap_or_default()),
                None => Ok(Vec::new()),
            }
        };
        let Store::Registry(r) = self else {
            return from_tag.await;
        };
        match r.has_referrers_api() {
            Some(false) => from_tag.await,
            Some(true) => Ok(r.referrers_api(subject).await?.unwrap_or_default()),
            // Not known yet: ask the API and read the fallback tag at once, so a registry
            // without the API costs one round trip here, not two.
            None => {
                let (api, tagged) =
                    futures_util::future::join(r.referrers_api(subject), from_tag).await;
                match api? {
                    Some(list) => Ok(list),
                    None => tagged,
                }
            }
        }
    }

    /// Whether the destination indexes referrers itself (OCI 1.1 referrers API).
    pub(crate) async fn supports_referrers(&self, subject: &Digest) -> Result<bool, CopyError> {
        match self {
            Store::Registry(r) => Ok(r.referrers_api(subject).await?.is_some()),
            Store::Layout(_) => Ok(false),
        }
    }

    /// HTTP requests sent so far (0 for layouts).
    pub(crate) fn requests(&self) -> u64 {
        match self {
            Store::Registry(r) => r.requests(),
            Store::Layout(_) => 0,
        }
    }
}

//! Signatures in a registry repository, through the copy engine's registry client
//! ([`assay_oci::copy::Place`]), so signing and attesting absorb the faults pulls and
//! promotions absorb: requests are retried with backoff on a broken connection, an idle
//! timeout, a 5xx or a 429 (after its `Retry-After`), an expired token is renewed, a broken
//! blob download resumes and a blob upload that breaks starts again from a new session.
//! Manifests are pushed as raw bytes so their digests are the ones computed here; a rerun
//! after a failure pushes the same bytes again, which lands on the same digest and tag.

use std::fmt;

use assay_oci::copy::{CopyError, Endpoint, Location, Place};
use assay_oci::{Digest, Reference, RemoteOptions};

use super::{MAX_MANIFEST, OciDescriptor, Store, Subject, check_digest, document_media_type};
use crate::error::Error;

/// One repository of a registry.
pub struct RegistryStore {
    name: String,
    repository: String,
    place: Place,
    subject: Subject,
}

impl fmt::Debug for RegistryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegistryStore")
            .field("name", &self.name)
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

impl RegistryStore {
    /// Connects and resolves `reference` to its digest (one request, retried).
    pub fn open(reference: &Reference, options: &RemoteOptions) -> Result<RegistryStore, Error> {
        RegistryStore::open_with(reference, options, None)
    }

    /// [`RegistryStore::open`] for a caller that has already read the image's manifest
    /// (`known`; still checked against a pinned digest): one request fewer.
    pub fn open_with(
        reference: &Reference,
        options: &RemoteOptions,
        known: Option<&[u8]>,
    ) -> Result<RegistryStore, Error> {
        let name = reference.to_string();
        let repository = format!("{}/{}", reference.registry(), reference.repository());
        let endpoint = Endpoint {
            location: Location::Registry(reference.clone()),
            auth: options.auth.clone(),
            plain_http: options.plain_http.iter().any(|h| h == reference.registry()),
        };
        let place = Place::open(&endpoint, false).map_err(|e| registry_error(&name, e))?;
        let target = match reference.digest() {
            Some(d) => d.to_string(),
            None => reference.tag_or_latest().to_string(),
        };
        let bytes = match known {
            Some(bytes) => bytes.to_vec(),
            None => read_manifest(&place, &name, &target)?.ok_or_else(|| Error::Registry {
                reference: name.clone(),
                message: "manifest unknown (no such image)".into(),
            })?,
        };
        let digest = match reference.digest() {
            Some(pinned) => {
                check_digest(&bytes, pinned, &name)?;
                pinned.clone()
            }
            None => Digest::sha256_of(&bytes),
        };
        let subject = Subject {
            digest,
            media_type: document_media_type(&bytes),
            size: bytes.len() as u64,
            by_tag: reference.digest().is_none(),
        };
        Ok(RegistryStore {
            name,
            repository,
            place,
            subject,
        })
    }

    fn at_digest(&self, digest: &Digest) -> String {
        format!("{}@{digest}", self.repository)
    }

    fn at_tag(&self, tag: &str) -> String {
        format!("{}:{tag}", self.repository)
    }
}

/// A manifest by tag or digest, `None` when absent; the client checks bytes fetched by
/// digest (fetching again when they do not match) and refuses more than the registry's
/// own limit, which is also [`MAX_MANIFEST`].
fn read_manifest(place: &Place, what: &str, reference: &str) -> Result<Option<Vec<u8>>, Error> {
    let found = place
        .manifest(reference)
        .map_err(|e| registry_error(what, e))?;
    match found {
        Some((bytes, _)) if bytes.len() as u64 > MAX_MANIFEST => Err(Error::invalid(
            what,
            format!("manifest larger than {MAX_MANIFEST} bytes"),
        )),
        Some((bytes, _)) => Ok(Some(bytes)),
        None => Ok(None),
    }
}

/// A client error as signing reports it: content that does not match its digest is a
/// verification failure (exit 4), oversized or malformed content is bad input (exit 2),
/// and everything else is the registry's (exit 3). The client's message names the request
/// and, after retries, how many attempts were made.
fn registry_error(what: &str, e: CopyError) -> Error {
    match e {
        CopyError::DigestMismatch {
            what: object,
            expected,
            actual,
        } => Error::Verification(format!(
            "{object}: content does not match its digest {expected} (got {actual}): tampered or corrupt"
        )),
        CopyError::SizeMismatch { expected, .. } => {
            Error::invalid(what, format!("blob larger than {expected} bytes"))
        }
        CopyError::InvalidManifest { reason, .. } => {
            Error::invalid(what, format!("invalid manifest: {reason}"))
        }
        CopyError::NotFound(_) => Error::Registry {
            reference: what.to_string(),
            message: "not found".into(),
        },
        e => Error::Registry {
            reference: what.to_string(),
            message: e.to_string(),
        },
    }
}

impl Store for RegistryStore {
    fn name(&self) -> &str {
        &self.name
    }

    fn repository(&self) -> &str {
        &self.repository
    }

    fn subject(&self) -> &Subject {
        &self.subject
    }

    fn manifest_by_tag(&self, tag: &str) -> Result<Option<Vec<u8>>, Error> {
        read_manifest(&self.place, &self.at_tag(tag), tag)
    }

    fn manifest_by_digest(&self, digest: &Digest) -> Result<Option<Vec<u8>>, Error> {
        let what = self.at_digest(digest);
        let bytes = read_manifest(&self.place, &what, &digest.to_string())?;
        if let Some(b) = &bytes {
            check_digest(b, digest, &what)?;
        }
        Ok(bytes)
    }

    fn blob(&self, digest: &Digest, limit: u64) -> Result<Vec<u8>, Error> {
        let what = self.at_digest(digest);
        let bytes = self
            .place
            .blob_by_digest(digest, limit)
            .map_err(|e| registry_error(&what, e))?;
        check_digest(&bytes, digest, &what)?;
        Ok(bytes)
    }

    fn put_blob(&self, bytes: &[u8]) -> Result<Digest, Error> {
        // The media type only labels the returned descriptor; a registry stores bytes.
        let desc = self
            .place
            .push_blob(bytes, "application/octet-stream")
            .map_err(|e| registry_error(&self.at_digest(&Digest::sha256_of(bytes)), e))?;
        Ok(desc.digest)
    }

    fn put_manifest(
        &self,
        bytes: &[u8],
        media_type: &str,
        tag: Option<&str>,
    ) -> Result<Digest, Error> {
        let digest = Digest::sha256_of(bytes);
        let (reference, what) = match tag {
            Some(t) => (t.to_string(), self.at_tag(t)),
            None => (digest.to_string(), self.at_digest(&digest)),
        };
        self.place
            .push_manifest(bytes, media_type, &reference)
            .map_err(|e| registry_error(&what, e))?;
        Ok(digest)
    }

    fn referrers(&self, digest: &Digest) -> Result<Vec<OciDescriptor>, Error> {
        // The referrers API where the registry has it, else the tag-schema index.
        let list = self
            .place
            .referrers(digest)
            .map_err(|e| registry_error(&self.at_digest(digest), e))?;
        Ok(list
            .into_iter()
            .map(|d| OciDescriptor {
                media_type: d.media_type,
                size: d.size,
                digest: d.digest.to_string(),
                annotations: d.annotations,
                artifact_type: d.artifact_type,
            })
            .collect())
    }
}

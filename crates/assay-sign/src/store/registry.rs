//! Signatures in a registry repository, through oci-client (the client assay-oci uses).
//! Manifests are pushed as raw bytes so their digests are the ones computed here.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};

use assay_oci::{Digest, Reference, RegistryAuth, RemoteOptions};
use futures_util::StreamExt;
use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::errors::{OciDistributionError, OciErrorCode};

use super::{MAX_MANIFEST, OciDescriptor, Store, Subject, check_digest, document_media_type};
use crate::error::Error;

/// Manifest types asked for.
const ACCEPTED: [&str; 4] = [
    assay_oci::media_type::OCI_MANIFEST,
    assay_oci::media_type::OCI_INDEX,
    assay_oci::media_type::DOCKER_MANIFEST,
    assay_oci::media_type::DOCKER_MANIFEST_LIST,
];

/// One repository of a registry.
pub struct RegistryStore {
    name: String,
    repository: String,
    reference: Reference,
    client: oci_client::Client,
    auth: oci_client::secrets::RegistryAuth,
    runtime: tokio::runtime::Runtime,
    subject: Subject,
    push_authenticated: AtomicBool,
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
    /// Connects and resolves `reference` to its digest (one request).
    pub fn open(reference: &Reference, options: &RemoteOptions) -> Result<RegistryStore, Error> {
        let name = reference.to_string();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::io("tokio runtime", e))?;
        let protocol = if options.plain_http.is_empty() {
            ClientProtocol::Https
        } else {
            ClientProtocol::HttpsExcept(options.plain_http.clone())
        };
        let client = oci_client::Client::new(ClientConfig {
            protocol,
            ..ClientConfig::default()
        });
        let auth = match &options.auth {
            RegistryAuth::Basic { username, password } => {
                oci_client::secrets::RegistryAuth::Basic(username.clone(), password.clone())
            }
            RegistryAuth::Bearer(token) => oci_client::secrets::RegistryAuth::Bearer(token.clone()),
            _ => oci_client::secrets::RegistryAuth::Anonymous,
        };
        let mut store = RegistryStore {
            repository: format!("{}/{}", reference.registry(), reference.repository()),
            name,
            reference: reference.clone(),
            client,
            auth,
            runtime,
            subject: Subject {
                digest: Digest::sha256_of(b""),
                media_type: String::new(),
                size: 0,
                by_tag: reference.digest().is_none(),
            },
            push_authenticated: AtomicBool::new(false),
        };
        let target = match reference.digest() {
            Some(d) => store.oci_ref_digest(d),
            None => store.oci_ref_tag(reference.tag_or_latest()),
        };
        let bytes = store
            .pull_manifest(&target)?
            .ok_or_else(|| Error::Registry {
                reference: store.name.clone(),
                message: "manifest unknown (no such image)".into(),
            })?;
        let digest = match reference.digest() {
            Some(pinned) => {
                check_digest(&bytes, pinned, &store.name)?;
                pinned.clone()
            }
            None => Digest::sha256_of(&bytes),
        };
        store.subject = Subject {
            digest,
            media_type: document_media_type(&bytes),
            size: bytes.len() as u64,
            by_tag: reference.digest().is_none(),
        };
        Ok(store)
    }

    fn oci_ref_tag(&self, tag: &str) -> oci_client::Reference {
        oci_client::Reference::with_tag(
            self.reference.registry().to_string(),
            self.reference.repository().to_string(),
            tag.to_string(),
        )
    }

    fn oci_ref_digest(&self, digest: &Digest) -> oci_client::Reference {
        oci_client::Reference::with_digest(
            self.reference.registry().to_string(),
            self.reference.repository().to_string(),
            digest.to_string(),
        )
    }

    fn error(&self, what: &oci_client::Reference, e: OciDistributionError) -> Error {
        Error::Registry {
            reference: what.whole(),
            message: e.to_string(),
        }
    }

    fn pull_manifest(&self, r: &oci_client::Reference) -> Result<Option<Vec<u8>>, Error> {
        match self
            .runtime
            .block_on(self.client.pull_manifest_raw(r, &self.auth, &ACCEPTED))
        {
            Ok((bytes, _)) => {
                if bytes.len() as u64 > MAX_MANIFEST {
                    return Err(Error::invalid(
                        r.whole(),
                        format!("manifest larger than {MAX_MANIFEST} bytes"),
                    ));
                }
                Ok(Some(bytes.to_vec()))
            }
            Err(e) if is_not_found(&e) => Ok(None),
            Err(e) => Err(self.error(r, e)),
        }
    }

    fn authenticate_push(&self, r: &oci_client::Reference) -> Result<(), Error> {
        if self.push_authenticated.load(Ordering::Relaxed) {
            return Ok(());
        }
        self.runtime
            .block_on(
                self.client
                    .auth(r, &self.auth, oci_client::RegistryOperation::Push),
            )
            .map_err(|e| self.error(r, e))?;
        self.push_authenticated.store(true, Ordering::Relaxed);
        Ok(())
    }
}

/// A 404 or a MANIFEST_UNKNOWN / NAME_UNKNOWN error.
fn is_not_found(e: &OciDistributionError) -> bool {
    match e {
        OciDistributionError::ImageManifestNotFoundError(_) => true,
        OciDistributionError::ServerError { code, .. } => *code == 404,
        OciDistributionError::RegistryError { envelope, .. } => envelope.errors.iter().any(|e| {
            matches!(
                e.code,
                OciErrorCode::ManifestUnknown | OciErrorCode::NameUnknown
            )
        }),
        _ => false,
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
        self.pull_manifest(&self.oci_ref_tag(tag))
    }

    fn manifest_by_digest(&self, digest: &Digest) -> Result<Option<Vec<u8>>, Error> {
        let bytes = self.pull_manifest(&self.oci_ref_digest(digest))?;
        if let Some(b) = &bytes {
            check_digest(b, digest, &format!("{}@{digest}", self.repository))?;
        }
        Ok(bytes)
    }

    fn blob(&self, digest: &Digest, limit: u64) -> Result<Vec<u8>, Error> {
        let r = self.oci_ref_digest(digest);
        let what = format!("{}@{digest}", self.repository);
        let bytes = self.runtime.block_on(async {
            let stream = self
                .client
                .pull_blob_stream(&r, digest.to_string().as_str())
                .await
                .map_err(|e| self.error(&r, e))?;
            let mut stream = stream.stream;
            let mut bytes = Vec::new();
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(|e| Error::Registry {
                    reference: what.clone(),
                    message: e.to_string(),
                })?;
                bytes.extend_from_slice(&chunk);
                if bytes.len() as u64 > limit {
                    return Err(Error::invalid(
                        what.clone(),
                        format!("blob larger than {limit} bytes"),
                    ));
                }
            }
            Ok(bytes)
        })?;
        check_digest(&bytes, digest, &what)?;
        Ok(bytes)
    }

    fn put_blob(&self, bytes: &[u8]) -> Result<Digest, Error> {
        let digest = Digest::sha256_of(bytes);
        let r = self.oci_ref_digest(&digest);
        self.authenticate_push(&r)?;
        let exists = self
            .runtime
            .block_on(self.client.blob_exists(&r, &digest.to_string()))
            .unwrap_or(false);
        if !exists {
            self.runtime
                .block_on(
                    self.client
                        .push_blob(&r, bytes.to_vec(), &digest.to_string()),
                )
                .map_err(|e| self.error(&r, e))?;
        }
        Ok(digest)
    }

    fn put_manifest(
        &self,
        bytes: &[u8],
        media_type: &str,
        tag: Option<&str>,
    ) -> Result<Digest, Error> {
        let digest = Digest::sha256_of(bytes);
        let r = match tag {
            Some(t) => self.oci_ref_tag(t),
            None => self.oci_ref_digest(&digest),
        };
        self.authenticate_push(&r)?;
        let content_type = http::HeaderValue::from_str(media_type)
            .map_err(|_| Error::invalid(media_type, "not a valid media type"))?;
        self.runtime
            .block_on(
                self.client
                    .push_manifest_raw(&r, bytes.to_vec(), content_type),
            )
            .map_err(|e| self.error(&r, e))?;
        Ok(digest)
    }

    fn referrers(&self, digest: &Digest) -> Result<Vec<OciDescriptor>, Error> {
        // oci-client asks the referrers API and falls back to the tag schema on a 404.
        let r = self.oci_ref_digest(digest);
        let index = self
            .runtime
            .block_on(self.client.pull_referrers(&r, None))
            .map_err(|e| self.error(&r, e))?;
        Ok(index
            .manifests
            .into_iter()
            .map(|m| OciDescriptor {
                media_type: m.media_type,
                size: u64::try_from(m.size).unwrap_or(0),
                digest: m.digest,
                annotations: m.annotations.unwrap_or_default().into_iter().collect(),
                // oci-client's index entries drop artifactType; callers read it from the
                // referring manifest, which they fetch anyway for its layers.
                artifact_type: None,
            })
            .collect())
    }
}

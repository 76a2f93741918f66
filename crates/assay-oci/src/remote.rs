//! Images in a registry, through oci-client. oci-client is async and its `pull` holds whole
//! layers in memory, so this source runs a private tokio runtime and turns each blob's byte
//! stream into a blocking [`Read`] that the walker consumes chunk by chunk, through the same
//! digest check as every other source.
//!
//! Call it from blocking code (a plain thread or `spawn_blocking`): it drives its own runtime
//! and cannot be used from inside another one.

use std::collections::HashMap;
use std::fmt;
use std::io::{self, Cursor, Read};

use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use oci_client::client::{ClientConfig, ClientProtocol};

use crate::digest::{Digest, Hasher};
use crate::error::Error;
use crate::limits::Limits;
use crate::manifest::Descriptor;
use crate::media_type;
use crate::reference::Reference;
use crate::source::{BlobReader, BlobSource, ImageSource, Root};

/// Credentials for a registry. `Debug` never shows a secret.
#[derive(Clone, Default)]
pub enum RegistryAuth {
    /// No credentials (public images, test registries).
    #[default]
    Anonymous,
    /// HTTP basic authentication (exchanged for a token when the registry asks).
    Basic {
        /// User name.
        username: String,
        /// Password or access token.
        password: String,
    },
    /// A bearer token used as is.
    Bearer(String),
}

impl fmt::Debug for RegistryAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegistryAuth::Anonymous => f.write_str("Anonymous"),
            RegistryAuth::Basic { username, .. } => write!(f, "Basic({username}, ***)"),
            RegistryAuth::Bearer(_) => f.write_str("Bearer(***)"),
        }
    }
}

/// How to reach the registry.
#[derive(Debug, Clone, Default)]
pub struct RemoteOptions {
    /// Credentials.
    pub auth: RegistryAuth,
    /// Registries (`host:port`) spoken to over plain HTTP, e.g. a local test registry;
    /// every other one is HTTPS.
    pub plain_http: Vec<String>,
    /// Limits for manifests and indexes.
    pub limits: Limits,
}

/// An image in a registry, `docker://REF`.
pub struct RemoteImage {
    name: String,
    reference: oci_client::Reference,
    client: oci_client::Client,
    auth: oci_client::secrets::RegistryAuth,
    runtime: tokio::runtime::Runtime,
    root: Descriptor,
    fetched: HashMap<Digest, Vec<u8>>,
}

impl fmt::Debug for RemoteImage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteImage")
            .field("name", &self.name)
            .field("root", &self.root)
            .finish_non_exhaustive()
    }
}

/// The manifest types asked for; the registry picks which it serves.
const ACCEPTED: [&str; 4] = [
    media_type::OCI_INDEX,
    media_type::DOCKER_MANIFEST_LIST,
    media_type::OCI_MANIFEST,
    media_type::DOCKER_MANIFEST,
];

impl RemoteImage {
    /// Resolves `reference` to its manifest or index (one request); blobs are fetched when
    /// opened. A pinned digest must match what the registry serves.
    pub fn open(reference: &Reference, options: &RemoteOptions) -> Result<RemoteImage, Error> {
        let name = format!("docker://{reference}");
        let Session {
            runtime,
            client,
            auth,
            reference: oci_ref,
        } = Session::new(reference, options, &name)?;
        let (bytes, _) = runtime
            .block_on(client.pull_manifest_raw(&oci_ref, &auth, &ACCEPTED))
            .map_err(|e| Error::Registry {
                reference: name.clone(),
                source: Box::new(e),
            })?;
        let limit = options.limits.max_json;
        if bytes.len() as u64 > limit {
            return Err(Error::LimitExceeded {
                what: format!("manifest of {name}"),
                limit,
                layer: None,
            });
        }
        let digest = match reference.digest() {
            Some(pinned) => {
                let mut hasher = Hasher::new(pinned.algorithm());
                hasher.update(&bytes);
                let actual = hasher.finish();
                if &actual != pinned {
                    let what = format!("manifest of {name}");
                    return Err(Error::DigestMismatch {
                        what,
                        expected: pinned.clone(),
                        actual,
                    });
                }
                actual
            }
            None => Digest::sha256_of(&bytes),
        };
        let root = Descriptor::new(
            document_media_type(&bytes),
            digest.clone(),
            bytes.len() as u64,
        );
        let mut fetched = HashMap::new();
        fetched.insert(digest, bytes.to_vec());
        Ok(RemoteImage {
            name,
            reference: oci_ref,
            client,
            auth,
            runtime,
            root,
            fetched,
        })
    }

    fn registry_error(
        &self,
        digest: &Digest,
        e: oci_client::errors::OciDistributionError,
    ) -> Error {
        Error::Registry {
            reference: format!("{}@{digest}", self.name),
            source: Box::new(e),
        }
    }
}

/// A manifest's own `mediaType`, or its shape when the field is missing (OCI allows that).
fn document_media_type(bytes: &[u8]) -> &'static str {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Shape {
        media_type: Option<String>,
        manifests: Option<serde_json::Value>,
    }
    match serde_json::from_slice::<Shape>(bytes) {
        Ok(Shape {
            media_type: Some(t),
            ..
        }) => ACCEPTED
            .iter()
            .copied()
            .find(|known| *known == t)
            .unwrap_or(media_type::OCI_MANIFEST),
        Ok(Shape {
            manifests: Some(_), ..
        }) => media_type::OCI_INDEX,
        _ => media_type::OCI_MANIFEST,
    }
}

/// A blob's byte stream as a blocking reader: each `read` waits for the next chunk.
struct StreamReader<'a> {
    runtime: &'a tokio::runtime::Runtime,
    stream: BoxStream<'static, io::Result<bytes::Bytes>>,
    chunk: bytes::Bytes,
}

impl Read for StreamReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.chunk.is_empty() {
            match self.runtime.block_on(self.stream.next()) {
                Some(Ok(chunk)) => self.chunk = chunk,
                Some(Err(e)) => return Err(e),
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.chunk.len());
        buf.get_mut(..n)
            .unwrap_or_default()
            .copy_from_slice(self.chunk.get(..n).unwrap_or_default());
        self.chunk = self.chunk.slice(n..);
        Ok(n)
    }
}

impl BlobSource for RemoteImage {
    fn open_blob(&self, digest: &Digest) -> Result<BlobReader<'_>, Error> {
        let digest_text = digest.to_string();
        let stream = self
            .runtime
            .block_on(
                self.client
                    .pull_blob_stream(&self.reference, digest_text.as_str()),
            )
            .map_err(|e| self.registry_error(digest, e))?;
        Ok(Box::new(StreamReader {
            runtime: &self.runtime,
            stream: stream.stream,
            chunk: bytes::Bytes::new(),
        }))
    }

    fn open_manifest(&self, digest: &Digest) -> Result<BlobReader<'_>, Error> {
        if let Some(bytes) = self.fetched.get(digest) {
            return Ok(Box::new(Cursor::new(bytes.clone())));
        }
        let by_digest = self.reference.clone_with_digest(digest.to_string());
        let (bytes, _) = self
            .runtime
            .block_on(
                self.client
                    .pull_manifest_raw(&by_digest, &self.auth, &ACCEPTED),
            )
            .map_err(|e| self.registry_error(digest, e))?;
        Ok(Box::new(Cursor::new(bytes.to_vec())))
    }
}

impl ImageSource for RemoteImage {
    fn name(&self) -> &str {
        &self.name
    }

    fn root(&self) -> Result<Root, Error> {
        Ok(Root::Blob(self.root.clone()))
    }
}

/// What every registry conversation starts with: a runtime, an oci-client configured for
/// TLS (plain HTTP only for the hosts the options list), the credentials in oci-client's
/// shape and the reference as oci-client names it. Shared by image pulls and artifacts.
pub(crate) struct Session {
    pub(crate) runtime: tokio::runtime::Runtime,
    pub(crate) client: oci_client::Client,
    pub(crate) auth: oci_client::secrets::RegistryAuth,
    pub(crate) reference: oci_client::Reference,
}

impl Session {
    /// Prepares a session for `reference`; `name` is how errors name it. No request is made.
    pub(crate) fn new(
        reference: &Reference,
        options: &RemoteOptions,
        name: &str,
    ) -> Result<Session, Error> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|source| Error::Read {
                what: format!("a runtime for {name}"),
                source,
            })?;
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
            RegistryAuth::Anonymous => oci_client::secrets::RegistryAuth::Anonymous,
            RegistryAuth::Basic { username, password } => {
                oci_client::secrets::RegistryAuth::Basic(username.clone(), password.clone())
            }
            RegistryAuth::Bearer(token) => oci_client::secrets::RegistryAuth::Bearer(token.clone()),
        };
        let (registry, repository) = (
            reference.registry().to_string(),
            reference.repository().to_string(),
        );
        let oci_ref = match (reference.tag(), reference.digest()) {
            (Some(tag), Some(digest)) => oci_client::Reference::with_tag_and_digest(
                registry,
                repository,
                tag.to_string(),
                digest.to_string(),
            ),
            (None, Some(digest)) => {
                oci_client::Reference::with_digest(registry, repository, digest.to_string())
            }
            (_, None) => oci_client::Reference::with_tag(
                registry,
                repository,
                reference.tag_or_latest().to_string(),
            ),
        };
        Ok(Session {
            runtime,
            client,
            auth,
            reference: oci_ref,
        })
    }
}

//! Images in a registry. Pulls go through the copy engine's registry client (retries with
//! backoff, idle timeouts, token renewal, downloads resumed with `Range`), on the engine's
//! tokio runtime; each blob's byte stream becomes a blocking [`Read`] that the walker consumes
//! chunk by chunk, through the same digest check as every other source. `crate::artifact`
//! uses the same client.
//!
//! Call it from blocking code (a plain thread or `spawn_blocking`): it drives a runtime and
//! cannot be used from inside another one.

use std::collections::HashMap;
use std::fmt;
use std::io::{self, Cursor, Read};
use std::sync::Mutex;

use futures_util::StreamExt;

use crate::copy::registry::{Policy, RegistryStore};
use crate::copy::store::BlobStream;
use crate::copy::{self, Backoff, CopyError};
use crate::digest::Digest;
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
    store: RegistryStore,
    runtime: &'static tokio::runtime::Runtime,
    root: Descriptor,
    fetched: HashMap<Digest, Vec<u8>>,
    /// Blob sizes named by the manifests read so far, so a download that ends short is
    /// resumed rather than passed on truncated.
    sizes: Mutex<HashMap<Digest, u64>>,
    max_json: u64,
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
pub(crate) const ACCEPTED: [&str; 4] = [
    media_type::OCI_INDEX,
    media_type::DOCKER_MANIFEST_LIST,
    media_type::OCI_MANIFEST,
    media_type::DOCKER_MANIFEST,
];

impl RemoteImage {
    /// Resolves `reference` to its manifest or index (one request); blobs are fetched when
    /// opened. A pinned digest must match what the registry serves. Failed requests are
    /// retried [`DEFAULT_RETRIES`] times with the default [`Backoff`].
    pub fn open(reference: &Reference, options: &RemoteOptions) -> Result<RemoteImage, Error> {
        RemoteImage::open_with(reference, options, copy::retries(), &copy::backoff())
    }

    /// [`RemoteImage::open`] with `retries` extra attempts per request and `backoff`'s
    /// delays and idle timeout (the registry client is the copy engine's: see
    /// `crate::copy` for what is retried and how downloads resume).
    pub fn open_with(
        reference: &Reference,
        options: &RemoteOptions,
        retries: u32,
        backoff: &Backoff,
    ) -> Result<RemoteImage, Error> {
        let name = format!("docker://{reference}");
        let plain_http = options.plain_http.iter().any(|h| h == reference.registry());
        let policy = Policy {
            retries,
            backoff: backoff.clone(),
        };
        let runtime = crate::copy::runtime().map_err(|e| pull_error(&name, e))?;
        let store = RegistryStore::new(reference, &options.auth, plain_http, None, false, &policy)
            .map_err(|e| pull_error(&name, e))?;
        let target = match reference.digest() {
            Some(d) => d.to_string(),
            None => reference.tag_or_latest().to_string(),
        };
        let max_json = options.limits.max_json;
        let (bytes, _) = runtime
            .block_on(store.get_manifest_limited(&target, max_json))
            .map_err(|e| pull_error(&name, e))?
            .ok_or_else(|| Error::Registry {
                reference: name.clone(),
                source: "manifest unknown (no such image or tag)".into(),
            })?;
        // A pinned digest was checked by the fetch; a tag's bytes are named by their hash.
        let digest = match reference.digest() {
            Some(pinned) => pinned.clone(),
            None => Digest::sha256_of(&bytes),
        };
        let root = Descriptor::new(
            document_media_type(&bytes),
            digest.clone(),
            bytes.len() as u64,
        );
        let image = RemoteImage {
            name,
            store,
            runtime,
            root,
            fetched: HashMap::new(),
            sizes: Mutex::new(HashMap::new()),
            max_json,
        };
        image.note_sizes(&bytes);
        let mut image = image;
        image.fetched.insert(digest, bytes);
        Ok(image)
    }

    /// Remembers the sizes of the blobs a manifest names.
    fn note_sizes(&self, manifest: &[u8]) {
        if let (Ok(refs), Ok(mut sizes)) = (
            crate::copy::parse_refs(manifest, &self.name),
            self.sizes.lock(),
        ) {
            for d in refs.blobs {
                sizes.insert(d.digest, d.size);
            }
        }
    }
}

/// A registry failure as the image sources report it: content errors keep their own
/// variants (so the caller's exit code tells bad content from a broken network).
pub(crate) fn pull_error(name: &str, e: CopyError) -> Error {
    match e {
        CopyError::DigestMismatch {
            what,
            expected,
            actual,
        } => Error::DigestMismatch {
            what,
            expected,
            actual,
        },
        CopyError::SizeMismatch {
            what,
            expected,
            actual,
        } => Error::SizeMismatch {
            what,
            expected,
            actual,
        },
        e => Error::Registry {
            reference: name.to_string(),
            source: Box::new(e),
        },
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
struct StreamReader {
    runtime: &'static tokio::runtime::Runtime,
    stream: BlobStream,
    chunk: bytes::Bytes,
}

impl Read for StreamReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.chunk.is_empty() {
            match self.runtime.block_on(self.stream.next()) {
                Some(Ok(chunk)) => self.chunk = chunk,
                Some(Err(e)) => return Err(io::Error::other(e)),
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
        let size = self.sizes.lock().ok().and_then(|s| s.get(digest).copied());
        let name = format!("{}@{digest}", self.name);
        // Configs are small: read whole and verified here, so wrong bytes are fetched again.
        if let Some(size) = size
            && size <= self.max_json
        {
            let bytes = self
                .runtime
                .block_on(self.store.get_blob_verified(digest, size))
                .map_err(|e| pull_error(&name, e))?;
            return Ok(Box::new(Cursor::new(bytes)));
        }
        let stream = self
            .runtime
            .block_on(self.store.open_blob(digest, size))
            .map_err(|e| pull_error(&name, e))?;
        Ok(Box::new(StreamReader {
            runtime: self.runtime,
            stream,
            chunk: bytes::Bytes::new(),
        }))
    }

    fn open_manifest(&self, digest: &Digest) -> Result<BlobReader<'_>, Error> {
        if let Some(bytes) = self.fetched.get(digest) {
            return Ok(Box::new(Cursor::new(bytes.clone())));
        }
        let name = format!("{}@{digest}", self.name);
        let (bytes, _) = self
            .runtime
            .block_on(
                self.store
                    .get_manifest_limited(&digest.to_string(), self.max_json),
            )
            .map_err(|e| pull_error(&name, e))?
            .ok_or_else(|| Error::Registry {
                reference: name,
                source: "manifest unknown".into(),
            })?;
        self.note_sizes(&bytes);
        Ok(Box::new(Cursor::new(bytes)))
    }
}

impl ImageSource for RemoteImage {
    fn name(&self) -> &str {
        &self.name
    }

    fn root(&self) -> Result<Root, Error> {
        Ok(Root::Blob(self.root.clone()))
    }

    fn refetches(&self) -> bool {
        true
    }
}

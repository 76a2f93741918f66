//! OCI artifacts in a registry: push files as blobs of any media type under an artifact
//! manifest, and fetch them back with every byte checked against its digest.
//!
//! Images are read through [`crate::RemoteImage`]; this module is for the other direction and
//! for things that are not images (assay's vulnerability database, signatures,
//! attestations). It follows the OCI image spec 1.1 artifact guidance: a manifest with an
//! `artifactType`, the empty config (`{}`), and layers of the artifact's own media types, so
//! any registry that stores images stores the artifact, and `oras`/`crane` can inspect it.
//!
//! Like [`crate::RemoteImage`], a [`Repository`] drives the copy engine's registry client
//! (retries, token renewal, resumed downloads) on its tokio runtime behind a blocking API;
//! do not call it from inside another runtime.

use std::collections::BTreeMap;
use std::fmt;
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::Path;

use futures_util::StreamExt;
use serde::{Deserialize, Serialize};

use crate::copy::registry::{Policy, RegistryStore};
use crate::copy::store::BlobStream;
use crate::copy::{self, Backoff, CopyError};
use crate::digest::{Digest, Hasher};
use crate::error::Error;
use crate::manifest::Descriptor;
use crate::media_type;
use crate::reference::Reference;
use crate::remote::{RemoteOptions, pull_error as registry_error};

/// The OCI empty descriptor's media type: the config of artifacts that need none.
pub const EMPTY_CONFIG: &str = "application/vnd.oci.empty.v1+json";
/// The bytes of the empty config.
pub const EMPTY_CONFIG_DATA: &[u8] = b"{}";

/// Chunk size for streaming a file to the registry.
const CHUNK: usize = 1 << 20;

/// An OCI 1.1 image manifest carrying an artifact. Unlike [`crate::Manifest`] it keeps the
/// artifact fields (`artifactType`, `subject`), which is what tells artifacts apart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactManifest {
    /// Always 2.
    pub schema_version: u32,
    /// The manifest's media type (always the OCI image manifest when pushed from here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// What the artifact is (`application/vnd.assay.db.v1`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    /// The config; [`EMPTY_CONFIG`] for artifacts.
    pub config: Descriptor,
    /// The artifact's blobs.
    #[serde(default)]
    pub layers: Vec<Descriptor>,
    /// The manifest this artifact refers to (signatures, attestations), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Descriptor>,
    /// Free-form annotations (creation time, schema versions).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

impl ArtifactManifest {
    /// A manifest for `artifact_type` with the empty config and the given layers.
    pub fn new(
        artifact_type: &str,
        layers: Vec<Descriptor>,
        annotations: BTreeMap<String, String>,
    ) -> ArtifactManifest {
        ArtifactManifest {
            schema_version: 2,
            media_type: Some(media_type::OCI_MANIFEST.to_string()),
            artifact_type: Some(artifact_type.to_string()),
            config: Descriptor::new(
                EMPTY_CONFIG,
                Digest::sha256_of(EMPTY_CONFIG_DATA),
                EMPTY_CONFIG_DATA.len() as u64,
            ),
            layers,
            subject: None,
            annotations,
        }
    }

    /// The artifact's type: `artifactType`, else the config's media type (how artifacts
    /// were marked before OCI 1.1).
    pub fn kind(&self) -> &str {
        self.artifact_type
            .as_deref()
            .unwrap_or(self.config.media_type.as_str())
    }
}

/// One repository of a registry, for pushing and fetching artifacts.
pub struct Repository {
    name: String,
    /// The tag or digest read and written.
    target: String,
    /// Reads ask tokens for pull only, so read-only credentials are enough for them.
    pull: RegistryStore,
    push: RegistryStore,
    runtime: &'static tokio::runtime::Runtime,
    max_manifest: u64,
}

impl fmt::Debug for Repository {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Repository")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl Repository {
    /// Prepares a session with the repository `reference` names (no request is made yet).
    /// The reference's tag (default `latest`) is what [`Repository::push_manifest`] writes
    /// and [`Repository::pull_manifest`] reads; a digest pins what is read. Requests go
    /// through the copy engine's registry client, so they are retried [`DEFAULT_RETRIES`]
    /// times with the default [`Backoff`] (see `crate::copy` for what is retried).
    ///
    /// # Errors
    /// [`Error::Read`] when the runtime cannot be started.
    pub fn connect(reference: &Reference, options: &RemoteOptions) -> Result<Repository, Error> {
        Repository::connect_with(reference, options, copy::retries(), &copy::backoff())
    }

    /// [`Repository::connect`] with `retries` extra attempts per request and `backoff`'s
    /// delays and idle timeout.
    ///
    /// # Errors
    /// [`Error::Read`] when the runtime cannot be started.
    pub fn connect_with(
        reference: &Reference,
        options: &RemoteOptions,
        retries: u32,
        backoff: &Backoff,
    ) -> Result<Repository, Error> {
        let name = reference.to_string();
        let runtime = crate::copy::runtime().map_err(|e| Error::Read {
            what: format!("a runtime for {name}"),
            source: io::Error::other(e),
        })?;
        let plain_http = options.plain_http.iter().any(|h| h == reference.registry());
        let policy = Policy {
            retries,
            backoff: backoff.clone(),
        };
        let store = |push| {
            RegistryStore::new(reference, &options.auth, plain_http, None, push, &policy)
                .map_err(|e| registry_error(&name, e))
        };
        Ok(Repository {
            target: match reference.digest() {
                Some(d) => d.to_string(),
                None => reference.tag_or_latest().to_string(),
            },
            pull: store(false)?,
            push: store(true)?,
            name,
            runtime,
            max_manifest: options.limits.max_json,
        })
    }

    fn error(&self, what: &str, e: CopyError) -> Error {
        registry_error(&format!("{}{what}", self.name), e)
    }

    /// Uploads the file at `path` as a blob (streamed in 1 MiB chunks; hashed first, so the
    /// registry checks what it received) and returns its descriptor. A blob the registry
    /// already has is not sent again; an upload that breaks starts again from the file.
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be read, [`Error::Registry`] when the upload fails.
    pub fn push_blob_file(&self, path: &Path, media_type: &str) -> Result<Descriptor, Error> {
        let io_error = |source| Error::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut file = File::open(path).map_err(io_error)?;
        let mut hasher = Hasher::new(crate::digest::Algorithm::Sha256);
        let mut buf = vec![0u8; CHUNK];
        let mut size = 0u64;
        loop {
            let n = file.read(&mut buf).map_err(io_error)?;
            if n == 0 {
                break;
            }
            hasher.update(buf.get(..n).unwrap_or_default());
            size += n as u64;
        }
        let desc = Descriptor::new(media_type, hasher.finish(), size);
        let open = || -> Result<BlobStream, CopyError> {
            let file = File::open(path).map_err(|source| CopyError::Io {
                path: path.to_path_buf(),
                source,
            })?;
            let path = path.to_path_buf();
            let stream = futures_util::stream::unfold(Some(file), move |state| {
                let path = path.clone();
                async move {
                    let mut file = state?;
                    let mut chunk = vec![0u8; CHUNK];
                    match file.read(&mut chunk) {
                        Ok(0) => None,
                        Ok(n) => {
                            chunk.truncate(n);
                            Some((Ok(bytes::Bytes::from(chunk)), Some(file)))
                        }
                        Err(source) => Some((Err(CopyError::Io { path, source }), None)),
                    }
                }
            });
            Ok(stream.boxed())
        };
        let what = format!("blob {} from {}", desc.digest, path.display());
        self.runtime
            .block_on(async {
                if self.push.has_blob(&desc.digest).await? {
                    return Ok(());
                }
                self.push.upload_with(&desc, open, &what).await
            })
            .map_err(|e| match e {
                CopyError::Io { path, source } => Error::Io { path, source },
                e => self.error(&format!("@{}", desc.digest), e),
            })?;
        Ok(desc)
    }

    /// Uploads `bytes` as a blob (unless the registry has it) and returns its descriptor.
    ///
    /// # Errors
    /// [`Error::Registry`] when the upload fails.
    pub fn push_blob_bytes(&self, bytes: &[u8], media_type: &str) -> Result<Descriptor, Error> {
        let desc = Descriptor::new(media_type, Digest::sha256_of(bytes), bytes.len() as u64);
        let what = format!("blob {}", desc.digest);
        let data = bytes::Bytes::copy_from_slice(bytes);
        self.runtime
            .block_on(async {
                if self.push.has_blob(&desc.digest).await? {
                    return Ok(());
                }
                self.push.upload_bytes(&desc, data, &what).await
            })
            .map_err(|e| self.error(&format!("@{}", desc.digest), e))?;
        Ok(desc)
    }

    /// Uploads `manifest` (and the empty config blob when it uses one) under the reference's
    /// tag; returns the manifest's digest. The JSON is written with sorted keys and no spaces,
    /// so the same artifact always gets the same digest.
    ///
    /// # Errors
    /// [`Error::Registry`] when the registry refuses the manifest (e.g. a layer is missing).
    pub fn push_manifest(&self, manifest: &ArtifactManifest) -> Result<Digest, Error> {
        if manifest.config.media_type == EMPTY_CONFIG {
            self.push_blob_bytes(EMPTY_CONFIG_DATA, EMPTY_CONFIG)?;
        }
        // serde_json::Value keeps object keys sorted (no preserve_order feature): canonical.
        let value = serde_json::to_value(manifest).map_err(|e| Error::Read {
            what: format!("manifest for {}", self.name),
            source: io::Error::other(e),
        })?;
        let body = serde_json::to_vec(&value).map_err(|e| Error::Read {
            what: format!("manifest for {}", self.name),
            source: io::Error::other(e),
        })?;
        let digest = Digest::sha256_of(&body);
        self.runtime
            .block_on(
                self.push
                    .put_manifest(&body, media_type::OCI_MANIFEST, &self.target),
            )
            .map_err(|e| self.error("", e))?;
        Ok(digest)
    }

    /// Fetches the manifest the reference names; a pinned digest must match. Returns the
    /// manifest's digest and the parsed manifest.
    ///
    /// # Errors
    /// [`Error::Registry`] (not found, refused), [`Error::DigestMismatch`],
    /// [`Error::LimitExceeded`] for an oversized manifest, [`Error::Read`] when it is not a
    /// manifest.
    pub fn pull_manifest(&self) -> Result<(Digest, ArtifactManifest), Error> {
        let fetched = self
            .runtime
            .block_on(
                self.pull
                    .get_manifest_limited(&self.target, self.max_manifest),
            )
            .map_err(|e| match e {
                CopyError::InvalidManifest { .. } => Error::LimitExceeded {
                    what: format!("manifest of {}", self.name),
                    limit: self.max_manifest,
                    layer: None,
                },
                e => self.error("", e),
            })?;
        let Some((bytes, _)) = fetched else {
            return Err(Error::Registry {
                reference: self.name.clone(),
                source: "manifest unknown (no such artifact or tag)".into(),
            });
        };
        // A pinned digest was checked by the fetch.
        let digest = Digest::sha256_of(&bytes);
        let manifest = serde_json::from_slice(&bytes).map_err(|e| Error::Read {
            what: format!("manifest of {}", self.name),
            source: io::Error::new(io::ErrorKind::InvalidData, e),
        })?;
        Ok((digest, manifest))
    }

    /// Streams the blob `descriptor` names into `out`, checking its size while reading and
    /// its digest at the end. A download that breaks is resumed where it stopped. On an
    /// error `out` holds partial data: write to a temporary file and keep it only on success.
    ///
    /// # Errors
    /// [`Error::Registry`], [`Error::SizeMismatch`] (more or fewer bytes than described),
    /// [`Error::DigestMismatch`], [`Error::Read`] when `out` fails.
    pub fn pull_blob_to(&self, descriptor: &Descriptor, out: &mut dyn Write) -> Result<u64, Error> {
        let digest = &descriptor.digest;
        let what = format!("blob {digest} of {}", self.name);
        let mut stream = self
            .runtime
            .block_on(self.pull.open_blob(digest, Some(descriptor.size)))
            .map_err(|e| self.error(&format!("@{digest}"), e))?;
        let mut hasher = Hasher::new(digest.algorithm());
        let mut read = 0u64;
        while let Some(chunk) = self.runtime.block_on(stream.next()) {
            let chunk = chunk.map_err(|e| match e {
                CopyError::SizeMismatch {
                    expected, actual, ..
                } => Error::SizeMismatch {
                    what: what.clone(),
                    expected,
                    actual,
                },
                e => self.error(&format!("@{digest}"), e),
            })?;
            read += chunk.len() as u64;
            if read > descriptor.size {
                return Err(Error::SizeMismatch {
                    what,
                    expected: descriptor.size,
                    actual: read,
                });
            }
            hasher.update(&chunk);
            out.write_all(&chunk).map_err(|source| Error::Read {
                what: what.clone(),
                source,
            })?;
        }
        if read != descriptor.size {
            return Err(Error::SizeMismatch {
                what,
                expected: descriptor.size,
                actual: read,
            });
        }
        let actual = hasher.finish();
        if &actual != digest {
            return Err(Error::DigestMismatch {
                what,
                expected: digest.clone(),
                actual,
            });
        }
        Ok(read)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_empty_config_is_the_spec_digest() {
        let m = ArtifactManifest::new("application/x-test", Vec::new(), BTreeMap::new());
        assert_eq!(
            m.config.digest.to_string(),
            "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
        );
        assert_eq!(m.kind(), "application/x-test");
    }
}

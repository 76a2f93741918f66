//! An OCI image layout as a copy source or destination. Tags are `index.json` entries with
//! an `org.opencontainers.image.ref.name` annotation; manifests are blobs like any other.
//! Layouts have no referrers API, so referrers use the tag-schema fallback, as on a registry
//! without it. Blobs are written to a temporary file, verified, then renamed into place, and
//! `index.json` is replaced atomically, so a reader never sees a half-written image.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use futures_util::StreamExt;

use super::store::BlobStream;
use super::{CopyError, MAX_MANIFEST, manifest_media_type};
use crate::digest::{Digest, Hasher};
use crate::manifest::{ANNOTATION_REF_NAME, Descriptor, Index};
use crate::media_type;

/// A layout directory.
#[derive(Debug)]
pub(crate) struct LayoutStore {
    dir: PathBuf,
    /// Serialises `index.json` updates within this process.
    index_lock: Mutex<()>,
}

fn io_error(path: &Path, source: io::Error) -> CopyError {
    CopyError::Io {
        path: path.to_path_buf(),
        source,
    }
}

impl LayoutStore {
    pub(crate) fn open(dir: &Path, create: bool) -> Result<LayoutStore, CopyError> {
        let marker = dir.join("oci-layout");
        if !marker.exists() {
            if !create {
                return Err(CopyError::Layout {
                    path: dir.to_path_buf(),
                    reason: "no oci-layout file".into(),
                });
            }
            let occupied = fs::read_dir(dir).is_ok_and(|mut d| d.next().is_some());
            if occupied {
                return Err(CopyError::Layout {
                    path: dir.to_path_buf(),
                    reason: "directory is not empty and has no oci-layout file".into(),
                });
            }
            fs::create_dir_all(dir.join("blobs").join("sha256")).map_err(|e| io_error(dir, e))?;
            write_atomically(&marker, br#"{"imageLayoutVersion":"1.0.0"}"#)?;
        }
        let store = LayoutStore {
            dir: dir.to_path_buf(),
            index_lock: Mutex::new(()),
        };
        if create && !dir.join("index.json").exists() {
            store.write_index(&Index {
                schema_version: 2,
                media_type: Some(media_type::OCI_INDEX.to_string()),
                manifests: Vec::new(),
                annotations: Default::default(),
            })?;
        }
        Ok(store)
    }

    /// A layout that does not exist yet, for a dry run: it holds nothing and is never
    /// written.
    pub(crate) fn planned(dir: &Path) -> LayoutStore {
        LayoutStore {
            dir: dir.to_path_buf(),
            index_lock: Mutex::new(()),
        }
    }

    fn blob_path(&self, digest: &Digest) -> PathBuf {
        self.dir
            .join("blobs")
            .join(digest.algorithm().as_str())
            .join(digest.hex())
    }

    fn read_index(&self) -> Result<Index, CopyError> {
        let path = self.dir.join("index.json");
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Ok(Index {
                    schema_version: 2,
                    media_type: Some(media_type::OCI_INDEX.to_string()),
                    manifests: Vec::new(),
                    annotations: Default::default(),
                });
            }
            Err(e) => return Err(io_error(&path, e)),
        };
        serde_json::from_slice(&bytes).map_err(|e| CopyError::Layout {
            path: path.clone(),
            reason: format!("index.json: {e}"),
        })
    }

    fn write_index(&self, index: &Index) -> Result<(), CopyError> {
        let path = self.dir.join("index.json");
        let bytes = serde_json::to_vec_pretty(index).map_err(|e| CopyError::Layout {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        write_atomically(&path, &bytes)
    }

    fn find_tag(&self, tag: &str) -> Result<Option<Descriptor>, CopyError> {
        Ok(self
            .read_index()?
            .manifests
            .into_iter()
            .find(|d| d.ref_name() == Some(tag)))
    }

    pub(crate) fn has_blob(&self, digest: &Digest) -> bool {
        self.blob_path(digest).is_file()
    }

    pub(crate) fn get_manifest(
        &self,
        reference: &str,
    ) -> Result<Option<(Vec<u8>, String)>, CopyError> {
        let digest = match Digest::parse(reference) {
            Ok(d) => d,
            Err(_) => match self.find_tag(reference)? {
                Some(d) => d.digest,
                None => return Ok(None),
            },
        };
        let path = self.blob_path(&digest);
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_error(&path, e)),
        };
        if bytes.len() > MAX_MANIFEST {
            return Err(CopyError::InvalidManifest {
                what: path.display().to_string(),
                reason: format!("larger than {MAX_MANIFEST} bytes"),
            });
        }
        super::verify_bytes(&bytes, &digest, &path.display().to_string())?;
        let media_type = manifest_media_type(&bytes);
        Ok(Some((bytes, media_type)))
    }

    pub(crate) fn manifest_digest(&self, tag: &str) -> Result<Option<Digest>, CopyError> {
        Ok(self.find_tag(tag)?.map(|d| d.digest))
    }

    pub(crate) fn put_manifest(
        &self,
        bytes: &[u8],
        media_type: &str,
        reference: &str,
    ) -> Result<(), CopyError> {
        let digest = Digest::sha256_of(bytes);
        let path = self.blob_path(&digest);
        if !path.is_file() {
            write_atomically(&path, bytes)?;
        }
        if Digest::parse(reference).is_ok() {
            return Ok(());
        }
        let _guard = self.index_lock.lock();
        let mut index = self.read_index()?;
        index.manifests.retain(|d| d.ref_name() != Some(reference));
        let mut desc = Descriptor::new(media_type, digest, bytes.len() as u64);
        desc.annotations
            .insert(ANNOTATION_REF_NAME.to_string(), reference.to_string());
        index.manifests.push(desc);
        self.write_index(&index)
    }

    pub(crate) fn open_blob(&self, digest: &Digest) -> Result<BlobStream, CopyError> {
        let path = self.blob_path(digest);
        let file = match std::fs::File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(CopyError::NotFound(path.display().to_string()));
            }
            Err(e) => return Err(io_error(&path, e)),
        };
        // Blocking reads in 1 MiB pieces; a layout is local disk, and the engine's
        // parallelism bounds how many are read at once.
        let stream = futures_util::stream::unfold(Some((file, path)), |state| async move {
            let (mut file, path) = state?;
            let mut buf = vec![0u8; 1 << 20];
            match io::Read::read(&mut file, &mut buf) {
                Ok(0) => None,
                Ok(n) => {
                    buf.truncate(n);
                    Some((Ok(bytes::Bytes::from(buf)), Some((file, path))))
                }
                Err(e) => Some((Err(io_error(&path, e)), None)),
            }
        });
        Ok(stream.boxed())
    }

    pub(crate) async fn put_blob(
        &self,
        desc: &Descriptor,
        mut stream: BlobStream,
        what: &str,
    ) -> Result<(), CopyError> {
        let path = self.blob_path(&desc.digest);
        let dir = path.parent().unwrap_or(&self.dir).to_path_buf();
        fs::create_dir_all(&dir).map_err(|e| io_error(&dir, e))?;
        let mut tmp = tempfile::Builder::new()
            .prefix(".assay-blob-")
            .tempfile_in(&dir)
            .map_err(|e| io_error(&dir, e))?;
        let mut hasher = Hasher::new(desc.digest.algorithm());
        let mut seen = 0u64;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk?;
            seen += chunk.len() as u64;
            if seen > desc.size {
                break;
            }
            hasher.update(&chunk);
            tmp.write_all(&chunk).map_err(|e| io_error(tmp.path(), e))?;
        }
        if seen != desc.size {
            return Err(CopyError::SizeMismatch {
                what: what.to_string(),
                expected: desc.size,
                actual: seen,
            });
        }
        let actual = hasher.finish();
        if actual != desc.digest {
            return Err(CopyError::DigestMismatch {
                what: what.to_string(),
                expected: desc.digest.clone(),
                actual,
            });
        }
        tmp.as_file().sync_all().map_err(|e| io_error(&path, e))?;
        tmp.persist(&path).map_err(|e| io_error(&path, e.error))?;
        Ok(())
    }
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), CopyError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(|e| io_error(dir, e))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".assay-")
        .tempfile_in(dir)
        .map_err(|e| io_error(dir, e))?;
    tmp.write_all(bytes).map_err(|e| io_error(path, e))?;
    tmp.as_file().sync_all().map_err(|e| io_error(path, e))?;
    tmp.persist(path).map_err(|e| io_error(path, e.error))?;
    Ok(())
}

//! Signatures in an OCI image layout: blobs under `blobs/sha256/`, tagged manifests as
//! `index.json` entries named by `org.opencontainers.image.ref.name`. Writes go through a
//! temporary file and a rename, so a reader never sees half an `index.json`.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use assay_oci::Digest;

use super::{
    MAX_MANIFEST, OciDescriptor, OciIndex, Store, Subject, check_digest, document_media_type,
};
use crate::error::Error;

const REF_NAME: &str = "org.opencontainers.image.ref.name";

/// One OCI layout folder.
#[derive(Debug)]
pub struct LayoutStore {
    name: String,
    repository: String,
    dir: PathBuf,
    subject: Subject,
}

/// Whether `name` is a tag assay or cosign attaches to an image (`sha256-<hex>` referrers
/// index, `sha256-<hex>.sig`/`.att`/`.sbom`): such entries are not images to pick.
pub fn is_attachment_tag(name: &str) -> bool {
    let Some(rest) = name.strip_prefix("sha256-") else {
        return false;
    };
    let hex = rest.split_once('.').map_or(rest, |(hex, suffix)| {
        if matches!(suffix, "sig" | "att" | "sbom") {
            hex
        } else {
            ""
        }
    });
    hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit())
}

impl LayoutStore {
    /// Opens the layout in `dir` and resolves the image: by `digest`, by `tag`, or the only
    /// image entry when neither is given (entries that are attachments do not count).
    pub fn open(
        dir: &Path,
        tag: Option<&str>,
        digest: Option<&Digest>,
    ) -> Result<LayoutStore, Error> {
        let name = match (tag, digest) {
            (Some(t), _) => format!("oci:{}:{t}", dir.display()),
            (None, Some(d)) => format!("oci:{}@{d}", dir.display()),
            (None, None) => format!("oci:{}", dir.display()),
        };
        if !dir.join("oci-layout").is_file() {
            return Err(Error::invalid(
                name,
                "not an OCI image layout (no oci-layout file)",
            ));
        }
        let mut store = LayoutStore {
            name,
            repository: format!("oci:{}", dir.display()),
            dir: dir.to_path_buf(),
            subject: Subject {
                digest: Digest::sha256_of(b""),
                media_type: String::new(),
                size: 0,
                by_tag: digest.is_none(),
            },
        };
        let entry = if let Some(d) = digest {
            let bytes = store.manifest_by_digest(d)?.ok_or_else(|| {
                Error::invalid(store.name.clone(), format!("no manifest {d} in the layout"))
            })?;
            OciDescriptor::of(&document_media_type(&bytes), &bytes)
        } else {
            // The image reader's rules (tags, containerd names, the only image), which skip
            // the attachment entries this store writes.
            use assay_oci::ImageSource;
            match assay_oci::OciLayout::open(dir, tag)?.root()? {
                assay_oci::Root::Blob(d) => OciDescriptor {
                    media_type: d.media_type,
                    size: d.size,
                    digest: d.digest.to_string(),
                    annotations: Default::default(),
                    artifact_type: None,
                },
                assay_oci::Root::Index(_) => {
                    return Err(Error::invalid(
                        store.name.clone(),
                        "index.json lists platform manifests directly; name one as oci:DIR@DIGEST",
                    ));
                }
            }
        };
        store.subject = Subject {
            digest: entry.parsed_digest()?,
            media_type: entry.media_type.clone(),
            size: entry.size,
            by_tag: digest.is_none(),
        };
        Ok(store)
    }

    fn blob_path(&self, digest: &Digest) -> PathBuf {
        self.dir
            .join("blobs")
            .join(digest.algorithm().as_str())
            .join(digest.hex())
    }

    fn read_limited(&self, path: &Path, limit: u64) -> Result<Option<Vec<u8>>, Error> {
        let file = match fs::File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io(path.display().to_string(), e)),
        };
        let mut bytes = Vec::new();
        file.take(limit + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| Error::io(path.display().to_string(), e))?;
        if bytes.len() as u64 > limit {
            return Err(Error::invalid(
                path.display().to_string(),
                format!("larger than {limit} bytes"),
            ));
        }
        Ok(Some(bytes))
    }

    fn index(&self) -> Result<OciIndex, Error> {
        let path = self.dir.join("index.json");
        let bytes = self
            .read_limited(&path, MAX_MANIFEST)?
            .ok_or_else(|| Error::invalid(self.name.clone(), "no index.json"))?;
        serde_json::from_slice(&bytes)
            .map_err(|e| Error::invalid(path.display().to_string(), e.to_string()))
    }

    fn write_atomically(&self, path: &Path, bytes: &[u8]) -> Result<(), Error> {
        let dir = path.parent().unwrap_or(&self.dir);
        fs::create_dir_all(dir).map_err(|e| Error::io(dir.display().to_string(), e))?;
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = dir.join(format!(".{file_name}.assay-{}", std::process::id()));
        let result = fs::File::create(&tmp)
            .and_then(|mut f| f.write_all(bytes).and_then(|()| f.sync_all()))
            .and_then(|()| fs::rename(&tmp, path));
        if let Err(e) = result {
            let _ = fs::remove_file(&tmp);
            return Err(Error::io(path.display().to_string(), e));
        }
        Ok(())
    }

    /// Rewrites `index.json` with `tag` naming `entry`, keeping every other field and entry.
    fn set_tag(&self, tag: &str, mut entry: OciDescriptor) -> Result<(), Error> {
        let path = self.dir.join("index.json");
        let bytes = self
            .read_limited(&path, MAX_MANIFEST)?
            .ok_or_else(|| Error::invalid(self.name.clone(), "no index.json"))?;
        let mut index: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|e| Error::invalid(path.display().to_string(), e.to_string()))?;
        entry
            .annotations
            .insert(REF_NAME.to_string(), tag.to_string());
        let entry = serde_json::to_value(&entry)
            .map_err(|e| Error::invalid(path.display().to_string(), e.to_string()))?;
        let manifests = index
            .get_mut("manifests")
            .and_then(|m| m.as_array_mut())
            .ok_or_else(|| Error::invalid(path.display().to_string(), "no manifests array"))?;
        manifests.retain(|m| {
            m.pointer("/annotations/org.opencontainers.image.ref.name")
                .and_then(|n| n.as_str())
                != Some(tag)
        });
        manifests.push(entry);
        let mut out = serde_json::to_vec(&index)
            .map_err(|e| Error::invalid(path.display().to_string(), e.to_string()))?;
        out.push(b'\n');
        self.write_atomically(&path, &out)
    }
}

impl Store for LayoutStore {
    fn name(&self) -> &str {
        &self.name
    }

    fn repository(&self) -> &str {
        // A layout has no repository name: the payload's docker-reference and the statement
        // subject name it `oci:DIR`, without tag or digest.
        &self.repository
    }

    fn subject(&self) -> &Subject {
        &self.subject
    }

    fn manifest_by_tag(&self, tag: &str) -> Result<Option<Vec<u8>>, Error> {
        let index = self.index()?;
        let Some(entry) = index
            .manifests
            .iter()
            .find(|m| m.annotations.get(REF_NAME).is_some_and(|n| n == tag))
        else {
            return Ok(None);
        };
        let digest = entry.parsed_digest()?;
        self.manifest_by_digest(&digest)?
            .ok_or_else(|| {
                Error::invalid(
                    self.name.clone(),
                    format!("tag {tag} names missing blob {digest}"),
                )
            })
            .map(Some)
    }

    fn manifest_by_digest(&self, digest: &Digest) -> Result<Option<Vec<u8>>, Error> {
        let bytes = self.read_limited(&self.blob_path(digest), MAX_MANIFEST)?;
        if let Some(b) = &bytes {
            check_digest(b, digest, &format!("{}@{digest}", self.name))?;
        }
        Ok(bytes)
    }

    fn blob(&self, digest: &Digest, limit: u64) -> Result<Vec<u8>, Error> {
        let bytes = self
            .read_limited(&self.blob_path(digest), limit)?
            .ok_or_else(|| {
                Error::invalid(self.name.clone(), format!("blob {digest} is missing"))
            })?;
        check_digest(&bytes, digest, &format!("{}@{digest}", self.name))?;
        Ok(bytes)
    }

    fn put_blob(&self, bytes: &[u8]) -> Result<Digest, Error> {
        let digest = Digest::sha256_of(bytes);
        let path = self.blob_path(&digest);
        if !path.is_file() {
            self.write_atomically(&path, bytes)?;
        }
        Ok(digest)
    }

    fn put_manifest(
        &self,
        bytes: &[u8],
        media_type: &str,
        tag: Option<&str>,
    ) -> Result<Digest, Error> {
        let digest = self.put_blob(bytes)?;
        if let Some(tag) = tag {
            self.set_tag(tag, OciDescriptor::of(media_type, bytes))?;
        }
        Ok(digest)
    }

    fn referrers(&self, digest: &Digest) -> Result<Vec<OciDescriptor>, Error> {
        // Layouts have no referrers API: the tag schema is the index of referrers.
        let Some(bytes) = self.manifest_by_tag(&crate::error::digest_tag(digest))? else {
            return Ok(Vec::new());
        };
        let index: OciIndex = serde_json::from_slice(&bytes).map_err(|e| {
            Error::invalid(format!("referrers index of {}", self.name), e.to_string())
        })?;
        Ok(index.manifests)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_attachment_tags() {
        let hex = "a".repeat(64);
        assert!(is_attachment_tag(&format!("sha256-{hex}")));
        assert!(is_attachment_tag(&format!("sha256-{hex}.sig")));
        assert!(is_attachment_tag(&format!("sha256-{hex}.att")));
        assert!(!is_attachment_tag(&format!("sha256-{hex}.txt")));
        assert!(!is_attachment_tag("sha256-abc.sig"));
        assert!(!is_attachment_tag("latest"));
    }
}

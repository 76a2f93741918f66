//! OCI image layouts (`oci:DIR[:TAG]`): `oci-layout`, `index.json` and `blobs/ALG/HEX`. The
//! same reader serves the OCI-format `docker save` archives, over a tar instead of a folder.

use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use crate::digest::Digest;
use crate::error::Error;
use crate::image::parse;
use crate::limits::Limits;
use crate::manifest::{ANNOTATION_CONTAINERD_NAME, Descriptor, Index};
use crate::reference::Reference;
use crate::source::{BlobReader, BlobSource, ImageSource, Root};

/// Files of a layout by their path inside it (a folder, or a tar indexed in place).
pub(crate) trait LayoutStore: Send + Sync + fmt::Debug {
    /// Opens `rel` (`index.json`, `blobs/sha256/...`); `Ok(None)` when it is not there.
    fn open(&self, rel: &str) -> Result<Option<BlobReader<'_>>, Error>;
}

/// Reads a small metadata file, refusing more than `limit` bytes.
pub(crate) fn read_small(
    store: &dyn LayoutStore,
    rel: &str,
    name: &str,
    limit: u64,
) -> Result<Option<Vec<u8>>, Error> {
    let Some(reader) = store.open(rel)? else {
        return Ok(None);
    };
    let mut bytes = Vec::new();
    reader
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| Error::Io {
            path: PathBuf::from(format!("{name}/{rel}")),
            source,
        })?;
    if bytes.len() as u64 > limit {
        return Err(Error::LimitExceeded {
            what: format!("{rel} of {name}"),
            limit,
            layer: None,
        });
    }
    Ok(Some(bytes))
}

/// The layout logic over any store.
#[derive(Debug)]
pub(crate) struct LayoutReader<S> {
    name: String,
    store: S,
    tag: Option<String>,
    index: Index,
}

impl<S: LayoutStore> LayoutReader<S> {
    pub(crate) fn new(
        name: String,
        store: S,
        tag: Option<String>,
    ) -> Result<LayoutReader<S>, Error> {
        let limit = Limits::default().max_json;
        let marker =
            read_small(&store, "oci-layout", &name, limit)?.ok_or_else(|| Error::Invalid {
                what: name.clone(),
                why: "not an OCI image layout (no oci-layout file)".into(),
            })?;
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Marker {
            image_layout_version: String,
        }
        let marker: Marker = parse(&marker, &format!("oci-layout of {name}"))?;
        if !marker.image_layout_version.starts_with("1.") {
            return Err(Error::Invalid {
                what: format!("oci-layout of {name}"),
                why: format!(
                    "unsupported imageLayoutVersion {:?}",
                    marker.image_layout_version
                ),
            });
        }
        let index =
            read_small(&store, "index.json", &name, limit)?.ok_or_else(|| Error::Invalid {
                what: name.clone(),
                why: "no index.json".into(),
            })?;
        let index: Index = parse(&index, &format!("index.json of {name}"))?;
        Ok(LayoutReader {
            name,
            store,
            tag,
            index,
        })
    }

    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// With a tag, the entry carrying it; without, the only entry, or `index.json` itself
    /// when its entries are untagged platform manifests.
    pub(crate) fn root(&self) -> Result<Root, Error> {
        // Signatures, attestations and referrers indexes stored in the layout (cosign's tags
        // `sha256-<hex>.sig`/`.att`/`.sbom`, `sha256-<hex>`; see assay-sign) are not images.
        let entries: Vec<Descriptor> = self
            .index
            .manifests
            .iter()
            .filter(|d| !image_name(d).is_some_and(is_attachment_tag))
            .cloned()
            .collect();
        let entries = &entries;
        let available: Vec<String> = entries
            .iter()
            .filter_map(|d| image_name(d).map(str::to_string))
            .collect();
        if let Some(tag) = &self.tag {
            return entries
                .iter()
                .find(|d| names(d).any(|n| name_matches(n, tag)))
                .map(|d| Root::Blob(d.clone()))
                .ok_or_else(|| Error::TagNotFound {
                    image: self.name.clone(),
                    tag: tag.clone(),
                    available,
                });
        }
        match entries.as_slice() {
            [] => Err(Error::Invalid {
                what: format!("index.json of {}", self.name),
                why: "no images".into(),
            }),
            [only] => Ok(Root::Blob(only.clone())),
            _ if available.is_empty() => Ok(Root::Index(self.index.clone())),
            _ => Err(Error::AmbiguousImage {
                image: self.name.clone(),
                available,
            }),
        }
    }

    pub(crate) fn open_blob(&self, digest: &Digest) -> Result<BlobReader<'_>, Error> {
        let rel = format!("blobs/{}/{}", digest.algorithm().as_str(), digest.hex());
        self.store.open(&rel)?.ok_or_else(|| Error::BlobNotFound {
            digest: digest.clone(),
            image: self.name.clone(),
        })
    }
}

fn names(d: &Descriptor) -> impl Iterator<Item = &str> {
    [
        d.ref_name(),
        d.annotations
            .get(ANNOTATION_CONTAINERD_NAME)
            .map(String::as_str),
    ]
    .into_iter()
    .flatten()
}

/// `sha256-<64 hex>` optionally followed by `.sig`, `.att` or `.sbom`.
fn is_attachment_tag(name: &str) -> bool {
    let Some(rest) = name.strip_prefix("sha256-") else {
        return false;
    };
    let hex = match rest.split_once('.') {
        Some((hex, "sig" | "att" | "sbom")) => hex,
        Some(_) => return false,
        None => rest,
    };
    hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit())
}

fn image_name(d: &Descriptor) -> Option<&str> {
    names(d).next()
}

/// `3.19` matches `3.19` and `docker.io/library/alpine:3.19`; `alpine:3.19` matches the
/// latter too, by comparing parsed references.
pub(crate) fn name_matches(have: &str, wanted: &str) -> bool {
    if have == wanted
        || have
            .rsplit_once(':')
            .is_some_and(|(_, tag)| tag == wanted && !wanted.contains(['/', ':']))
    {
        return true;
    }
    matches!((Reference::parse(have), Reference::parse(wanted)), (Ok(a), Ok(b)) if a == b)
}

/// A layout folder.
#[derive(Debug)]
struct DirStore {
    dir: PathBuf,
}

impl LayoutStore for DirStore {
    fn open(&self, rel: &str) -> Result<Option<BlobReader<'_>>, Error> {
        let path = self.dir.join(rel);
        match File::open(&path) {
            Ok(f) => Ok(Some(Box::new(f))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(Error::Io { path, source }),
        }
    }
}

/// An OCI image layout on disk, `oci:DIR[:TAG]`.
#[derive(Debug)]
pub struct OciLayout {
    inner: LayoutReader<DirStore>,
}

impl OciLayout {
    /// Opens the layout in `dir`, the image tagged `tag` (the
    /// `org.opencontainers.image.ref.name` annotation) or, with none, its only image.
    pub fn open(dir: &Path, tag: Option<&str>) -> Result<OciLayout, Error> {
        let name = match tag {
            Some(t) => format!("oci:{}:{t}", dir.display()),
            None => format!("oci:{}", dir.display()),
        };
        let store = DirStore {
            dir: dir.to_path_buf(),
        };
        Ok(OciLayout {
            inner: LayoutReader::new(name, store, tag.map(str::to_string))?,
        })
    }
}

impl BlobSource for OciLayout {
    fn open_blob(&self, digest: &Digest) -> Result<BlobReader<'_>, Error> {
        self.inner.open_blob(digest)
    }
}

impl ImageSource for OciLayout {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn root(&self) -> Result<Root, Error> {
        self.inner.root()
    }
}

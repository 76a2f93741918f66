//! `docker save` archives (`docker-archive:FILE`), read in place: one pass records where each
//! member's bytes start, then blobs are served by seeking, so nothing is extracted to disk.
//! Both forms are read: the legacy one (`manifest.json`, `<id>/layer.tar`, `repositories`)
//! and the OCI layout Docker 25+ writes (`index.json`, `blobs/`), preferred when present.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Cursor, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use crate::digest::Digest;
use crate::error::Error;
use crate::image::parse;
use crate::layout::{LayoutReader, LayoutStore, name_matches, read_small};
use crate::limits::Limits;
use crate::manifest::{Descriptor, Manifest};
use crate::media_type::{self, Compression};
use crate::path::{join, normalize, parent};
use crate::source::{BlobReader, BlobSource, ImageSource, Root};

/// Symlinks between archive members followed at most this often (docker save links shared
/// layers between image folders).
const MAX_MEMBER_LINKS: usize = 8;

#[derive(Debug, Clone)]
enum Member {
    File { offset: u64, size: u64 },
    Link(String),
}

/// The archive's members by normalised path, and where their bytes are.
#[derive(Debug)]
struct TarStore {
    path: PathBuf,
    members: HashMap<String, Member>,
}

impl TarStore {
    fn index(path: &Path, name: &str, limits: &Limits) -> Result<TarStore, Error> {
        let file = File::open(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let mut archive = tar::Archive::new(BufReader::new(file));
        let invalid = |e: std::io::Error| Error::Invalid {
            what: name.to_string(),
            why: format!("not a readable tar: {e}"),
        };
        let mut members = HashMap::new();
        for entry in archive.entries_with_seek().map_err(invalid)? {
            let entry = entry.map_err(invalid)?;
            if members.len() as u64 >= limits.max_entries {
                return Err(Error::LimitExceeded {
                    what: format!("members of {name}"),
                    limit: limits.max_entries,
                    layer: None,
                });
            }
            let member = normalize(&String::from_utf8_lossy(&entry.path_bytes())).path;
            let kind = entry.header().entry_type();
            let link = || {
                entry
                    .link_name_bytes()
                    .map(|l| String::from_utf8_lossy(&l).into_owned())
            };
            let item = if kind.is_file() || kind == tar::EntryType::Continuous {
                Member::File {
                    offset: entry.raw_file_position(),
                    size: entry.size(),
                }
            } else if kind.is_symlink() {
                let Some(target) = link() else { continue };
                let base = if target.starts_with('/') {
                    String::new()
                } else {
                    parent(&member).to_string()
                };
                Member::Link(normalize(&join(&base, &target)).path)
            } else if kind.is_hard_link() {
                let Some(target) = link() else { continue };
                Member::Link(normalize(&target).path)
            } else {
                continue;
            };
            members.insert(member, item);
        }
        Ok(TarStore {
            path: path.to_path_buf(),
            members,
        })
    }

    fn locate(&self, rel: &str) -> Option<(u64, u64)> {
        let mut current = normalize(rel).path;
        for _ in 0..=MAX_MEMBER_LINKS {
            match self.members.get(&current)? {
                Member::File { offset, size } => return Some((*offset, *size)),
                Member::Link(target) => current = target.clone(),
            }
        }
        None
    }
}

impl LayoutStore for TarStore {
    fn open(&self, rel: &str) -> Result<Option<BlobReader<'_>>, Error> {
        let Some((offset, size)) = self.locate(rel) else {
            return Ok(None);
        };
        let io = |source| Error::Io {
            path: self.path.clone(),
            source,
        };
        let mut file = File::open(&self.path).map_err(io)?;
        file.seek(SeekFrom::Start(offset)).map_err(io)?;
        Ok(Some(Box::new(BufReader::new(file.take(size)))))
    }
}

/// `manifest.json` entry of a legacy archive.
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ArchiveEntry {
    config: String,
    #[serde(default)]
    repo_tags: Option<Vec<String>>,
    #[serde(default)]
    layers: Vec<String>,
}

/// A legacy archive as an image: a synthesised Docker v2 manifest whose config digest is
/// computed and whose uncompressed layers are named by their diff_ids, so every blob is
/// still verified against a digest.
#[derive(Debug)]
struct Legacy {
    store: TarStore,
    manifest: Descriptor,
    synthesized: HashMap<Digest, Vec<u8>>,
    blobs: HashMap<Digest, String>,
}

#[derive(Debug)]
enum Kind {
    Oci(LayoutReader<TarStore>),
    Legacy(Legacy),
}

/// A `docker save` archive, `docker-archive:FILE`.
#[derive(Debug)]
pub struct DockerArchive {
    name: String,
    kind: Kind,
}

impl DockerArchive {
    /// Opens `path`; `reference` (`alpine:3.20`) picks an image when it holds several.
    pub fn open(path: &Path, reference: Option<&str>) -> Result<DockerArchive, Error> {
        let name = match reference {
            Some(r) => format!("docker-archive:{}:{r}", path.display()),
            None => format!("docker-archive:{}", path.display()),
        };
        let limits = Limits::default();
        let store = TarStore::index(path, &name, &limits)?;
        if store.locate("index.json").is_some() && store.locate("oci-layout").is_some() {
            let layout = LayoutReader::new(name.clone(), store, reference.map(str::to_string))?;
            return Ok(DockerArchive {
                name,
                kind: Kind::Oci(layout),
            });
        }
        let legacy = Legacy::open(store, &name, reference, &limits)?;
        Ok(DockerArchive {
            name,
            kind: Kind::Legacy(legacy),
        })
    }
}

impl Legacy {
    fn open(
        store: TarStore,
        name: &str,
        reference: Option<&str>,
        limits: &Limits,
    ) -> Result<Legacy, Error> {
        let bytes = read_small(&store, "manifest.json", name, limits.max_json)?.ok_or_else(|| Error::Invalid {
            what: name.to_string(),
            why: "neither index.json nor manifest.json: not a docker save archive (or one from Docker < 1.10)".into(),
        })?;
        let entries: Vec<ArchiveEntry> = parse(&bytes, &format!("manifest.json of {name}"))?;
        let tags = |e: &ArchiveEntry| e.repo_tags.clone().unwrap_or_default();
        let available: Vec<String> = entries.iter().flat_map(tags).collect();
        let entry = match reference {
            Some(r) => entries
                .iter()
                .find(|e| tags(e).iter().any(|t| name_matches(t, r)))
                .ok_or_else(|| Error::TagNotFound {
                    image: name.to_string(),
                    tag: r.to_string(),
                    available: available.clone(),
                })?,
            None => match entries.as_slice() {
                [only] => only,
                [] => {
                    return Err(Error::Invalid {
                        what: format!("manifest.json of {name}"),
                        why: "no images".into(),
                    });
                }
                _ => {
                    return Err(Error::AmbiguousImage {
                        image: name.to_string(),
                        available,
                    });
                }
            },
        };

        let config_what = format!("config {} of {name}", entry.config);
        let config_bytes =
            read_small(&store, &entry.config, name, limits.max_json)?.ok_or_else(|| {
                Error::Invalid {
                    what: name.to_string(),
                    why: format!(
                        "manifest.json names config {} which is not in the archive",
                        entry.config
                    ),
                }
            })?;
        let config_digest = Digest::sha256_of(&config_bytes);
        if let Some(named) = digest_in_name(&entry.config)
            && named != config_digest
        {
            return Err(Error::DigestMismatch {
                what: config_what,
                expected: named,
                actual: config_digest,
            });
        }
        let config: crate::config::ImageConfig = parse(&config_bytes, &config_what)?;
        let diff_ids = &config.rootfs.diff_ids;
        if diff_ids.len() != entry.layers.len() {
            return Err(Error::Invalid {
                what: format!("manifest.json of {name}"),
                why: format!(
                    "{} layers but the config lists {} diff_ids",
                    entry.layers.len(),
                    diff_ids.len()
                ),
            });
        }

        let mut blobs = HashMap::new();
        blobs.insert(config_digest.clone(), entry.config.clone());
        let mut layers = Vec::new();
        for (path, diff_id) in entry.layers.iter().zip(diff_ids) {
            let (_, size) = store.locate(path).ok_or_else(|| Error::Invalid {
                what: name.to_string(),
                why: format!("manifest.json names layer {path} which is not in the archive"),
            })?;
            // Docker 25+ points at content-addressed blobs that may be compressed; older
            // archives hold plain tars named by a v1 id, whose digest is the diff_id.
            let (digest, media_type) =
                match digest_in_name(path).filter(|_| path.starts_with("blobs/")) {
                    Some(digest) => (digest, sniff_media_type(&store, path)?),
                    None => (diff_id.clone(), media_type::DOCKER_LAYER),
                };
            blobs.insert(digest.clone(), path.clone());
            layers.push(Descriptor::new(media_type, digest, size));
        }
        let manifest = Manifest {
            schema_version: 2,
            media_type: Some(media_type::DOCKER_MANIFEST.to_string()),
            config: Descriptor::new(
                media_type::DOCKER_CONFIG,
                config_digest,
                config_bytes.len() as u64,
            ),
            layers,
            annotations: Default::default(),
        };
        let manifest_bytes = serde_json::to_vec(&manifest).map_err(|source| Error::Json {
            what: format!("synthesised manifest of {name}"),
            source,
        })?;
        let manifest_desc = Descriptor::new(
            media_type::DOCKER_MANIFEST,
            Digest::sha256_of(&manifest_bytes),
            manifest_bytes.len() as u64,
        );
        let mut synthesized = HashMap::new();
        synthesized.insert(manifest_desc.digest.clone(), manifest_bytes);
        Ok(Legacy {
            store,
            manifest: manifest_desc,
            synthesized,
            blobs,
        })
    }
}

/// `blobs/sha256/HEX` or `HEX.json` carry their digest in the name.
fn digest_in_name(path: &str) -> Option<Digest> {
    let file = path.rsplit('/').next()?;
    let stem = file
        .strip_suffix(".json")
        .or_else(|| file.strip_suffix(".tar"))
        .unwrap_or(file);
    Digest::parse(&format!("sha256:{stem}")).ok()
}

fn sniff_media_type(store: &TarStore, path: &str) -> Result<&'static str, Error> {
    let mut head = [0u8; 4];
    let mut n = 0;
    if let Some(mut reader) = store.open(path)? {
        while n < head.len() {
            match reader.read(head.get_mut(n..).unwrap_or_default()) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(source) => {
                    return Err(Error::Io {
                        path: PathBuf::from(path),
                        source,
                    });
                }
            }
        }
    }
    Ok(
        match Compression::sniff(head.get(..n).unwrap_or_default()) {
            Compression::Gzip => media_type::DOCKER_LAYER_GZIP,
            Compression::Zstd => media_type::OCI_LAYER_ZSTD,
            Compression::None => media_type::DOCKER_LAYER,
        },
    )
}

impl BlobSource for DockerArchive {
    fn open_blob(&self, digest: &Digest) -> Result<BlobReader<'_>, Error> {
        match &self.kind {
            Kind::Oci(layout) => layout.open_blob(digest),
            Kind::Legacy(legacy) => {
                if let Some(bytes) = legacy.synthesized.get(digest) {
                    return Ok(Box::new(Cursor::new(bytes.clone())));
                }
                let missing = || Error::BlobNotFound {
                    digest: digest.clone(),
                    image: self.name.clone(),
                };
                let path = legacy.blobs.get(digest).ok_or_else(missing)?;
                legacy.store.open(path)?.ok_or_else(missing)
            }
        }
    }
}

impl ImageSource for DockerArchive {
    fn name(&self) -> &str {
        &self.name
    }

    fn root(&self) -> Result<Root, Error> {
        match &self.kind {
            Kind::Oci(layout) => layout.root(),
            Kind::Legacy(legacy) => Ok(Root::Blob(legacy.manifest.clone())),
        }
    }
}

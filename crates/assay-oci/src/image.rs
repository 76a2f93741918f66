//! Resolving a source's root to one image: index -> platform -> manifest -> config, every
//! document digest-checked on the way.

use crate::config::ImageConfig;
use crate::digest::Digest;
use crate::error::Error;
use crate::limits::Limits;
use crate::manifest::{Descriptor, Index, Manifest};
use crate::media_type;
use crate::platform::{self, Platform};
use crate::source::{ImageSource, Root, read_manifest, read_verified};

/// Indexes nested deeper than this are refused (a loop of indexes would never end).
const MAX_INDEX_DEPTH: usize = 8;

/// One layer of a resolved image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layer {
    /// Position in the image, 0 for the base layer.
    pub index: usize,
    /// The blob's digest. For a `dir:` root filesystem (media type
    /// [`media_type::ASSAY_ROOTFS_DIR`]) it identifies the directory, not its contents; see
    /// [`Layer::is_content_addressed`] before caching by it.
    pub digest: Digest,
    /// Digest of the uncompressed tar, from the config.
    pub diff_id: Option<Digest>,
    /// The layer's media type.
    pub media_type: String,
    /// Size of the blob in bytes, when the manifest says.
    pub size: Option<u64>,
}

impl Layer {
    /// Whether `digest` hashes the layer's bytes, so results may be cached under it.
    pub fn is_content_addressed(&self) -> bool {
        self.media_type != media_type::ASSAY_ROOTFS_DIR
    }
}

/// A resolved image: the chosen manifest, its parsed config and its layers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    /// The source's name (`oci:/tmp/img:v1`).
    pub name: String,
    /// The index the manifest was chosen from, when that index is a blob.
    pub index_digest: Option<Digest>,
    /// The manifest's digest.
    pub manifest_digest: Digest,
    /// The manifest.
    pub manifest: Manifest,
    /// The config's digest (the image ID Docker shows).
    pub config_digest: Digest,
    /// The parsed config: history, env, labels, user, diff_ids, created.
    pub config: ImageConfig,
    /// The platform, from the index entry or else the config.
    pub platform: Option<Platform>,
    /// Layers, base first.
    pub layers: Vec<Layer>,
}

impl Image {
    /// Resolves the image `source` names. With `platform` `None`, an index yields linux/amd64
    /// or its only image; a platform that is not there is an error listing those that are.
    pub fn open(
        source: &dyn ImageSource,
        platform: Option<&Platform>,
        limits: &Limits,
    ) -> Result<Image, Error> {
        let name = source.name().to_string();
        let mut root = source.root()?;
        let mut index_digest = None;
        let mut chosen_platform = None;
        // The index the current descriptor was chosen from, for the fallback below.
        let mut parent: Option<Index> = None;
        for _ in 0..MAX_INDEX_DEPTH {
            let desc = match root {
                Root::Index(index) => {
                    let entry = choose(&index, platform, &name)?;
                    parent = Some(index);
                    entry
                }
                Root::Blob(desc) => desc,
            };
            let what = format!("manifest {} of {name}", desc.digest);
            let (desc, what, bytes) = match read_manifest(source, &desc, &what, limits.max_json) {
                Ok(bytes) => (desc, what, bytes),
                Err(Error::BlobNotFound { digest, image }) => {
                    let other = parent
                        .as_ref()
                        .filter(|_| platform.is_none())
                        .and_then(|i| only_present(source, i));
                    let Some(other) = other else {
                        return Err(Error::BlobNotFound { digest, image });
                    };
                    let what = format!("manifest {} of {name}", other.digest);
                    let bytes = read_manifest(source, &other, &what, limits.max_json)?;
                    (other, what, bytes)
                }
                Err(e) => return Err(e),
            };
            if desc.platform.is_some() {
                chosen_platform = desc.platform.clone();
            }
            parent = None;
            match document_kind(&desc.media_type, &bytes) {
                Kind::Index => {
                    let index: Index = parse(&bytes, &what)?;
                    index_digest = Some(desc.digest.clone());
                    root = Root::Index(index);
                }
                Kind::Manifest => {
                    let manifest: Manifest = parse(&bytes, &what)?;
                    return finish(
                        source,
                        &name,
                        desc.digest,
                        manifest,
                        index_digest,
                        chosen_platform,
                        platform,
                        limits,
                    );
                }
                Kind::Other => {
                    return Err(Error::UnsupportedMediaType {
                        what,
                        media_type: desc.media_type.clone(),
                    });
                }
            }
        }
        Err(Error::Invalid {
            what: name,
            why: format!("indexes nested more than {MAX_INDEX_DEPTH} deep"),
        })
    }
}

#[allow(clippy::too_many_arguments)]
fn finish(
    source: &dyn ImageSource,
    name: &str,
    manifest_digest: Digest,
    manifest: Manifest,
    index_digest: Option<Digest>,
    chosen_platform: Option<Platform>,
    wanted: Option<&Platform>,
    limits: &Limits,
) -> Result<Image, Error> {
    let config_desc = &manifest.config;
    let what = format!("config {} of {name}", config_desc.digest);
    if config_desc.media_type != media_type::OCI_CONFIG
        && config_desc.media_type != media_type::DOCKER_CONFIG
    {
        return Err(Error::UnsupportedMediaType {
            what,
            media_type: config_desc.media_type.clone(),
        });
    }
    let bytes = read_verified(source, config_desc, &what, limits.max_json)?;
    let config: ImageConfig = parse(&bytes, &what)?;
    let config_platform =
        (!config.os.is_empty() && !config.architecture.is_empty()).then(|| Platform {
            variant: config.variant.clone(),
            ..Platform::new(&config.os, &config.architecture)
        });
    // A single-manifest image has no index to choose from: a platform the user named must
    // still be the image's own.
    if index_digest.is_none()
        && chosen_platform.is_none()
        && let (Some(want), Some(have)) = (wanted, &config_platform)
        && !want.accepts(have)
    {
        return Err(Error::PlatformNotFound {
            image: name.to_string(),
            wanted: want.to_string(),
            available: vec![have.to_string()],
        });
    }
    let diff_ids = &config.rootfs.diff_ids;
    if !diff_ids.is_empty() && diff_ids.len() != manifest.layers.len() {
        return Err(Error::Invalid {
            what: format!("manifest {manifest_digest} of {name}"),
            why: format!(
                "{} layers but the config lists {} diff_ids",
                manifest.layers.len(),
                diff_ids.len()
            ),
        });
    }
    let layers = manifest
        .layers
        .iter()
        .enumerate()
        .map(|(index, d)| Layer {
            index,
            digest: d.digest.clone(),
            diff_id: diff_ids.get(index).cloned(),
            media_type: d.media_type.clone(),
            size: Some(d.size),
        })
        .collect();
    Ok(Image {
        name: name.to_string(),
        index_digest,
        manifest_digest,
        config_digest: config_desc.digest.clone(),
        platform: chosen_platform.or(config_platform),
        manifest,
        config,
        layers,
    })
}

fn choose(index: &Index, wanted: Option<&Platform>, name: &str) -> Result<Descriptor, Error> {
    if let Some(found) = platform::select(&index.manifests, wanted) {
        return Ok(found.clone());
    }
    // An index of one entry without a platform (a layout's index.json pointing at a
    // multi-platform index, say) is simply followed.
    if platform::candidates(&index.manifests).is_empty()
        && let [only] = index.manifests.as_slice()
    {
        return Ok(only.clone());
    }
    Err(Error::PlatformNotFound {
        image: name.to_string(),
        wanted: wanted.map_or_else(
            || "linux/amd64 (the default)".to_string(),
            ToString::to_string,
        ),
        available: platform::available(&index.manifests),
    })
}

/// With no platform named and the default choice's manifest missing, the only platform
/// whose manifest is there. `docker save` from a containerd store keeps the whole index but
/// only the local platform's blobs, so an arm64 machine's archive would otherwise fail on the
/// missing linux/amd64 manifest. Probed only after that failure, so registries pay nothing.
fn only_present(source: &dyn ImageSource, index: &Index) -> Option<Descriptor> {
    let candidates = platform::candidates(&index.manifests);
    let present: Vec<&Descriptor> = candidates
        .into_iter()
        .filter(|d| source.open_manifest(&d.digest).is_ok())
        .collect();
    match present.as_slice() {
        [only] => Some((*only).clone()),
        _ => None,
    }
}

enum Kind {
    Index,
    Manifest,
    Other,
}

/// The media type decides; when a descriptor's type is missing or generic, the document's
/// own `mediaType` field or shape does.
fn document_kind(media_type: &str, bytes: &[u8]) -> Kind {
    if media_type::is_index(media_type) {
        return Kind::Index;
    }
    if media_type::is_manifest(media_type) {
        return Kind::Manifest;
    }
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Shape {
        media_type: Option<String>,
        manifests: Option<serde_json::Value>,
        config: Option<serde_json::Value>,
    }
    match serde_json::from_slice::<Shape>(bytes) {
        Ok(Shape {
            media_type: Some(t),
            ..
        }) if media_type::is_index(&t) => Kind::Index,
        Ok(Shape {
            media_type: Some(t),
            ..
        }) if media_type::is_manifest(&t) => Kind::Manifest,
        Ok(Shape {
            media_type: None,
            manifests: Some(_),
            ..
        }) => Kind::Index,
        Ok(Shape {
            media_type: None,
            config: Some(_),
            ..
        }) => Kind::Manifest,
        _ => Kind::Other,
    }
}

pub(crate) fn parse<T: serde::de::DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T, Error> {
    serde_json::from_slice(bytes).map_err(|source| Error::Json {
        what: what.to_string(),
        source,
    })
}

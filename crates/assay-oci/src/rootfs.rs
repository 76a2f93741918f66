//! A root filesystem directory (`dir:PATH`) as a one-layer image. The layer is walked in
//! place from the filesystem by the walker, never following a symlink; the manifest and
//! config are synthesised so the rest of assay sees an image like any other.

use std::collections::HashMap;
use std::io::Cursor;
use std::path::{Path, PathBuf};

use crate::config::{ImageConfig, RootFs};
use crate::digest::Digest;
use crate::error::Error;
use crate::image::Layer;
use crate::manifest::{Descriptor, Manifest};
use crate::media_type;
use crate::source::{BlobReader, BlobSource, ImageSource, Root};

/// A root filesystem directory, `dir:PATH`.
#[derive(Debug)]
pub struct Rootfs {
    name: String,
    dir: PathBuf,
    layer: Digest,
    manifest: Descriptor,
    synthesized: HashMap<Digest, Vec<u8>>,
}

impl Rootfs {
    /// Opens `dir`, which must be a directory.
    pub fn open(dir: &Path) -> Result<Rootfs, Error> {
        let name = format!("dir:{}", dir.display());
        let meta = std::fs::metadata(dir).map_err(|source| Error::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        if !meta.is_dir() {
            return Err(Error::Invalid {
                what: name,
                why: "not a directory".into(),
            });
        }
        let dir = dir.canonicalize().map_err(|source| Error::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        // Names the directory, not its contents: hashing a whole root filesystem up front
        // would read it twice. `Layer::is_content_addressed` tells caches not to trust it.
        let layer = Digest::sha256_of(format!("assay rootfs dir:{}", dir.display()).as_bytes());
        let config = ImageConfig {
            rootfs: RootFs {
                kind: "layers".into(),
                diff_ids: vec![layer.clone()],
            },
            ..ImageConfig::default()
        };
        let json = |v: &dyn erased::Json| {
            v.to_vec().map_err(|source| Error::Json {
                what: format!("synthesised image of {name}"),
                source,
            })
        };
        let config_bytes = json(&config)?;
        let config_desc = Descriptor::new(
            media_type::OCI_CONFIG,
            Digest::sha256_of(&config_bytes),
            config_bytes.len() as u64,
        );
        let manifest = Manifest {
            schema_version: 2,
            media_type: Some(media_type::OCI_MANIFEST.into()),
            config: config_desc.clone(),
            layers: vec![Descriptor::new(
                media_type::ASSAY_ROOTFS_DIR,
                layer.clone(),
                0,
            )],
            annotations: Default::default(),
        };
        let manifest_bytes = json(&manifest)?;
        let manifest_desc = Descriptor::new(
            media_type::OCI_MANIFEST,
            Digest::sha256_of(&manifest_bytes),
            manifest_bytes.len() as u64,
        );
        let mut synthesized = HashMap::new();
        synthesized.insert(config_desc.digest, config_bytes);
        synthesized.insert(manifest_desc.digest.clone(), manifest_bytes);
        Ok(Rootfs {
            name,
            dir,
            layer,
            manifest: manifest_desc,
            synthesized,
        })
    }
}

mod erased {
    /// Serialises either synthesised document without a generic closure.
    pub(super) trait Json {
        fn to_vec(&self) -> Result<Vec<u8>, serde_json::Error>;
    }
    impl<T: serde::Serialize> Json for T {
        fn to_vec(&self) -> Result<Vec<u8>, serde_json::Error> {
            serde_json::to_vec(self)
        }
    }
}

impl BlobSource for Rootfs {
    fn open_blob(&self, digest: &Digest) -> Result<BlobReader<'_>, Error> {
        match self.synthesized.get(digest) {
            Some(bytes) => Ok(Box::new(Cursor::new(bytes.clone()))),
            None => Err(Error::BlobNotFound {
                digest: digest.clone(),
                image: self.name.clone(),
            }),
        }
    }
}

impl ImageSource for Rootfs {
    fn name(&self) -> &str {
        &self.name
    }

    fn root(&self) -> Result<Root, Error> {
        Ok(Root::Blob(self.manifest.clone()))
    }

    fn layer_dir(&self, layer: &Layer) -> Option<&Path> {
        (layer.digest == self.layer).then_some(self.dir.as_path())
    }
}

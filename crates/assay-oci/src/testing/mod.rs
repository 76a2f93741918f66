//! Fixture builders for tests (feature `testing`): layers from in-memory specs (files, dirs,
//! links, whiteouts, devices, raw hostile headers), images with real digests, OCI layouts
//! (tagged, untagged, multi-platform, nested indexes) and `docker save` archives in both
//! forms. Nothing is downloaded; every digest is computed from the bytes written.
//!
//! Helpers here may panic on I/O errors: they run only inside tests.

mod archive;
pub mod layout;
#[cfg(feature = "remote")]
mod push;

use std::collections::BTreeMap;
use std::io::Write;

use crate::config::{History, ImageConfig, RootFs, RuntimeConfig};
use crate::digest::Digest;
use crate::manifest::{Descriptor, Manifest};
use crate::media_type::{self, Compression};
use crate::platform::Platform;

pub use archive::{ArchiveFormat, ArchiveImage, write_docker_archive};
pub use layout::{LayoutBuilder, Written, blob_path};
#[cfg(feature = "remote")]
pub use push::Pusher;

/// One entry of a layer spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntrySpec {
    /// A regular file.
    File {
        /// Path as written into the tar.
        path: String,
        /// Content.
        content: Vec<u8>,
        /// Permission bits.
        mode: u32,
    },
    /// A directory.
    Dir {
        /// Path.
        path: String,
    },
    /// A symlink.
    Symlink {
        /// Path.
        path: String,
        /// Target as written.
        target: String,
    },
    /// A hard link.
    Hardlink {
        /// Path.
        path: String,
        /// Target as written.
        target: String,
    },
    /// A character device.
    CharDevice {
        /// Path.
        path: String,
        /// Major.
        major: u32,
        /// Minor.
        minor: u32,
    },
    /// A block device.
    BlockDevice {
        /// Path.
        path: String,
        /// Major.
        major: u32,
        /// Minor.
        minor: u32,
    },
    /// A FIFO.
    Fifo {
        /// Path.
        path: String,
    },
    /// A header written verbatim: any name bytes, type flag and claimed size, followed by
    /// `data` (padded to 512 bytes), whatever the header claims.
    Raw {
        /// Name bytes (any length: long ones get a GNU long-name entry).
        name: Vec<u8>,
        /// Tar type flag (`b'0'` file, `b'2'` symlink...).
        type_flag: u8,
        /// Link name bytes.
        link: Vec<u8>,
        /// Size written in the header.
        claimed_size: u64,
        /// Bytes actually following.
        data: Vec<u8>,
    },
}

/// A layer described in memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerSpec {
    /// Entries in archive order.
    pub entries: Vec<EntrySpec>,
    /// How the blob is compressed.
    pub compression: Compression,
}

impl Default for LayerSpec {
    fn default() -> LayerSpec {
        LayerSpec {
            entries: Vec::new(),
            compression: Compression::Gzip,
        }
    }
}

impl LayerSpec {
    /// An empty gzip layer.
    pub fn new() -> LayerSpec {
        LayerSpec::default()
    }

    /// Compress with gzip (the default).
    pub fn gzip(mut self) -> LayerSpec {
        self.compression = Compression::Gzip;
        self
    }

    /// Compress with zstd.
    pub fn zstd(mut self) -> LayerSpec {
        self.compression = Compression::Zstd;
        self
    }

    /// Leave the tar uncompressed.
    pub fn plain(mut self) -> LayerSpec {
        self.compression = Compression::None;
        self
    }

    /// Adds any entry.
    pub fn entry(mut self, entry: EntrySpec) -> LayerSpec {
        self.entries.push(entry);
        self
    }

    /// Adds a regular file with mode 0644.
    pub fn file(self, path: &str, content: impl AsRef<[u8]>) -> LayerSpec {
        self.entry(EntrySpec::File {
            path: path.into(),
            content: content.as_ref().to_vec(),
            mode: 0o644,
        })
    }

    /// Adds a regular file with the given mode.
    pub fn file_with_mode(self, path: &str, content: impl AsRef<[u8]>, mode: u32) -> LayerSpec {
        self.entry(EntrySpec::File {
            path: path.into(),
            content: content.as_ref().to_vec(),
            mode,
        })
    }

    /// Adds a directory.
    pub fn dir(self, path: &str) -> LayerSpec {
        self.entry(EntrySpec::Dir { path: path.into() })
    }

    /// Adds a symlink.
    pub fn symlink(self, path: &str, target: &str) -> LayerSpec {
        self.entry(EntrySpec::Symlink {
            path: path.into(),
            target: target.into(),
        })
    }

    /// Adds a hard link.
    pub fn hardlink(self, path: &str, target: &str) -> LayerSpec {
        self.entry(EntrySpec::Hardlink {
            path: path.into(),
            target: target.into(),
        })
    }

    /// Deletes `path` of the layers below (writes `dir/.wh.name`).
    pub fn whiteout(self, path: &str) -> LayerSpec {
        let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
        let marker = if dir.is_empty() {
            format!(".wh.{name}")
        } else {
            format!("{dir}/.wh.{name}")
        };
        self.entry(EntrySpec::File {
            path: marker,
            content: Vec::new(),
            mode: 0o644,
        })
    }

    /// Hides what the layers below have in `dir` (writes `dir/.wh..wh..opq`).
    pub fn opaque(self, dir: &str) -> LayerSpec {
        let marker = if dir.is_empty() {
            ".wh..wh..opq".to_string()
        } else {
            format!("{dir}/.wh..wh..opq")
        };
        self.entry(EntrySpec::File {
            path: marker,
            content: Vec::new(),
            mode: 0o644,
        })
    }

    /// Adds a character device.
    pub fn char_device(self, path: &str, major: u32, minor: u32) -> LayerSpec {
        self.entry(EntrySpec::CharDevice {
            path: path.into(),
            major,
            minor,
        })
    }

    /// Adds a block device.
    pub fn block_device(self, path: &str, major: u32, minor: u32) -> LayerSpec {
        self.entry(EntrySpec::BlockDevice {
            path: path.into(),
            major,
            minor,
        })
    }

    /// Adds a FIFO.
    pub fn fifo(self, path: &str) -> LayerSpec {
        self.entry(EntrySpec::Fifo { path: path.into() })
    }

    /// Adds a raw entry whose header claims `claimed_size` but is followed by `data`.
    pub fn raw(
        self,
        name: &[u8],
        type_flag: u8,
        link: &[u8],
        claimed_size: u64,
        data: &[u8],
    ) -> LayerSpec {
        self.entry(EntrySpec::Raw {
            name: name.to_vec(),
            type_flag,
            link: link.to_vec(),
            claimed_size,
            data: data.to_vec(),
        })
    }

    /// The uncompressed tar.
    pub fn tar(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for entry in &self.entries {
            write_entry(&mut out, entry);
        }
        out.extend_from_slice(&[0u8; 1024]);
        out
    }

    /// The blob: compressed tar, digests and media type.
    pub fn blob(&self) -> LayerBlob {
        let tar = self.tar();
        let diff_id = Digest::sha256_of(&tar);
        let bytes = compress(&tar, self.compression);
        let media_type = match self.compression {
            Compression::Gzip => media_type::OCI_LAYER_GZIP,
            Compression::Zstd => media_type::OCI_LAYER_ZSTD,
            Compression::None => media_type::OCI_LAYER,
        };
        LayerBlob {
            digest: Digest::sha256_of(&bytes),
            bytes,
            diff_id,
            media_type: media_type.into(),
            tar: Some(tar),
        }
    }
}

/// A built layer blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerBlob {
    /// The blob bytes as stored.
    pub bytes: Vec<u8>,
    /// Digest of `bytes`.
    pub digest: Digest,
    /// Digest of the uncompressed tar (or whatever the test claims).
    pub diff_id: Digest,
    /// Media type written into the manifest.
    pub media_type: String,
    /// The uncompressed tar, when known (legacy archives store it).
    pub tar: Option<Vec<u8>>,
}

impl LayerBlob {
    /// A blob from raw bytes, with the media type and diff_id the test wants claimed.
    pub fn raw(bytes: Vec<u8>, media_type: &str, diff_id: Digest) -> LayerBlob {
        LayerBlob {
            digest: Digest::sha256_of(&bytes),
            bytes,
            diff_id,
            media_type: media_type.into(),
            tar: None,
        }
    }
}

/// Compresses a tar.
pub fn compress(tar: &[u8], compression: Compression) -> Vec<u8> {
    match compression {
        Compression::None => tar.to_vec(),
        Compression::Gzip => {
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            enc.write_all(tar).expect("gzip to memory");
            enc.finish().expect("gzip to memory")
        }
        Compression::Zstd => zstd::encode_all(tar, 3).expect("zstd to memory"),
    }
}

/// A gzip layer holding one file, `path`, of `size` zero bytes, compressed as a stream
/// without ever holding it uncompressed: a decompression bomb. Its diff_id is not computed
/// (the walker must stop at its limit long before it could check one).
pub fn gzip_bomb(path: &str, size: u64) -> LayerBlob {
    let enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let bytes = bomb(enc, path, size, |enc| enc.finish());
    LayerBlob::raw(
        bytes,
        media_type::OCI_LAYER_GZIP,
        Digest::sha256_of(b"bomb: diff_id not computed"),
    )
}

/// [`gzip_bomb`] with zstd.
pub fn zstd_bomb(path: &str, size: u64) -> LayerBlob {
    let enc = zstd::stream::write::Encoder::new(Vec::new(), 3).expect("zstd encoder");
    let bytes = bomb(enc, path, size, |enc| enc.finish());
    LayerBlob::raw(
        bytes,
        media_type::OCI_LAYER_ZSTD,
        Digest::sha256_of(b"bomb: diff_id not computed"),
    )
}

fn bomb<W: Write>(
    mut enc: W,
    path: &str,
    size: u64,
    finish: impl FnOnce(W) -> std::io::Result<Vec<u8>>,
) -> Vec<u8> {
    let mut header = Vec::new();
    write_header(&mut header, path.as_bytes(), b'0', b"", size, 0o644);
    enc.write_all(&header).expect("compress to memory");
    let zeros = vec![0u8; 1 << 20];
    let mut left = size;
    while left > 0 {
        let n = left.min(zeros.len() as u64);
        enc.write_all(zeros.get(..n as usize).unwrap_or_default())
            .expect("compress to memory");
        left -= n;
    }
    enc.write_all(&[0u8; 1024]).expect("compress to memory");
    finish(enc).expect("compress to memory")
}

fn write_entry(out: &mut Vec<u8>, entry: &EntrySpec) {
    match entry {
        EntrySpec::File {
            path,
            content,
            mode,
        } => {
            write_header(out, path.as_bytes(), b'0', b"", content.len() as u64, *mode);
            write_data(out, content);
        }
        EntrySpec::Dir { path } => write_header(out, path.as_bytes(), b'5', b"", 0, 0o755),
        EntrySpec::Symlink { path, target } => {
            write_header(out, path.as_bytes(), b'2', target.as_bytes(), 0, 0o777)
        }
        EntrySpec::Hardlink { path, target } => {
            write_header(out, path.as_bytes(), b'1', target.as_bytes(), 0, 0o644)
        }
        EntrySpec::CharDevice { path, major, minor } => {
            write_device(out, path, b'3', *major, *minor)
        }
        EntrySpec::BlockDevice { path, major, minor } => {
            write_device(out, path, b'4', *major, *minor)
        }
        EntrySpec::Fifo { path } => write_header(out, path.as_bytes(), b'6', b"", 0, 0o644),
        EntrySpec::Raw {
            name,
            type_flag,
            link,
            claimed_size,
            data,
        } => {
            write_header(out, name, *type_flag, link, *claimed_size, 0o644);
            write_data(out, data);
        }
    }
}

fn write_device(out: &mut Vec<u8>, path: &str, type_flag: u8, major: u32, minor: u32) {
    let mut header = gnu_header(path.as_bytes(), type_flag, b"", 0, 0o600);
    header.set_device_major(major).expect("device number fits");
    header.set_device_minor(minor).expect("device number fits");
    header.set_cksum();
    out.extend_from_slice(header.as_bytes());
}

fn write_data(out: &mut Vec<u8>, data: &[u8]) {
    out.extend_from_slice(data);
    let pad = (512 - data.len() % 512) % 512;
    out.extend(std::iter::repeat_n(0u8, pad));
}

/// Writes a GNU header without the tar crate's path checks (hostile names are the point),
/// preceded by GNU long-name/long-link entries when a name does not fit in 100 bytes.
fn write_header(out: &mut Vec<u8>, name: &[u8], type_flag: u8, link: &[u8], size: u64, mode: u32) {
    if name.len() > 100 {
        let mut long = name.to_vec();
        long.push(0);
        write_header(out, b"././@LongLink", b'L', b"", long.len() as u64, 0o644);
        write_data(out, &long);
    }
    if link.len() > 100 {
        let mut long = link.to_vec();
        long.push(0);
        write_header(out, b"././@LongLink", b'K', b"", long.len() as u64, 0o644);
        write_data(out, &long);
    }
    let mut header = gnu_header(name, type_flag, link, size, mode);
    header.set_cksum();
    out.extend_from_slice(header.as_bytes());
}

fn gnu_header(name: &[u8], type_flag: u8, link: &[u8], size: u64, mode: u32) -> tar::Header {
    let mut header = tar::Header::new_gnu();
    {
        let old = header.as_old_mut();
        let n = name.len().min(100);
        old.name
            .get_mut(..n)
            .unwrap_or_default()
            .copy_from_slice(name.get(..n).unwrap_or_default());
        let l = link.len().min(100);
        old.linkname
            .get_mut(..l)
            .unwrap_or_default()
            .copy_from_slice(link.get(..l).unwrap_or_default());
    }
    header.set_entry_type(tar::EntryType::new(type_flag));
    header.set_size(size);
    header.set_mode(mode);
    header.set_uid(0);
    header.set_gid(0);
    header.set_mtime(1_700_000_000);
    header
}

/// Which manifest and config media types an image uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// OCI (the default).
    #[default]
    Oci,
    /// Docker v2 schema 2.
    Docker,
}

/// An image described in memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageSpec {
    /// Layers, base first.
    pub layers: Vec<LayerBlob>,
    /// The platform written into the config (and the index entry).
    pub platform: Platform,
    /// `ENV`.
    pub env: Vec<String>,
    /// `LABEL`s.
    pub labels: BTreeMap<String, String>,
    /// `USER`.
    pub user: Option<String>,
    /// Media types.
    pub format: Format,
}

impl Default for ImageSpec {
    fn default() -> ImageSpec {
        ImageSpec {
            layers: Vec::new(),
            platform: Platform::default_linux_amd64(),
            env: vec!["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into()],
            labels: BTreeMap::new(),
            user: None,
            format: Format::Oci,
        }
    }
}

/// An image's blobs, ready to be written anywhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltImage {
    /// Descriptor of the manifest (with the platform set).
    pub manifest: Descriptor,
    /// Manifest bytes.
    pub manifest_bytes: Vec<u8>,
    /// Config digest.
    pub config_digest: Digest,
    /// Config bytes.
    pub config_bytes: Vec<u8>,
    /// The layers.
    pub layers: Vec<LayerBlob>,
}

impl BuiltImage {
    /// Every blob (manifest, config, layers) with its digest.
    pub fn blobs(&self) -> Vec<(Digest, Vec<u8>)> {
        let mut blobs = vec![
            (self.manifest.digest.clone(), self.manifest_bytes.clone()),
            (self.config_digest.clone(), self.config_bytes.clone()),
        ];
        blobs.extend(
            self.layers
                .iter()
                .map(|l| (l.digest.clone(), l.bytes.clone())),
        );
        blobs
    }
}

impl ImageSpec {
    /// An image with no layers for linux/amd64.
    pub fn new() -> ImageSpec {
        ImageSpec::default()
    }

    /// Adds a layer built from a spec.
    pub fn layer(mut self, layer: LayerSpec) -> ImageSpec {
        self.layers.push(layer.blob());
        self
    }

    /// Adds a prebuilt (possibly hostile) layer blob.
    pub fn raw_layer(mut self, blob: LayerBlob) -> ImageSpec {
        self.layers.push(blob);
        self
    }

    /// Sets the platform (`linux/arm64/v8`).
    pub fn platform(mut self, platform: &str) -> ImageSpec {
        self.platform = Platform::parse(platform).expect("valid platform in test");
        self
    }

    /// Adds an environment variable.
    pub fn env(mut self, key_value: &str) -> ImageSpec {
        self.env.push(key_value.into());
        self
    }

    /// Adds a label.
    pub fn label(mut self, key: &str, value: &str) -> ImageSpec {
        self.labels.insert(key.into(), value.into());
        self
    }

    /// Sets the user.
    pub fn user(mut self, user: &str) -> ImageSpec {
        self.user = Some(user.into());
        self
    }

    /// Uses Docker v2 media types.
    pub fn docker_media_types(mut self) -> ImageSpec {
        self.format = Format::Docker;
        self
    }

    /// The config document.
    pub fn config(&self) -> ImageConfig {
        ImageConfig {
            created: Some("2024-01-01T00:00:00Z".into()),
            author: None,
            architecture: self.platform.architecture.clone(),
            os: self.platform.os.clone(),
            variant: self.platform.variant.clone(),
            config: Some(RuntimeConfig {
                user: self.user.clone(),
                env: self.env.clone(),
                labels: self.labels.clone(),
                cmd: vec!["/bin/sh".into()],
                ..RuntimeConfig::default()
            }),
            rootfs: RootFs {
                kind: "layers".into(),
                diff_ids: self.layers.iter().map(|l| l.diff_id.clone()).collect(),
            },
            history: (0..self.layers.len())
                .map(|i| History {
                    created: Some("2024-01-01T00:00:00Z".into()),
                    created_by: Some(format!("/bin/sh -c #(nop) layer {i}")),
                    ..History::default()
                })
                .collect(),
        }
    }

    /// Builds the config and manifest around the layers.
    pub fn build(&self) -> BuiltImage {
        let config_bytes = serde_json::to_vec(&self.config()).expect("config serialises");
        let config_digest = Digest::sha256_of(&config_bytes);
        let (manifest_type, config_type) = match self.format {
            Format::Oci => (media_type::OCI_MANIFEST, media_type::OCI_CONFIG),
            Format::Docker => (media_type::DOCKER_MANIFEST, media_type::DOCKER_CONFIG),
        };
        let docker_layer_type = |t: &str| match (self.format, t) {
            (Format::Docker, media_type::OCI_LAYER_GZIP) => {
                media_type::DOCKER_LAYER_GZIP.to_string()
            }
            (Format::Docker, media_type::OCI_LAYER) => media_type::DOCKER_LAYER.to_string(),
            _ => t.to_string(),
        };
        let manifest = Manifest {
            schema_version: 2,
            media_type: Some(manifest_type.into()),
            config: Descriptor::new(
                config_type,
                config_digest.clone(),
                config_bytes.len() as u64,
            ),
            layers: self
                .layers
                .iter()
                .map(|l| {
                    Descriptor::new(
                        &docker_layer_type(&l.media_type),
                        l.digest.clone(),
                        l.bytes.len() as u64,
                    )
                })
                .collect(),
            annotations: BTreeMap::new(),
        };
        let manifest_bytes = serde_json::to_vec(&manifest).expect("manifest serialises");
        let mut desc = Descriptor::new(
            manifest_type,
            Digest::sha256_of(&manifest_bytes),
            manifest_bytes.len() as u64,
        );
        desc.platform = Some(self.platform.clone());
        BuiltImage {
            manifest: desc,
            manifest_bytes,
            config_digest,
            config_bytes,
            layers: self.layers.clone(),
        }
    }
}

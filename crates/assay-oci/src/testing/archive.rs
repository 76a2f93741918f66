//! Writing `docker save` archives, legacy and OCI.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::path::Path;

use super::{BuiltImage, ImageSpec};
use crate::digest::Digest;
use crate::manifest::{ANNOTATION_CONTAINERD_NAME, ANNOTATION_REF_NAME, Index};
use crate::media_type;
use crate::reference::Reference;

/// Which `docker save` layout to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchiveFormat {
    /// Before Docker 25: `manifest.json`, `repositories`, `<id>/layer.tar` (plain tars; a
    /// layer shared with an earlier one is a symlink to it, as docker writes).
    Legacy,
    /// Docker 25+: an OCI layout (`oci-layout`, `index.json`, `blobs/`) plus
    /// `manifest.json` and `repositories` pointing into `blobs/`.
    Oci,
}

/// An image and the names it is saved under (`alpine:3.20`).
#[derive(Debug, Clone)]
pub struct ArchiveImage {
    /// `RepoTags`.
    pub tags: Vec<String>,
    /// The image.
    pub image: ImageSpec,
}

/// Writes an archive at `path`; returns the built images in order.
pub fn write_docker_archive(
    path: &Path,
    images: &[ArchiveImage],
    format: ArchiveFormat,
) -> Vec<BuiltImage> {
    let file = File::create(path).expect("create archive");
    let mut tar = tar::Builder::new(file);
    let mut add = |name: &str, bytes: &[u8]| {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(1_700_000_000);
        header.set_entry_type(tar::EntryType::Regular);
        tar.append_data(&mut header, name, bytes)
            .expect("append to archive");
    };
    let mut built_all = Vec::new();
    let mut manifest_json = Vec::new();
    let mut repositories: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut links: Vec<(String, String)> = Vec::new();
    let mut index_entries = Vec::new();
    let mut written_blobs: HashMap<Digest, ()> = HashMap::new();
    let mut written_layers: HashMap<Digest, String> = HashMap::new();
    for ArchiveImage { tags, image } in images {
        let built = image.build();
        let (config_name, layer_names, top_id) = match format {
            ArchiveFormat::Legacy => {
                let config_name = format!("{}.json", built.config_digest.hex());
                add(&config_name, &built.config_bytes);
                let mut parent = String::new();
                let mut names = Vec::new();
                for layer in &built.layers {
                    let id = Digest::sha256_of(format!("{parent} {}", layer.diff_id).as_bytes())
                        .hex()
                        .to_string();
                    let name = format!("{id}/layer.tar");
                    add(&format!("{id}/VERSION"), b"1.0");
                    add(
                        &format!("{id}/json"),
                        format!(r#"{{"id":"{id}"}}"#).as_bytes(),
                    );
                    match written_layers.get(&layer.diff_id) {
                        Some(first) => links.push((name.clone(), format!("../{first}"))),
                        None => {
                            add(&name, layer.tar.as_deref().unwrap_or(&layer.bytes));
                            written_layers.insert(layer.diff_id.clone(), name.clone());
                        }
                    }
                    names.push(name);
                    parent = id;
                }
                (config_name, names, parent)
            }
            ArchiveFormat::Oci => {
                for (digest, bytes) in built.blobs() {
                    if written_blobs.insert(digest.clone(), ()).is_none() {
                        add(&format!("blobs/sha256/{}", digest.hex()), &bytes);
                    }
                }
                let mut desc = built.manifest.clone();
                desc.platform = None;
                if tags.is_empty() {
                    index_entries.push(desc.clone());
                }
                for tag in tags {
                    let mut d = desc.clone();
                    let full = Reference::parse(tag)
                        .map(|r| r.to_string())
                        .unwrap_or_else(|_| tag.clone());
                    let short = tag.rsplit_once(':').map_or("latest", |(_, t)| t);
                    d.annotations
                        .insert(ANNOTATION_CONTAINERD_NAME.into(), full);
                    d.annotations
                        .insert(ANNOTATION_REF_NAME.into(), short.into());
                    index_entries.push(d);
                }
                let names = built
                    .layers
                    .iter()
                    .map(|l| format!("blobs/sha256/{}", l.digest.hex()))
                    .collect();
                (
                    format!("blobs/sha256/{}", built.config_digest.hex()),
                    names,
                    built.config_digest.hex().to_string(),
                )
            }
        };
        for tag in tags {
            let (repo, t) = tag.rsplit_once(':').unwrap_or((tag.as_str(), "latest"));
            repositories
                .entry(repo.into())
                .or_default()
                .insert(t.into(), top_id.clone());
        }
        manifest_json.push(
            serde_json::json!({ "Config": config_name, "RepoTags": tags, "Layers": layer_names }),
        );
        built_all.push(built);
    }
    add(
        "manifest.json",
        &serde_json::to_vec(&manifest_json).expect("manifest.json serialises"),
    );
    add(
        "repositories",
        &serde_json::to_vec(&repositories).expect("repositories serialises"),
    );
    if format == ArchiveFormat::Oci {
        add("oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#);
        let index = Index {
            schema_version: 2,
            media_type: Some(media_type::OCI_INDEX.into()),
            manifests: index_entries,
            annotations: BTreeMap::new(),
        };
        add(
            "index.json",
            &serde_json::to_vec(&index).expect("index serialises"),
        );
    }
    for (name, target) in links {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Symlink);
        header.set_size(0);
        header.set_mode(0o777);
        tar.append_link(&mut header, &name, &target)
            .expect("append link");
    }
    tar.into_inner().expect("finish archive");
    built_all
}

//! The golden-base-image requirement: every platform of the image must be built on one of
//! the golden images the policy names, by layer content (diff_ids), through assay-oci's
//! base image identification.

use assay_oci::base_image::{GoldenImage, identify};
use assay_oci::copy::Place;
use assay_oci::{Descriptor, Digest};

use crate::error::Error;
use crate::evaluate::Requirement;

const MAX_CONFIG: u64 = 8 << 20;

/// The diff_ids of each image manifest under `bytes` (an index's platforms, or the one
/// manifest), named by platform.
fn platform_diff_ids(place: &Place, bytes: &[u8]) -> Result<Vec<(String, Vec<Digest>)>, Error> {
    #[derive(serde::Deserialize)]
    struct Doc {
        manifests: Option<Vec<Descriptor>>,
        config: Option<Descriptor>,
    }
    #[derive(serde::Deserialize)]
    struct Config {
        rootfs: RootFs,
    }
    #[derive(serde::Deserialize)]
    struct RootFs {
        #[serde(default)]
        diff_ids: Vec<Digest>,
    }
    let invalid = |e: serde_json::Error| Error::Input(format!("invalid manifest: {e}"));
    let doc: Doc = serde_json::from_slice(bytes).map_err(invalid)?;
    let mut out = Vec::new();
    if let Some(entries) = doc.manifests {
        for entry in entries {
            let platform = entry.platform.as_ref().map(ToString::to_string);
            // Attestation manifests in buildx indexes carry the platform unknown/unknown.
            if platform.as_deref() == Some("unknown/unknown") {
                continue;
            }
            let Some((child, _)) = place.manifest(&entry.digest.to_string())? else {
                return Err(Error::Input(format!("manifest {} missing", entry.digest)));
            };
            for (name, ids) in platform_diff_ids(place, &child)? {
                out.push((platform.clone().unwrap_or(name), ids));
            }
        }
    } else if let Some(config) = doc.config {
        let bytes = place.blob(&config, MAX_CONFIG)?;
        let config: Config = serde_json::from_slice(&bytes).map_err(invalid)?;
        out.push(("image".to_string(), config.rootfs.diff_ids));
    }
    Ok(out)
}

/// Checks the image (`bytes` at `place`) against the goldens, each opened by `open`.
pub fn requirement(
    place: &Place,
    bytes: &[u8],
    goldens: &[String],
    open: &dyn Fn(&str) -> Result<Place, Error>,
) -> Result<Requirement, Error> {
    let mut known = Vec::new();
    for name in goldens {
        let golden = open(name)?;
        let (digest, golden_bytes) = golden.resolve()?;
        for (_, diff_ids) in platform_diff_ids(&golden, &golden_bytes)? {
            known.push(GoldenImage {
                name: name.clone(),
                digest: Some(digest.clone()),
                diff_ids,
            });
        }
    }
    let mut on = Vec::new();
    for (platform, diff_ids) in platform_diff_ids(place, bytes)? {
        match identify(&diff_ids, &known).name {
            Some(name) => on.push(format!("{platform} on {name}")),
            None => {
                return Ok(Requirement {
                    requirement: "golden base image".into(),
                    passed: false,
                    why: format!(
                        "{platform} is not built on a golden image ({})",
                        goldens.join(", ")
                    ),
                });
            }
        }
    }
    on.dedup();
    Ok(Requirement {
        requirement: "golden base image".into(),
        passed: !on.is_empty(),
        why: if on.is_empty() {
            "no image manifest found".into()
        } else {
            on.join("; ")
        },
    })
}

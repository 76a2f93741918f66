//! `golden-images:` in assay.yaml: the golden base images an image is compared with, resolved
//! once per run to their layers' diff_ids (assay_oci::base_image does the comparing).

use std::sync::OnceLock;

use assay_core::{BaseImage, Finding, Inventory, Target};
use assay_oci::base_image::{self, GoldenImage};
use assay_oci::{Digest, Image, Limits};
use serde::Deserialize;

use super::image::{ImageOptions, oci_failure, open_source};
use crate::exit::Failure;

/// One `golden-images:` entry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum GoldenSetting {
    /// An image to resolve: `registry.example.com/base/debian:12`,
    /// `host/repo@sha256:...`, `oci:DIR:TAG`, `docker-archive:FILE`.
    Reference(String),
    /// A golden image written down by its layers, for offline use: `{name: debian:12,
    /// diff-ids: [sha256:...]}`.
    Layers {
        /// The name reports show.
        name: String,
        /// Its layers' diff_ids, base first.
        #[serde(rename = "diff-ids")]
        diff_ids: Vec<String>,
    },
}

/// The configured golden images, resolved on first use and then shared by every image of
/// the run (a directory may hold several layouts).
#[derive(Debug, Default)]
pub struct Goldens {
    settings: Vec<GoldenSetting>,
    resolved: OnceLock<Result<Vec<GoldenImage>, Failure>>,
}

impl Goldens {
    /// The entries of `golden-images:`.
    pub fn new(settings: Vec<GoldenSetting>) -> Goldens {
        Goldens {
            settings,
            resolved: OnceLock::new(),
        }
    }

    /// Whether any golden image is configured.
    pub fn is_empty(&self) -> bool {
        self.settings.is_empty()
    }

    /// Which golden image `image` is built on; `None` when none is configured or the image
    /// has no diff_ids (a `dir:` root filesystem).
    pub fn identify(
        &self,
        image: &Image,
        options: &ImageOptions,
    ) -> Result<Option<BaseImage>, Failure> {
        if self.settings.is_empty() {
            return Ok(None);
        }
        let goldens = self
            .resolved
            .get_or_init(|| resolve(&self.settings, options))
            .as_ref()
            .map_err(|f| Failure {
                code: f.code,
                message: f.message.clone(),
            })?;
        Ok(base_image::identify_image(image, goldens))
    }
}

fn resolve(
    settings: &[GoldenSetting],
    options: &ImageOptions,
) -> Result<Vec<GoldenImage>, Failure> {
    let mut goldens = Vec::new();
    for setting in settings {
        match setting {
            GoldenSetting::Layers { name, diff_ids } => {
                let diff_ids = diff_ids
                    .iter()
                    .map(|d| {
                        d.parse::<Digest>().map_err(|e| {
                            Failure::input(format!("assay.yaml: golden-images: {name}: {e}"))
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                goldens.push(GoldenImage {
                    name: name.clone(),
                    digest: None,
                    diff_ids,
                });
            }
            GoldenSetting::Reference(name) => {
                if name.starts_with("sha256:") || name.starts_with("sha512:") {
                    return Err(Failure::input(format!(
                        "assay.yaml: golden-images: {name}: a bare digest names no repository; write REPO@{name}, or {{name: ..., diff-ids: [...]}}"
                    )));
                }
                let target = Target::parse(name)
                    .map_err(|e| Failure::input(format!("assay.yaml: golden-images: {e}")))?;
                if !target.is_image() {
                    return Err(Failure::input(format!(
                        "assay.yaml: golden-images: {name}: not an image reference"
                    )));
                }
                let source = open_source(&target, name, options)?;
                let image = Image::open(
                    source.as_ref(),
                    options.platform.as_ref(),
                    &Limits::default(),
                )
                .map_err(|e| oci_failure(name, e))?;
                let golden = GoldenImage::from_image(name, &image).ok_or_else(|| {
                    Failure::input(format!(
                        "assay.yaml: golden-images: {name}: a root filesystem has no layer digests to compare"
                    ))
                })?;
                goldens.push(golden);
            }
        }
    }
    Ok(goldens)
}

/// Drops the packages of `inventory` that come from base image layers (`--exclude-base-image`).
pub fn exclude_base_packages(inventory: &mut Inventory) {
    if inventory.base_image.as_ref().is_some_and(|b| b.layers > 0) {
        let keep: Vec<_> = inventory
            .packages
            .iter()
            .filter(|p| !inventory.in_base_image(p))
            .cloned()
            .collect();
        inventory.packages = keep;
    }
}

/// Says of each image finding with a layer whether it came with the golden base image or
/// with the layers built on it. Only when golden images are configured (`base` is `Some`):
/// without them the split is unknown and nothing is marked.
pub fn mark_origins(findings: &mut [Finding], base: Option<&BaseImage>) {
    let Some(base) = base else {
        return;
    };
    for finding in findings.iter_mut() {
        let layer = finding.location.layer.as_deref();
        if layer.is_some() {
            finding.origin = Some(if base.contains_layer(layer) {
                assay_core::Origin::Base
            } else {
                assay_core::Origin::Application
            });
        }
    }
}

/// Drops the findings located in base image layers (`--exclude-base-image`).
pub fn exclude_base_findings(findings: &mut Vec<Finding>, base: Option<&BaseImage>) {
    if let Some(base) = base.filter(|b| b.layers > 0) {
        findings.retain(|f| !base.contains_layer(f.location.layer.as_deref()));
    }
}

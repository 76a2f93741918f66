//! Base image identification: which configured golden image an image is built on.
//!
//! An image built `FROM golden` starts with exactly the golden image's layers, so the test
//! is on diff_ids (uncompressed content), which survive recompression and re-tagging:
//! a golden image is a candidate when all of its diff_ids are the image's leading diff_ids,
//! and the candidate with the most layers wins (an image built on `python:3.12`, itself built
//! on `debian:12`, is reported as built on `python:3.12`). Equal candidates (two tags of the
//! same image) resolve to the first in configuration order, so the answer is stable.
//!
//! The promotion policy and admission control call [`identify`] with goldens resolved once
//! by [`GoldenImage::from_image`] (from a registry, a layout or an archive) or written down
//! as diff_ids.

use assay_core::BaseImage;

use crate::digest::Digest;
use crate::image::Image;

/// A golden base image: its configured name and its layers' diff_ids, base first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoldenImage {
    /// The name as configured (`registry.example.com/base/debian:12`).
    pub name: String,
    /// Its manifest digest, when it was resolved from an image.
    pub digest: Option<Digest>,
    /// Its layers' diff_ids, base first.
    pub diff_ids: Vec<Digest>,
}

impl GoldenImage {
    /// The golden image `name` resolved to `image`. `None` when a layer has no diff_id
    /// (a `dir:` root filesystem), since such an image cannot be compared by content.
    pub fn from_image(name: &str, image: &Image) -> Option<GoldenImage> {
        let diff_ids = image
            .layers
            .iter()
            .map(|l| l.diff_id.clone())
            .collect::<Option<Vec<_>>>()?;
        Some(GoldenImage {
            name: name.to_string(),
            digest: Some(image.manifest_digest.clone()),
            diff_ids,
        })
    }
}

/// Which of `goldens` the image with layers `diff_ids` (base first) is built on: the golden
/// whose diff_ids are the longest leading run of `diff_ids`, or a [`BaseImage`] with no name
/// when none is. A golden with no layers never matches.
pub fn identify(diff_ids: &[Digest], goldens: &[GoldenImage]) -> BaseImage {
    let mut best: Option<&GoldenImage> = None;
    for golden in goldens {
        let n = golden.diff_ids.len();
        let is_prefix = n > 0 && diff_ids.get(..n) == Some(golden.diff_ids.as_slice());
        if is_prefix && best.is_none_or(|b| n > b.diff_ids.len()) {
            best = Some(golden);
        }
    }
    match best {
        Some(golden) => BaseImage {
            name: Some(golden.name.clone()),
            digest: golden.digest.as_ref().map(ToString::to_string),
            layers: golden.diff_ids.len(),
            diff_ids: golden.diff_ids.iter().map(ToString::to_string).collect(),
        },
        None => BaseImage::default(),
    }
}

/// [`identify`] for a resolved image; `None` when one of its layers has no diff_id.
pub fn identify_image(image: &Image, goldens: &[GoldenImage]) -> Option<BaseImage> {
    let diff_ids = image
        .layers
        .iter()
        .map(|l| l.diff_id.clone())
        .collect::<Option<Vec<_>>>()?;
    Some(identify(&diff_ids, goldens))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn d(n: u8) -> Digest {
        Digest::sha256_of(&[n])
    }

    fn golden(name: &str, layers: &[u8]) -> GoldenImage {
        GoldenImage {
            name: name.into(),
            digest: None,
            diff_ids: layers.iter().map(|n| d(*n)).collect(),
        }
    }

    #[test]
    fn picks_the_longest_golden_prefix() {
        let goldens = [
            golden("debian:12", &[1]),
            golden("python:3.12", &[1, 2]),
            golden("other:1", &[9]),
        ];
        let found = identify(&[d(1), d(2), d(3)], &goldens);
        assert_eq!(found.name.as_deref(), Some("python:3.12"));
        assert_eq!(found.layers, 2);
        assert_eq!(found.diff_ids, vec![d(1).to_string(), d(2).to_string()]);
        assert!(found.contains_layer(Some(&d(2).to_string())));
        assert!(!found.contains_layer(Some(&d(3).to_string())));
    }

    #[test]
    fn a_golden_longer_than_the_image_or_diverging_does_not_match() {
        let goldens = [golden("big:1", &[1, 2, 3, 4]), golden("fork:1", &[1, 5])];
        let found = identify(&[d(1), d(2), d(3)], &goldens);
        assert_eq!(found, BaseImage::default());
        assert_eq!(found.describe(), "none of the golden images");
    }

    #[test]
    fn equal_candidates_resolve_to_the_first_configured() {
        let goldens = [golden("debian:12", &[1]), golden("debian:bookworm", &[1])];
        assert_eq!(
            identify(&[d(1), d(2)], &goldens).name.as_deref(),
            Some("debian:12")
        );
        assert_eq!(identify(&[d(1)], &[golden("empty", &[])]).name, None);
    }
}

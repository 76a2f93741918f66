//! Every blob is checked against its digest; a mismatch is an error naming the digest.
#![allow(clippy::unwrap_used)]

mod support;

use assay_oci::testing::{ImageSpec, LayerSpec, LayoutBuilder, blob_path};
use assay_oci::{Error, Image, Limits, OciLayout, WalkOptions};
use support::walk_with;

fn layout() -> (tempfile::TempDir, assay_oci::testing::Written) {
    let dir = tempfile::tempdir().unwrap();
    let written = LayoutBuilder::new()
        .image(
            None,
            ImageSpec::new()
                .layer(LayerSpec::new().file("a", "a"))
                .layer(LayerSpec::new().file("b", vec![b'b'; 10_000])),
        )
        .write(dir.path());
    (dir, written)
}

/// Flips one byte in the middle of a blob.
fn tamper(path: &std::path::Path) {
    let mut bytes = std::fs::read(path).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x55;
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn layer_digest_mismatch_is_an_error_naming_the_digest() {
    let (dir, written) = layout();
    let layer = &written.images[0].layers[1].digest;
    tamper(&blob_path(dir.path(), layer));
    let source = OciLayout::open(dir.path(), None).unwrap();
    let (result, _) = walk_with(&source, &[], &WalkOptions::default());
    let err = result.unwrap_err();
    assert!(
        matches!(&err, Error::DigestMismatch { expected, .. } if expected == layer),
        "{err}"
    );
    assert!(err.to_string().contains(&layer.to_string()));
}

#[test]
fn config_digest_mismatch_is_an_error_naming_the_digest() {
    let (dir, written) = layout();
    let config = &written.images[0].config_digest;
    tamper(&blob_path(dir.path(), config));
    let err = Image::open(
        &OciLayout::open(dir.path(), None).unwrap(),
        None,
        &Limits::default(),
    )
    .unwrap_err();
    assert!(
        matches!(&err, Error::DigestMismatch { expected, .. } if expected == config),
        "{err}"
    );
    assert!(
        err.to_string()
            .starts_with(&format!("digest mismatch for config {config}")),
        "{err}"
    );
}

#[test]
fn manifest_digest_mismatch_is_an_error_naming_the_digest() {
    let (dir, written) = layout();
    let manifest = &written.images[0].manifest.digest;
    tamper(&blob_path(dir.path(), manifest));
    let err = Image::open(
        &OciLayout::open(dir.path(), None).unwrap(),
        None,
        &Limits::default(),
    )
    .unwrap_err();
    assert!(
        matches!(&err, Error::DigestMismatch { expected, .. } if expected == manifest),
        "{err}"
    );
}

#[test]
fn a_blob_longer_than_its_descriptor_is_a_size_mismatch() {
    let (dir, written) = layout();
    let layer = &written.images[0].layers[0].digest;
    let path = blob_path(dir.path(), layer);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.extend_from_slice(b"trailing");
    std::fs::write(&path, bytes).unwrap();
    let (result, _) = walk_with(
        &OciLayout::open(dir.path(), None).unwrap(),
        &[],
        &WalkOptions::default(),
    );
    let err = result.unwrap_err();
    assert!(
        matches!(&err, Error::SizeMismatch { what, .. } if what.contains(&layer.to_string())),
        "{err}"
    );
}

#[test]
fn a_missing_blob_is_an_error_naming_it() {
    let (dir, written) = layout();
    let layer = &written.images[0].layers[0].digest;
    std::fs::remove_file(blob_path(dir.path(), layer)).unwrap();
    let (result, _) = walk_with(
        &OciLayout::open(dir.path(), None).unwrap(),
        &[],
        &WalkOptions::default(),
    );
    assert!(matches!(result.unwrap_err(), Error::BlobNotFound { digest, .. } if &digest == layer));
}

#[test]
fn a_wrong_diff_id_in_the_config_is_caught() {
    let tar = LayerSpec::new().file("x", "x").tar();
    let gz = assay_oci::testing::compress(&tar, assay_oci::media_type::Compression::Gzip);
    let wrong = assay_oci::Digest::sha256_of(b"not the tar");
    let image = ImageSpec::new().raw_layer(assay_oci::testing::LayerBlob::raw(
        gz,
        assay_oci::media_type::OCI_LAYER_GZIP,
        wrong.clone(),
    ));
    let (result, _) = support::walk_image(image.clone(), &[]);
    assert!(
        matches!(result.unwrap_err(), Error::DigestMismatch { expected, .. } if expected == wrong)
    );
    let options = WalkOptions {
        verify_diff_ids: false,
        ..WalkOptions::default()
    };
    assert!(support::walk_image_with(image, &[], &options).0.is_ok());
}

//! Choosing one image out of a multi-platform index.
#![allow(clippy::unwrap_used)]

use assay_oci::testing::{ImageSpec, LayerSpec, LayoutBuilder};
use assay_oci::{Error, Image, Limits, OciLayout, Platform};

fn image(platform: &str) -> ImageSpec {
    ImageSpec::new()
        .platform(platform)
        .layer(LayerSpec::new().file("arch", platform))
}

fn open(layout: &OciLayout, platform: Option<&str>) -> Result<Image, Error> {
    let platform = platform.map(|p| Platform::parse(p).unwrap());
    Image::open(layout, platform.as_ref(), &Limits::default())
}

fn multi(dir: &std::path::Path) -> OciLayout {
    LayoutBuilder::new()
        .index(
            Some("multi"),
            vec![
                image("linux/arm64/v8"),
                image("linux/amd64"),
                image("linux/arm/v7"),
            ],
        )
        .write(dir);
    OciLayout::open(dir, Some("multi")).unwrap()
}

#[test]
fn defaults_to_linux_amd64() {
    let dir = tempfile::tempdir().unwrap();
    let image = open(&multi(dir.path()), None).unwrap();
    assert_eq!(image.platform.unwrap().to_string(), "linux/amd64");
    assert_eq!(image.config.architecture, "amd64");
    assert!(image.index_digest.is_some());
}

#[test]
fn picks_the_named_platform_with_or_without_variant() {
    let dir = tempfile::tempdir().unwrap();
    let layout = multi(dir.path());
    assert_eq!(
        open(&layout, Some("linux/arm64"))
            .unwrap()
            .config
            .architecture,
        "arm64"
    );
    assert_eq!(
        open(&layout, Some("linux/arm64/v8"))
            .unwrap()
            .config
            .architecture,
        "arm64"
    );
    assert_eq!(
        open(&layout, Some("linux/arm/v7"))
            .unwrap()
            .config
            .variant
            .as_deref(),
        Some("v7")
    );
}

#[test]
fn missing_platform_is_an_error_listing_the_available_ones() {
    let dir = tempfile::tempdir().unwrap();
    let err = open(&multi(dir.path()), Some("linux/s390x")).unwrap_err();
    match &err {
        Error::PlatformNotFound {
            wanted, available, ..
        } => {
            assert_eq!(wanted, "linux/s390x");
            assert_eq!(
                available,
                &["linux/arm64/v8", "linux/amd64", "linux/arm/v7"]
            );
        }
        other => panic!("unexpected {other}"),
    }
    assert!(
        err.to_string()
            .contains("available platforms: linux/arm64/v8, linux/amd64, linux/arm/v7"),
        "{err}"
    );
}

#[test]
fn without_amd64_the_only_platform_is_taken_and_several_are_an_error() {
    let dir = tempfile::tempdir().unwrap();
    LayoutBuilder::new()
        .index(Some("one"), vec![image("linux/arm64/v8")])
        .write(dir.path());
    let one = OciLayout::open(dir.path(), Some("one")).unwrap();
    assert_eq!(open(&one, None).unwrap().config.architecture, "arm64");

    let dir = tempfile::tempdir().unwrap();
    LayoutBuilder::new()
        .index(
            Some("two"),
            vec![image("linux/arm64"), image("linux/ppc64le")],
        )
        .write(dir.path());
    let two = OciLayout::open(dir.path(), Some("two")).unwrap();
    let err = open(&two, None).unwrap_err();
    assert!(
        err.to_string()
            .contains("no linux/amd64 (the default) image"),
        "{err}"
    );
    assert!(
        err.to_string().contains("linux/arm64, linux/ppc64le"),
        "{err}"
    );
}

#[test]
fn platform_manifests_directly_in_index_json_are_chosen_from() {
    let dir = tempfile::tempdir().unwrap();
    LayoutBuilder::new()
        .platforms(vec![image("linux/arm64"), image("linux/amd64")])
        .write(dir.path());
    let layout = OciLayout::open(dir.path(), None).unwrap();
    assert_eq!(
        open(&layout, Some("linux/arm64"))
            .unwrap()
            .config
            .architecture,
        "arm64"
    );
    assert_eq!(open(&layout, None).unwrap().config.architecture, "amd64");
}

#[test]
fn nested_indexes_are_followed() {
    let dir = tempfile::tempdir().unwrap();
    let written = LayoutBuilder::new()
        .nested_index(None, vec![image("linux/amd64"), image("linux/arm64")], 3)
        .write(dir.path());
    let layout = OciLayout::open(dir.path(), None).unwrap();
    let image = open(&layout, Some("linux/arm64")).unwrap();
    assert_eq!(image.manifest_digest, written.images[1].manifest.digest);
}

#[test]
fn a_single_image_of_another_platform_is_an_error_only_when_a_platform_is_named() {
    let dir = tempfile::tempdir().unwrap();
    LayoutBuilder::new()
        .image(None, image("linux/arm64"))
        .write(dir.path());
    let layout = OciLayout::open(dir.path(), None).unwrap();
    assert_eq!(open(&layout, None).unwrap().config.architecture, "arm64");
    let err = open(&layout, Some("linux/amd64")).unwrap_err();
    assert!(
        matches!(&err, Error::PlatformNotFound { available, .. } if available == &["linux/arm64"]),
        "{err}"
    );
}

#[test]
fn platform_strings_are_validated() {
    assert!(Platform::parse("linux").is_err());
    assert!(Platform::parse("linux/amd64/v2/x").is_err());
    assert!(Platform::parse("linux//amd64").is_err());
    assert_eq!(
        Platform::parse("linux/arm64/v8").unwrap().to_string(),
        "linux/arm64/v8"
    );
}

#[test]
fn with_no_platform_named_the_only_platform_whose_blobs_are_present_is_taken() {
    // `docker save` on an arm64 machine with the containerd store: the index lists amd64 too,
    // but only the arm64 blobs were saved.
    let dir = tempfile::tempdir().unwrap();
    let written = LayoutBuilder::new()
        .index(
            Some("saved"),
            vec![image("linux/amd64"), image("linux/arm64/v8")],
        )
        .write(dir.path());
    let amd64 = &written.images[0].manifest.digest;
    std::fs::remove_file(assay_oci::testing::blob_path(dir.path(), amd64)).unwrap();
    let layout = OciLayout::open(dir.path(), Some("saved")).unwrap();
    assert_eq!(open(&layout, None).unwrap().config.architecture, "arm64");
    // Named explicitly, the missing platform is still an error.
    let err = open(&layout, Some("linux/amd64")).unwrap_err();
    assert!(
        matches!(&err, Error::BlobNotFound { digest, .. } if digest == amd64),
        "{err}"
    );
}

//! Reading images from a real registry (CNCF distribution from the testkit), pushed first
//! with oci-client; skipped where no registry binary is installed (required under CI).
#![allow(clippy::unwrap_used)]

mod support;

use assay_oci::testing::{ImageSpec, LayerSpec, Pusher, layout};
use assay_oci::{
    Error, Image, Limits, Platform, Reference, RemoteImage, RemoteOptions, WalkOptions,
};
use support::{Want, walk_with};

fn options(host: &str) -> RemoteOptions {
    RemoteOptions {
        plain_http: vec![host.to_string()],
        ..RemoteOptions::default()
    }
}

#[test]
fn remote_image_is_streamed_and_walked() {
    let Some(registry) =
        assay_testkit::Registry::start_or_skip("remote_image_is_streamed_and_walked")
    else {
        return;
    };
    let host = registry.host();
    let spec = ImageSpec::new()
        .layer(
            LayerSpec::new()
                .file("etc/os-release", "ID=alpine\n")
                .file("big", vec![9u8; 300_000]),
        )
        .layer(
            LayerSpec::new()
                .zstd()
                .file("app/secret", "s")
                .whiteout("big"),
        );
    let built = spec.build();
    let pusher = Pusher::new(&host);
    pusher.push_image("test/app", "v1", &built);

    let reference = Reference::parse(&format!("{host}/test/app:v1")).unwrap();
    let remote = RemoteImage::open(&reference, &options(&host)).unwrap();
    let image = Image::open(&remote, None, &Limits::default()).unwrap();
    assert_eq!(image.manifest_digest, built.manifest.digest);
    let want = Want(|p: &str| p == "etc/os-release");
    let (walk, rec) = walk_with(&remote, &[&want], &WalkOptions::default());
    let tree = walk.unwrap().tree;
    assert_eq!(
        tree.iter().map(|e| e.path.as_str()).collect::<Vec<_>>(),
        ["app/secret", "etc/os-release"]
    );
    assert_eq!(rec.files[0].2, b"ID=alpine\n");
    assert_eq!(rec.deleted.len(), 1);

    // Pinned by digest, the same image; pinned to another digest, an error.
    let pinned = reference.with_digest(built.manifest.digest.clone());
    assert!(RemoteImage::open(&pinned, &options(&host)).is_ok());
    let wrong = reference.with_digest(assay_oci::Digest::sha256_of(b"other"));
    assert!(RemoteImage::open(&wrong, &options(&host)).is_err());
}

#[test]
fn remote_index_platform_is_chosen_and_missing_tags_are_registry_errors() {
    let Some(registry) = assay_testkit::Registry::start_or_skip("remote_index_platform_is_chosen")
    else {
        return;
    };
    let host = registry.host();
    let pusher = Pusher::new(&host);
    let amd = ImageSpec::new()
        .layer(LayerSpec::new().file("arch", "amd64"))
        .build();
    let arm = ImageSpec::new()
        .platform("linux/arm64/v8")
        .layer(LayerSpec::new().file("arch", "arm64"))
        .build();
    for image in [&amd, &arm] {
        pusher.push_image("test/multi", &image.manifest.digest.hex()[..16], image);
    }
    let (_, index_bytes) = layout::index_blob(vec![amd.manifest.clone(), arm.manifest.clone()]);
    pusher.push_index("test/multi", "latest", index_bytes);

    let reference = Reference::parse(&format!("{host}/test/multi")).unwrap();
    let remote = RemoteImage::open(&reference, &options(&host)).unwrap();
    let arm64 = Platform::parse("linux/arm64").unwrap();
    let image = Image::open(&remote, Some(&arm64), &Limits::default()).unwrap();
    assert_eq!(image.manifest_digest, arm.manifest.digest);
    let err = Image::open(
        &remote,
        Some(&Platform::parse("linux/s390x").unwrap()),
        &Limits::default(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::PlatformNotFound { .. }), "{err}");

    let missing = Reference::parse(&format!("{host}/test/multi:nope")).unwrap();
    assert!(matches!(
        RemoteImage::open(&missing, &options(&host)),
        Err(Error::Registry { .. })
    ));
}

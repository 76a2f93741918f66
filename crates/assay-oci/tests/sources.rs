//! Opening images from OCI layouts, docker archives and root filesystems.
#![allow(clippy::unwrap_used)]

mod support;

use assay_oci::testing::{
    ArchiveFormat, ArchiveImage, ImageSpec, LayerSpec, LayoutBuilder, write_docker_archive,
};
use assay_oci::{
    DockerArchive, EntryKind, Error, Image, Limits, OciLayout, Rootfs, WalkOptions, media_type,
};
use support::{Want, walk_with};

fn alpine_like() -> ImageSpec {
    ImageSpec::new()
        .layer(
            LayerSpec::new()
                .dir("etc")
                .file("etc/os-release", "ID=alpine\n")
                .file("bin/sh", "#!"),
        )
        .layer(LayerSpec::new().file("app/main.py", "print('hi')\n"))
        .env("APP=1")
        .label("org.opencontainers.image.source", "https://example.com/app")
        .user("1000")
}

#[test]
fn layout_with_tag_opens_the_tagged_image() {
    let dir = tempfile::tempdir().unwrap();
    let written = LayoutBuilder::new()
        .image(
            Some("v1"),
            ImageSpec::new().layer(LayerSpec::new().file("v", "1")),
        )
        .image(Some("v2"), alpine_like())
        .write(dir.path());
    let layout = OciLayout::open(dir.path(), Some("v2")).unwrap();
    let image = Image::open(&layout, None, &Limits::default()).unwrap();
    assert_eq!(image.manifest_digest, written.images[1].manifest.digest);
    assert_eq!(image.layers.len(), 2);
    let runtime = image.config.config.as_ref().unwrap();
    assert_eq!(runtime.user.as_deref(), Some("1000"));
    assert_eq!(runtime.env_var("APP"), Some("1"));
    assert_eq!(
        runtime
            .labels
            .get("org.opencontainers.image.source")
            .map(String::as_str),
        Some("https://example.com/app")
    );
    assert_eq!(image.config.history.len(), 2);
    assert_eq!(
        image.config.created.as_deref(),
        Some("2024-01-01T00:00:00Z")
    );
    assert_eq!(
        image.layers[1].diff_id,
        Some(written.images[1].layers[1].diff_id.clone())
    );
    assert_eq!(
        image.platform.as_ref().map(ToString::to_string).as_deref(),
        Some("linux/amd64")
    );
}

#[test]
fn layout_without_tag_opens_its_only_image() {
    let dir = tempfile::tempdir().unwrap();
    let written = LayoutBuilder::new()
        .image(Some("latest"), alpine_like())
        .write(dir.path());
    let layout = OciLayout::open(dir.path(), None).unwrap();
    let image = Image::open(&layout, None, &Limits::default()).unwrap();
    assert_eq!(image.config_digest, written.images[0].config_digest);
}

#[test]
fn layout_with_several_images_and_no_tag_lists_them() {
    let dir = tempfile::tempdir().unwrap();
    LayoutBuilder::new()
        .image(Some("a"), alpine_like())
        .image(Some("b"), alpine_like())
        .write(dir.path());
    let err = Image::open(
        &OciLayout::open(dir.path(), None).unwrap(),
        None,
        &Limits::default(),
    )
    .unwrap_err();
    assert!(
        matches!(&err, Error::AmbiguousImage { available, .. } if available == &["a", "b"]),
        "{err}"
    );
}

#[test]
fn unknown_tag_is_an_error_listing_the_tags() {
    let dir = tempfile::tempdir().unwrap();
    LayoutBuilder::new()
        .image(Some("v1"), alpine_like())
        .write(dir.path());
    let err = Image::open(
        &OciLayout::open(dir.path(), Some("v9")).unwrap(),
        None,
        &Limits::default(),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "no image tagged \"v9\" in oci:{}:v9; available: v1",
            dir.path().display()
        )
    );
}

#[test]
fn a_folder_without_oci_layout_is_not_a_layout() {
    let dir = tempfile::tempdir().unwrap();
    let err = OciLayout::open(dir.path(), None).unwrap_err();
    assert!(err.to_string().contains("not an OCI image layout"), "{err}");
}

fn walk_paths(source: &dyn assay_oci::ImageSource) -> Vec<String> {
    let want = Want(|p: &str| p == "etc/os-release");
    let (walk, rec) = walk_with(source, &[&want], &WalkOptions::default());
    let walk = walk.unwrap();
    assert_eq!(rec.files.len(), 1);
    assert_eq!(rec.files[0].2, b"ID=alpine\n");
    walk.tree.iter().map(|e| e.path.clone()).collect()
}

#[test]
fn docker_archive_legacy_is_read_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("img.tar");
    let images = [ArchiveImage {
        tags: vec!["example/app:1.0".into()],
        image: alpine_like(),
    }];
    let built = write_docker_archive(&path, &images, ArchiveFormat::Legacy);
    let archive = DockerArchive::open(&path, None).unwrap();
    let image = Image::open(&archive, None, &Limits::default()).unwrap();
    assert_eq!(image.config_digest, built[0].config_digest);
    // Legacy layers are plain tars named by their diff_id.
    assert_eq!(image.layers[0].digest, built[0].layers[0].diff_id);
    assert_eq!(image.layers[0].media_type, media_type::DOCKER_LAYER);
    assert_eq!(
        walk_paths(&archive),
        ["app/main.py", "bin/sh", "etc", "etc/os-release"]
    );
    // Nothing was extracted next to the archive.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn docker_archive_legacy_follows_shared_layer_symlinks() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("img.tar");
    let same = LayerSpec::new().file("same", "x");
    let image = ImageSpec::new()
        .layer(same.clone())
        .layer(LayerSpec::new().file("mid", "y"))
        .layer(same);
    write_docker_archive(
        &path,
        &[ArchiveImage {
            tags: vec!["a:1".into()],
            image,
        }],
        ArchiveFormat::Legacy,
    );
    let archive = DockerArchive::open(&path, Some("a:1")).unwrap();
    let (walk, _) = walk_with(&archive, &[], &WalkOptions::default());
    assert_eq!(walk.unwrap().tree.len(), 2);
}

#[test]
fn docker_archive_oci_variant_is_read_through_index_json() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("img.tar");
    let images = [
        ArchiveImage {
            tags: vec!["alpine:3.20".into()],
            image: alpine_like(),
        },
        ArchiveImage {
            tags: vec!["other:1".into()],
            image: ImageSpec::new().layer(LayerSpec::new().file("o", "o")),
        },
    ];
    let built = write_docker_archive(&path, &images, ArchiveFormat::Oci);
    for name in ["alpine:3.20", "docker.io/library/alpine:3.20"] {
        let archive = DockerArchive::open(&path, Some(name)).unwrap();
        let image = Image::open(&archive, None, &Limits::default()).unwrap();
        assert_eq!(image.manifest_digest, built[0].manifest.digest);
        assert_eq!(
            walk_paths(&archive),
            ["app/main.py", "bin/sh", "etc", "etc/os-release"]
        );
    }
    let err = Image::open(
        &DockerArchive::open(&path, None).unwrap(),
        None,
        &Limits::default(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::AmbiguousImage { .. }), "{err}");
}

#[test]
fn docker_archive_with_an_unknown_reference_lists_its_tags() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("img.tar");
    let images = [ArchiveImage {
        tags: vec!["app:1".into()],
        image: alpine_like(),
    }];
    write_docker_archive(&path, &images, ArchiveFormat::Legacy);
    let err = DockerArchive::open(&path, Some("app:2")).unwrap_err();
    assert!(
        matches!(&err, Error::TagNotFound { available, .. } if available == &["app:1"]),
        "{err}"
    );
}

#[cfg(unix)]
#[test]
fn dir_rootfs_is_one_layer_walked_without_following_symlinks() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret"), "outside").unwrap();
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    std::fs::create_dir_all(r.join("etc")).unwrap();
    std::fs::write(r.join("etc/os-release"), "ID=alpine\n").unwrap();
    std::os::unix::fs::symlink(outside.path().join("secret"), r.join("etc/escape")).unwrap();
    std::os::unix::fs::symlink(outside.path(), r.join("outdir")).unwrap();
    let rootfs = Rootfs::open(r).unwrap();
    let image = Image::open(&rootfs, None, &Limits::default()).unwrap();
    assert_eq!(image.layers.len(), 1);
    assert!(!image.layers[0].is_content_addressed());
    let want = Want(|_: &str| true);
    let (walk, rec) = walk_with(&rootfs, &[&want], &WalkOptions::default());
    let tree = walk.unwrap().tree;
    let paths: Vec<&str> = tree.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(paths, ["etc", "etc/escape", "etc/os-release", "outdir"]);
    assert!(matches!(
        tree.get("etc/escape").unwrap().kind,
        EntryKind::Symlink { .. }
    ));
    // Only the real file's content was read; the symlinks were not followed.
    let read: Vec<&str> = rec.files.iter().map(|f| f.1.as_str()).collect();
    assert_eq!(read, ["etc/os-release"]);
}

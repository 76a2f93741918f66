//! The layer walker: squashing, whiteouts, the visitor's view, wanted contents, compression.
#![allow(clippy::unwrap_used)]

mod support;

use assay_oci::testing::{ImageSpec, LayerBlob, LayerSpec, compress};
use assay_oci::{EntryKind, WalkOptions, WarningKind, media_type};
use support::{Want, walk_image, walk_image_with};

fn paths(tree: &assay_oci::FileTree) -> Vec<&str> {
    tree.iter().map(|e| e.path.as_str()).collect()
}

#[test]
fn whiteout_deletes_a_file_and_a_directory_of_lower_layers() {
    let image = ImageSpec::new()
        .layer(
            LayerSpec::new()
                .file("etc/passwd", "root")
                .file("tmp/cache/a", "a")
                .file("tmp/cache/b", "b")
                .file("keep", "k"),
        )
        .layer(
            LayerSpec::new()
                .whiteout("etc/passwd")
                .whiteout("tmp/cache"),
        );
    let (walk, _) = walk_image(image, &[]);
    assert_eq!(paths(&walk.unwrap().tree), ["keep"]);
}

#[test]
fn whiteout_applies_only_to_lower_layers_not_its_own() {
    let image = ImageSpec::new()
        .layer(LayerSpec::new().file("a", "old"))
        .layer(LayerSpec::new().file("a", "new").whiteout("a"));
    let (walk, _) = walk_image(image, &[]);
    let tree = walk.unwrap().tree;
    assert_eq!(tree.get("a").unwrap().layer, 1);
}

#[test]
fn opaque_dir_hides_lower_contents_but_keeps_its_own() {
    let image = ImageSpec::new()
        .layer(
            LayerSpec::new()
                .dir("var")
                .file("var/lib/old", "1")
                .file("var/log", "2")
                .file("varnish", "3"),
        )
        .layer(LayerSpec::new().file("var/new", "n").opaque("var"));
    let (walk, rec) = walk_image(image, &[]);
    let tree = walk.unwrap().tree;
    assert_eq!(paths(&tree), ["var", "var/new", "varnish"]);
    let deleted: Vec<&str> = rec.deleted.iter().map(|(_, e)| e.path.as_str()).collect();
    assert_eq!(deleted, ["var/lib/old", "var/log"]);
}

#[test]
fn deleted_files_are_visible_to_the_visitor_with_their_layer() {
    let image = ImageSpec::new()
        .layer(LayerSpec::new().file("base", "b"))
        .layer(
            LayerSpec::new()
                .file("root/.aws/credentials", "AKIA...")
                .file("app", "x"),
        )
        .layer(LayerSpec::new().whiteout("root/.aws"));
    let want = Want(|p: &str| p.contains(".aws"));
    let (walk, rec) = walk_image(image, &[&want]);
    walk.unwrap();
    // The visitor saw the secret with its content, in layer 1 ...
    assert!(rec.files.iter().any(|(layer, path, content, _)| *layer == 1
        && path == "root/.aws/credentials"
        && content == b"AKIA..."));
    // ... and was told layer 2 deleted it.
    let deleted: Vec<(usize, &str, usize)> = rec
        .deleted
        .iter()
        .map(|(by, e)| (*by, e.path.as_str(), e.layer))
        .collect();
    assert_eq!(deleted, [(2, "root/.aws/credentials", 1)]);
    // The final tree no longer has it.
    assert!(rec.tree.unwrap().get("root/.aws/credentials").is_none());
    // The marker itself was reported as an entry of layer 2.
    assert!(
        rec.entries
            .iter()
            .any(|(l, e)| *l == 2 && e.kind == EntryKind::Whiteout && e.path == "root/.aws")
    );
}

#[test]
fn wanted_files_are_delivered_once_with_their_content_to_everyone_who_wants_them() {
    let image = ImageSpec::new()
        .layer(
            LayerSpec::new()
                .file("var/lib/dpkg/status", "Package: bash\n")
                .file("etc/os-release", "ID=debian\n")
                .file("big", vec![7u8; 5000]),
        )
        .layer(LayerSpec::new().file("usr/lib/python3/x.dist-info/METADATA", "Name: x\n"));
    let dpkg = Want(|p: &str| p == "var/lib/dpkg/status" || p == "etc/os-release");
    let os = Want(|p: &str| p == "etc/os-release");
    let python = Want(|p: &str| p.ends_with(".dist-info/METADATA"));
    struct Small;
    impl assay_oci::Wants for Small {
        fn wants(&self, _: &str) -> bool {
            true
        }
        fn max_size(&self) -> u64 {
            100
        }
    }
    let (walk, rec) = walk_image(image, &[&dpkg, &os, &python, &Small]);
    let walk = walk.unwrap();
    let files: Vec<(usize, &str, &[u8], &[usize])> = rec
        .files
        .iter()
        .map(|(l, p, c, w)| (*l, p.as_str(), c.as_slice(), w.as_slice()))
        .collect();
    assert_eq!(
        files,
        [
            (
                0,
                "var/lib/dpkg/status",
                &b"Package: bash\n"[..],
                &[0, 3][..]
            ),
            (0, "etc/os-release", &b"ID=debian\n"[..], &[0, 1, 3][..]),
            (
                1,
                "usr/lib/python3/x.dist-info/METADATA",
                &b"Name: x\n"[..],
                &[2, 3][..]
            ),
        ]
    );
    assert_eq!(walk.stats.iter().map(|s| s.files_read).sum::<u64>(), 3);
}

#[test]
fn content_follows_its_entry_and_layers_come_in_order_whatever_the_threads() {
    let mut image = ImageSpec::new();
    for i in 0..12 {
        image = image.layer(
            LayerSpec::new()
                .file(&format!("l{i}/f"), format!("{i}"))
                .file("shared", format!("{i}")),
        );
    }
    let want = Want(|p: &str| p == "shared");
    let mut runs = Vec::new();
    for threads in [1, 2, 7] {
        let options = WalkOptions {
            threads,
            ..WalkOptions::default()
        };
        let (walk, rec) = walk_image_with(image.clone(), &[&want], &options);
        let tree = walk.unwrap().tree;
        assert_eq!(tree.get("shared").unwrap().layer, 11);
        runs.push(rec.events);
    }
    assert_eq!(runs[0], runs[1]);
    assert_eq!(runs[0], runs[2]);
    assert_eq!(
        &runs[0][..4],
        ["layer 0", "entry 0 l0/f", "entry 0 shared", "file 0 shared"]
    );
}

#[test]
fn gzip_zstd_and_plain_layers_are_read() {
    let spec = |name: &str| LayerSpec::new().file(name, name);
    let image = ImageSpec::new()
        .layer(spec("gz").gzip())
        .layer(spec("zst").zstd())
        .layer(spec("tar").plain());
    let want = Want(|_: &str| true);
    let (walk, rec) = walk_image(image, &[&want]);
    let walk = walk.unwrap();
    assert_eq!(paths(&walk.tree), ["gz", "tar", "zst"]);
    assert!(walk.warnings.is_empty(), "{:?}", walk.warnings);
    let contents: Vec<&[u8]> = rec.files.iter().map(|f| f.2.as_slice()).collect();
    assert_eq!(contents, [&b"gz"[..], b"zst", b"tar"]);
}

#[test]
fn compression_is_detected_by_magic_bytes_when_the_media_type_lies() {
    let tar = LayerSpec::new().file("x", "x").tar();
    let diff_id = assay_oci::Digest::sha256_of(&tar);
    let gz = compress(&tar, assay_oci::media_type::Compression::Gzip);
    let image = ImageSpec::new().raw_layer(LayerBlob::raw(gz, media_type::OCI_LAYER, diff_id));
    let (walk, _) = walk_image(image, &[]);
    let walk = walk.unwrap();
    assert_eq!(paths(&walk.tree), ["x"]);
    assert!(matches!(
        &walk.warnings[0].kind,
        WarningKind::CompressionMismatch {
            detected: "gzip",
            ..
        }
    ));
}

#[test]
fn a_file_replacing_a_directory_hides_its_contents() {
    let image = ImageSpec::new()
        .layer(
            LayerSpec::new()
                .file("opt/app/bin", "b")
                .file("opt/app/lib", "l"),
        )
        .layer(LayerSpec::new().symlink("opt/app", "/usr/share/app"));
    let (walk, rec) = walk_image(image, &[]);
    assert_eq!(paths(&walk.unwrap().tree), ["opt/app"]);
    assert_eq!(rec.deleted.len(), 2);
}

#[test]
fn hardlinks_to_wanted_files_get_the_content() {
    let image = ImageSpec::new().layer(
        LayerSpec::new()
            .file("usr/bin/python3.11", "ELF")
            .hardlink("usr/bin/python3", "usr/bin/python3.11"),
    );
    let want = Want(|p: &str| p.starts_with("usr/bin/python"));
    let (walk, rec) = walk_image(image, &[&want]);
    let tree = walk.unwrap().tree;
    assert_eq!(
        tree.get("usr/bin/python3").unwrap().kind,
        EntryKind::Hardlink {
            target: "usr/bin/python3.11".into()
        }
    );
    assert_eq!(rec.files.len(), 2);
    assert_eq!(rec.files[1].2, b"ELF");
}

#[test]
fn files_over_the_read_limit_are_skipped_with_a_warning() {
    let image = ImageSpec::new().layer(LayerSpec::new().file("huge.db", vec![1u8; 4096]));
    let want = Want(|_: &str| true);
    let mut options = WalkOptions::default();
    options.limits.max_file_read = 1024;
    let (walk, rec) = walk_image_with(image, &[&want], &options);
    let walk = walk.unwrap();
    assert!(rec.files.is_empty());
    assert!(matches!(
        walk.warnings[0].kind,
        WarningKind::FileTooLarge {
            size: 4096,
            limit: 1024
        }
    ));
    assert_eq!(walk.tree.get("huge.db").unwrap().size, 4096);
}

#[test]
fn metadata_is_recorded() {
    let image = ImageSpec::new().layer(
        LayerSpec::new()
            .file_with_mode("usr/bin/sudo", "s", 0o4755)
            .symlink("bin", "usr/bin"),
    );
    let (walk, _) = walk_image(image, &[]);
    let tree = walk.unwrap().tree;
    let sudo = tree.get("/usr/bin/sudo").unwrap();
    assert_eq!(
        (sudo.mode, sudo.uid, sudo.size, sudo.layer, sudo.mtime),
        (0o4755, 0, 1, 0, 1_700_000_000)
    );
    assert_eq!(
        tree.resolve("/bin/sudo").unwrap().unwrap().path,
        "usr/bin/sudo"
    );
}

//! Hostile layers: each gives a defined result (a warning or a typed error), never a panic,
//! and nothing is written anywhere.
#![allow(clippy::unwrap_used)]

mod support;

use assay_oci::media_type::{self, Compression};
use assay_oci::testing::{ImageSpec, LayerBlob, LayerSpec, compress, gzip_bomb, zstd_bomb};
use assay_oci::{Digest, EntryKind, Error, WalkOptions, WarningKind};
use support::{Want, walk_image, walk_image_with};

fn everything() -> Want<fn(&str) -> bool> {
    Want(|_| true)
}

#[test]
fn dot_dot_paths_are_clamped_at_the_root_with_a_warning() {
    let image =
        ImageSpec::new().layer(LayerSpec::new().raw(b"../../etc/passwd", b'0', b"", 4, b"evil"));
    let (walk, rec) = walk_image(image, &[&everything()]);
    let walk = walk.unwrap();
    assert_eq!(walk.tree.get("etc/passwd").unwrap().size, 4);
    assert_eq!(
        walk.warnings[0].kind,
        WarningKind::PathEscape {
            raw: "../../etc/passwd".into()
        }
    );
    assert_eq!(rec.files[0].1, "etc/passwd");
}

#[test]
fn absolute_paths_are_made_relative_with_a_warning() {
    let image = ImageSpec::new().layer(LayerSpec::new().raw(b"/etc/shadow", b'0', b"", 1, b"x"));
    let (walk, _) = walk_image(image, &[]);
    let walk = walk.unwrap();
    assert!(walk.tree.get("etc/shadow").is_some());
    assert_eq!(
        walk.warnings[0].kind,
        WarningKind::AbsolutePath {
            raw: "/etc/shadow".into()
        }
    );
}

#[test]
fn symlink_loops_are_recorded_and_resolving_them_is_an_error() {
    let image = ImageSpec::new().layer(
        LayerSpec::new()
            .symlink("a", "b")
            .symlink("b", "c")
            .symlink("c", "a")
            .symlink("self", "self")
            .symlink("up", "../../../../etc/passwd"),
    );
    let (walk, _) = walk_image(image, &[&everything()]);
    let tree = walk.unwrap().tree;
    assert!(tree.resolve("a").is_err());
    assert!(tree.resolve("self/x").is_err());
    // An escaping link resolves inside the image (a chroot), here to nothing.
    assert_eq!(tree.resolve("up"), Ok(None));
}

#[test]
fn hardlinks_out_of_the_root_are_clamped_and_never_read() {
    let image =
        ImageSpec::new().layer(LayerSpec::new().hardlink("innocent", "../../../etc/shadow"));
    let (walk, rec) = walk_image(image, &[&everything()]);
    let walk = walk.unwrap();
    assert_eq!(
        walk.tree.get("innocent").unwrap().kind,
        EntryKind::Hardlink {
            target: "etc/shadow".into()
        }
    );
    assert!(
        walk.warnings
            .iter()
            .any(|w| matches!(w.kind, WarningKind::LinkEscape { .. }))
    );
    assert!(
        walk.warnings
            .iter()
            .any(|w| matches!(w.kind, WarningKind::HardlinkContentUnavailable { .. }))
    );
    assert!(rec.files.is_empty());
}

#[test]
fn device_nodes_and_fifos_are_metadata_only() {
    let image = ImageSpec::new().layer(
        LayerSpec::new()
            .char_device("dev/mem", 1, 1)
            .block_device("dev/sda", 8, 0)
            .fifo("run/pipe"),
    );
    let (walk, rec) = walk_image(image, &[&everything()]);
    let tree = walk.unwrap().tree;
    assert_eq!(
        tree.get("dev/mem").unwrap().kind,
        EntryKind::CharDevice { major: 1, minor: 1 }
    );
    assert_eq!(
        tree.get("dev/sda").unwrap().kind,
        EntryKind::BlockDevice { major: 8, minor: 0 }
    );
    assert_eq!(tree.get("run/pipe").unwrap().kind, EntryKind::Fifo);
    assert!(rec.files.is_empty());
}

#[test]
fn a_header_claiming_10_gb_in_a_small_blob_is_a_truncated_layer() {
    for wants in [vec![], vec![everything()]] {
        let wants: Vec<&dyn assay_oci::Wants> = wants.iter().map(|w| w as _).collect();
        let layer =
            LayerSpec::new()
                .file("ok", "fine")
                .raw(b"liar", b'0', b"", 10 << 30, b"only ten b");
        let image = ImageSpec::new().layer(layer);
        let digest = image.layers[0].digest.clone();
        let (walk, _) = walk_image(image, &wants);
        let err = walk.unwrap_err();
        assert!(
            matches!(&err, Error::Truncated { layer, .. } if *layer == digest),
            "{err}"
        );
        // The entry that lied is named, whether its data was being read or skipped.
        assert!(err.to_string().contains("liar"), "{err}");
    }
}

#[test]
fn a_wanted_file_shorter_than_its_header_is_a_truncated_layer() {
    let layer = LayerSpec::new().raw(b"etc/os-release", b'0', b"", 5000, b"ID=x");
    let (walk, _) = walk_image(ImageSpec::new().layer(layer.plain()), &[&everything()]);
    assert!(
        matches!(walk.unwrap_err(), Error::Truncated { detail, .. } if detail.contains("etc/os-release"))
    );
}

#[test]
fn gzip_bomb_stops_at_the_uncompressed_limit() {
    let started = std::time::Instant::now();
    let bomb = gzip_bomb("zeros", 2 << 30);
    let built = started.elapsed();
    let digest = bomb.digest.clone();
    let compressed = bomb.bytes.len();
    let mut options = WalkOptions::default();
    options.limits.max_layer_uncompressed = 64 << 20;
    let (walk, _) = walk_image_with(ImageSpec::new().raw_layer(bomb), &[], &options);
    let err = walk.unwrap_err();
    match &err {
        Error::LimitExceeded { limit, layer, .. } => {
            assert_eq!(*limit, 64 << 20);
            assert_eq!(layer.as_ref(), Some(&digest));
        }
        other => panic!("unexpected {other}"),
    }
    assert!(compressed < 4 << 20, "bomb is {compressed} bytes");
    let walked = started.elapsed() - built;
    assert!(
        walked.as_secs() < 60,
        "bomb built in {built:?}, walked in {walked:?}"
    );
}

#[test]
fn zstd_bomb_stops_at_the_uncompressed_limit() {
    let bomb = zstd_bomb("zeros", 1 << 30);
    let digest = bomb.digest.clone();
    let mut options = WalkOptions::default();
    options.limits.max_layer_uncompressed = 16 << 20;
    let (walk, _) = walk_image_with(ImageSpec::new().raw_layer(bomb), &[], &options);
    let err = walk.unwrap_err();
    assert!(
        matches!(&err, Error::LimitExceeded { limit, layer: Some(l), .. } if *limit == 16 << 20 && *l == digest),
        "{err}"
    );
}

#[test]
fn a_zstd_frame_asking_for_a_window_over_128_mib_is_a_limit_error() {
    use std::io::Write;
    let tar = LayerSpec::new().file("etc/os-release", "ID=x\n").tar();
    let mut enc = zstd::stream::write::Encoder::new(Vec::new(), 3).unwrap();
    enc.window_log(31).unwrap();
    enc.write_all(&tar).unwrap();
    // Flushed before the end, so the frame does not know its size and keeps the 2 GiB window.
    enc.flush().unwrap();
    let bytes = enc.finish().unwrap();
    let blob = LayerBlob::raw(bytes, media_type::OCI_LAYER_ZSTD, Digest::sha256_of(&tar));
    let digest = blob.digest.clone();
    let (walk, _) = walk_image(ImageSpec::new().raw_layer(blob), &[]);
    let err = walk.unwrap_err();
    assert!(
        matches!(&err, Error::LimitExceeded { limit, layer: Some(l), .. } if *limit == 1 << 27 && *l == digest),
        "{err:?}"
    );
    assert!(err.to_string().contains("zstd window"), "{err}");
}

#[test]
fn a_wanted_file_inside_a_bomb_is_not_read_past_the_file_limit() {
    let bomb = gzip_bomb("var/lib/dpkg/status", 256 << 20);
    let mut options = WalkOptions::default();
    options.limits.max_layer_uncompressed = 32 << 20;
    let (walk, rec) = walk_image_with(ImageSpec::new().raw_layer(bomb), &[&everything()], &options);
    assert!(matches!(walk.unwrap_err(), Error::LimitExceeded { .. }));
    assert!(rec.files.is_empty());
}

#[test]
fn truncated_gzip_and_zstd_blobs_are_errors_naming_the_layer() {
    let tar = LayerSpec::new()
        .file("data", vec![b'x'; 100_000])
        .file("more", vec![b'y'; 100_000])
        .tar();
    for compression in [Compression::Gzip, Compression::Zstd, Compression::None] {
        let full = compress(&tar, compression);
        let cut = full[..full.len() / 2].to_vec();
        let media = match compression {
            Compression::Gzip => media_type::OCI_LAYER_GZIP,
            Compression::Zstd => media_type::OCI_LAYER_ZSTD,
            Compression::None => media_type::OCI_LAYER,
        };
        let blob = LayerBlob::raw(cut, media, Digest::sha256_of(&tar));
        let digest = blob.digest.clone();
        let (walk, _) = walk_image(ImageSpec::new().raw_layer(blob), &[]);
        let err = walk.unwrap_err();
        assert!(
            matches!(&err, Error::Truncated { layer, .. } if *layer == digest),
            "{compression:?}: {err}"
        );
    }
}

#[test]
fn a_gzip_trailer_with_the_wrong_length_or_trailing_garbage_is_a_corrupt_layer() {
    let tar = LayerSpec::new().file("data", vec![b'x'; 10_000]).tar();
    let gz = compress(&tar, Compression::Gzip);
    let mut wrong_length = gz.clone();
    let last = wrong_length.len() - 1;
    wrong_length[last] ^= 1; // the top byte of ISIZE
    let mut trailing = gz;
    trailing.extend_from_slice(b"\0\0\0\0padding");
    for bytes in [wrong_length, trailing] {
        // The blob's digest is that of these bytes: only the gzip framing is wrong.
        let blob = LayerBlob::raw(bytes, media_type::OCI_LAYER_GZIP, Digest::sha256_of(&tar));
        let digest = blob.digest.clone();
        let (walk, _) = walk_image(ImageSpec::new().raw_layer(blob), &[]);
        let err = walk.unwrap_err();
        assert!(
            matches!(&err, Error::CorruptLayer { layer, .. } if *layer == digest),
            "{err}"
        );
    }
}

#[test]
fn duplicate_entries_last_one_wins_and_both_are_seen() {
    let image = ImageSpec::new().layer(
        LayerSpec::new()
            .file("etc/passwd", "first")
            .file_with_mode("etc/passwd", "second!", 0o600),
    );
    let (walk, rec) = walk_image(image, &[&everything()]);
    let tree = walk.unwrap().tree;
    let entry = tree.get("etc/passwd").unwrap();
    assert_eq!((entry.size, entry.mode), (7, 0o600));
    let contents: Vec<&[u8]> = rec.files.iter().map(|f| f.2.as_slice()).collect();
    assert_eq!(contents, [&b"first"[..], b"second!"]);
}

#[test]
fn whiteout_of_a_whiteout_is_ignored_with_a_warning() {
    let image = ImageSpec::new()
        .layer(
            LayerSpec::new()
                .file("dir/foo", "f")
                .file("dir/.wh.foo-not", "x"),
        )
        .layer(
            LayerSpec::new()
                .file("dir/.wh..wh.foo", "")
                .file("dir/.wh.", "")
                .whiteout("dir/.wh.x"),
        );
    let (walk, _) = walk_image(image, &[]);
    let walk = walk.unwrap();
    assert!(walk.tree.get("dir/foo").is_some());
    let kinds: Vec<&WarningKind> = walk.warnings.iter().map(|w| &w.kind).collect();
    assert!(
        kinds
            .iter()
            .filter(|k| matches!(k, WarningKind::WhiteoutOfWhiteout { .. }))
            .count()
            == 2,
        "{kinds:?}"
    );
    assert!(
        kinds
            .iter()
            .any(|k| matches!(k, WarningKind::InvalidWhiteout { .. })),
        "{kinds:?}"
    );
}

#[test]
fn a_gnu_long_name_of_gigabytes_hits_the_header_limit() {
    // A GNU long-name entry of 8 MiB, eight times the header limit, really present.
    let huge = vec![b'a'; 8 << 20];
    let layer = LayerSpec::new()
        .raw(b"././@LongLink", b'L', b"", huge.len() as u64, &huge)
        .file("after", "x");
    let (walk, _) = walk_image(ImageSpec::new().layer(layer), &[]);
    let err = walk.unwrap_err();
    assert!(
        matches!(&err, Error::LimitExceeded { what, limit, .. } if what == "tar entry header" && *limit == 1 << 20),
        "{err}"
    );
}

#[test]
fn a_pax_header_of_megabytes_hits_the_header_limit() {
    let record = format!("{} path={}\n", 8 + 2_000_000 + 7, "p".repeat(2_000_000));
    let layer = LayerSpec::new()
        .raw(b"pax", b'x', b"", record.len() as u64, record.as_bytes())
        .file("after", "x");
    let (walk, _) = walk_image(ImageSpec::new().layer(layer), &[]);
    assert!(
        matches!(walk.unwrap_err(), Error::LimitExceeded { what, .. } if what == "tar entry header")
    );
}

#[test]
fn a_path_longer_than_the_limit_is_an_error() {
    let name = "d/".repeat(3000) + "f";
    let (walk, _) = walk_image(
        ImageSpec::new().layer(LayerSpec::new().file(&name, "x")),
        &[],
    );
    assert!(
        matches!(walk.unwrap_err(), Error::LimitExceeded { what, limit: 4096, .. } if what == "path length")
    );
}

#[test]
fn too_many_entries_is_an_error() {
    let mut layer = LayerSpec::new();
    for i in 0..50 {
        layer = layer.file(&format!("f{i}"), "");
    }
    let mut options = WalkOptions::default();
    options.limits.max_entries = 20;
    let (walk, _) = walk_image_with(ImageSpec::new().layer(layer), &[], &options);
    assert!(matches!(
        walk.unwrap_err(),
        Error::LimitExceeded { limit: 20, .. }
    ));
}

#[test]
fn non_utf8_names_are_kept_lossily_with_a_warning() {
    let image = ImageSpec::new().layer(LayerSpec::new().raw(b"bad\xff\xfename", b'0', b"", 0, b""));
    let (walk, _) = walk_image(image, &[]);
    let walk = walk.unwrap();
    assert_eq!(walk.tree.len(), 1);
    assert_eq!(walk.warnings[0].kind, WarningKind::NonUtf8Path);
}

#[test]
fn an_encrypted_or_unknown_layer_type_is_an_unsupported_media_type() {
    let blob = LayerBlob::raw(
        b"whatever".to_vec(),
        "application/vnd.oci.image.layer.v1.tar+gzip+encrypted",
        Digest::sha256_of(b"x"),
    );
    let (walk, _) = walk_image(ImageSpec::new().raw_layer(blob), &[]);
    assert!(matches!(
        walk.unwrap_err(),
        Error::UnsupportedMediaType { .. }
    ));
}

#[test]
fn garbage_instead_of_a_tar_is_a_corrupt_layer() {
    let garbage: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let blob = LayerBlob::raw(garbage, media_type::OCI_LAYER, Digest::sha256_of(b"x"));
    let (walk, _) = walk_image(ImageSpec::new().raw_layer(blob), &[]);
    assert!(matches!(
        walk.unwrap_err(),
        Error::CorruptLayer { .. } | Error::Truncated { .. }
    ));
}

#[test]
fn mutated_layers_never_panic() {
    let tar = LayerSpec::new()
        .file("etc/os-release", "ID=alpine\n")
        .symlink("bin/sh", "busybox")
        .hardlink("bin/ash", "bin/sh")
        .whiteout("x/y")
        .opaque("var")
        .char_device("dev/null", 1, 3)
        .file(&"long/".repeat(40), "deep")
        .tar();
    let want = everything();
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    for round in 0..300 {
        let mut bytes = tar.clone();
        for _ in 0..(1 + round % 8) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let at = (state % bytes.len() as u64) as usize;
            bytes[at] = (state >> 32) as u8;
        }
        if round % 5 == 0 {
            bytes.truncate((state % bytes.len() as u64) as usize);
        }
        let compression = [Compression::None, Compression::Gzip, Compression::Zstd][round % 3];
        let blob = LayerBlob::raw(
            compress(&bytes, compression),
            media_type::OCI_LAYER,
            Digest::sha256_of(&bytes),
        );
        let (_result, _) = walk_image(ImageSpec::new().raw_layer(blob), &[&want]);
    }
}

#[test]
fn a_hundred_thousand_tiny_files_are_walked_as_metadata() {
    let mut layer = LayerSpec::new();
    for i in 0..100_000 {
        layer = layer.file(&format!("d{}/f{i}", i % 100), "x");
    }
    let (walk, rec) = walk_image(ImageSpec::new().layer(layer), &[]);
    let walk = walk.unwrap();
    assert!(walk.tree.get("d42/f99942").is_some());
    assert!(walk.warnings.is_empty());
    // Nothing wanted: no content was read.
    assert!(rec.files.is_empty());
}

#[test]
fn a_long_symlink_chain_resolves_and_one_past_the_hop_limit_is_an_error() {
    // Forty hops resolve (Linux allows 40 as well); a chain of a thousand is refused, not followed.
    let mut short = LayerSpec::new().file("target", "x");
    for i in 0..40 {
        let next = if i == 39 {
            "target".to_string()
        } else {
            format!("s{}", i + 1)
        };
        short = short.symlink(&format!("s{i}"), &next);
    }
    let (walk, _) = walk_image(ImageSpec::new().layer(short), &[]);
    let tree = walk.unwrap().tree;
    assert!(tree.resolve("s0").unwrap().is_some());

    let mut long = LayerSpec::new().file("target", "x");
    for i in 0..1000 {
        let next = if i == 999 {
            "target".to_string()
        } else {
            format!("l{}", i + 1)
        };
        long = long.symlink(&format!("l{i}"), &next);
    }
    let (walk, _) = walk_image(ImageSpec::new().layer(long), &[]);
    assert!(walk.unwrap().tree.resolve("l0").is_err());
}

#[test]
fn a_path_of_4096_bytes_is_kept_and_deep_directories_are_fine() {
    // 2047 levels of "d/" plus "f" = 4095 bytes: under the limit, walked and found.
    let name = "d/".repeat(2047) + "f";
    let (walk, _) = walk_image(
        ImageSpec::new().layer(LayerSpec::new().file(&name, "x")),
        &[],
    );
    assert_eq!(walk.unwrap().tree.get(&name).unwrap().size, 1);
}

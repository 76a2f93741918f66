//! Whole-image cataloguing with OS packages: files an OS package installed are not reported
//! again as language packages (dpkg `.list`, apk `R:`, rpm file lists), dpkg packages get
//! their DEP-5 licenses, and binaries parsed during the walk still honour whiteouts.
#![allow(clippy::unwrap_used)]

mod catalogers;

use assay_analyze::{Catalog, catalog_image};
use assay_oci::testing::{ImageSpec, LayerSpec, LayoutBuilder};
use assay_oci::{Image, Limits, OciLayout, WalkOptions};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/catalog/");

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}{name}")).unwrap()
}

fn catalog(image: ImageSpec) -> Catalog {
    let dir = tempfile::tempdir().unwrap();
    LayoutBuilder::new().image(None, image).write(dir.path());
    let layout = OciLayout::open(dir.path(), None).unwrap();
    let image = Image::open(&layout, None, &Limits::default()).unwrap();
    catalog_image(&layout, &image, &WalkOptions::default()).unwrap()
}

fn summary(catalog: &Catalog) -> Vec<String> {
    catalog
        .inventory
        .packages
        .iter()
        .map(|p| format!("{} {}@{} {}", p.ecosystem, p.name, p.version, p.path))
        .collect()
}

/// A Go binary's `.go.buildinfo` (Go 1.18+ inline form) with one dependency.
fn go_binary(dep: &str) -> Vec<u8> {
    let modinfo = format!(
        "0w\u{af}\u{c}\u{92}t\u{8}\u{2}A\u{e1}\u{c1}\u{7}\u{e6}\u{d6}\u{18}\u{e6}path\texample.com/app\ndep\t{dep}\tv1.0.0\n\
         \u{f9}2C1\u{86}\u{18} r\u{0}\u{82}B\u{10}A\u{16}\u{d8}\u{f2}"
    );
    // The sentinels must be raw bytes, not UTF-8 encoded characters.
    let modinfo: Vec<u8> = modinfo.chars().map(|c| c as u32 as u8).collect();
    let mut info = b"\xff Go buildinf:\x08\x02".to_vec();
    info.resize(32, 0);
    info.push(8);
    info.extend(b"go1.22.3");
    info.push(modinfo.len() as u8);
    info.extend(&modinfo);
    catalogers::elf(&[(".go.buildinfo", &info)], 0x40_0000, false)
}

const BOOKWORM: &str = "ID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n";
const METADATA: &str = "Metadata-Version: 2.1\nName: six\nVersion: 1.16.0\n";
const DEP5: &str = "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\n\
Files: *\nCopyright: 1987-2022 Free Software Foundation, Inc.\nLicense: GPL-3+\n\n\
License: GPL-3+\n This program is free software.\n";

#[test]
fn dpkg_owned_files_are_not_language_packages_and_licenses_come_from_copyright() {
    let image = ImageSpec::new()
        .layer(
            LayerSpec::new()
                .file("etc/os-release", BOOKWORM)
                .file("var/lib/dpkg/status", fixture("dpkg/status"))
                .file(
                    "var/lib/dpkg/info/bash.list",
                    "/.\n/usr\n/usr/bin/owned-go\n/usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA\n",
                )
                .file("usr/share/doc/bash/copyright", DEP5)
                .file("usr/share/doc/tar/copyright", "Free-form copyright text.\n"),
        )
        .layer(
            LayerSpec::new()
                .file("usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA", METADATA)
                .file("app/venv/lib/six-1.16.0.dist-info/METADATA", METADATA)
                .file("usr/bin/owned-go", go_binary("example.com/owned"))
                .file("usr/local/bin/mine", go_binary("example.com/mine"))
                .file("usr/local/bin/gone", go_binary("example.com/gone")),
        )
        .layer(LayerSpec::new().whiteout("usr/local/bin/gone"));
    let catalog = catalog(image);
    assert!(catalog.problems.is_empty(), "{:?}", catalog.problems);
    assert_eq!(
        summary(&catalog),
        [
            "Debian base-files@12.4+deb12u11 var/lib/dpkg/status",
            "Debian bash@5.2.15-2+b8 var/lib/dpkg/status",
            "Debian libc6@2.36-9+deb12u14 var/lib/dpkg/status",
            "Debian tar@1.34+dfsg-1.2+deb12u1 var/lib/dpkg/status",
            "Go example.com/mine@v1.0.0 usr/local/bin/mine",
            "Go stdlib@1.22.3 usr/local/bin/mine",
            "PyPI six@1.16.0 app/venv/lib/six-1.16.0.dist-info/METADATA",
        ]
    );
    let packages = &catalog.inventory.packages;
    // The copyright file says `GPL-3+`; the inventory carries the SPDX expression.
    assert_eq!(packages[1].licenses, ["GPL-3.0-or-later"]);
    assert!(packages[3].licenses.is_empty());
    assert!(packages[4].layer.as_deref().unwrap().starts_with("sha256:"));
}

#[test]
fn rpm_and_apk_owned_files_are_not_language_packages() {
    let ubi = "ID=\"rhel\"\nVERSION_ID=\"9.4\"\n";
    let image = ImageSpec::new().layer(
        LayerSpec::new()
            .file("etc/os-release", ubi)
            .file("var/lib/rpm/rpmdb.sqlite", fixture("rpm/rpmdb.sqlite"))
            // hello-tiny's file list has this path.
            .file(
                "usr/lib/python3.9/site-packages/six-1.16.0.dist-info/METADATA",
                METADATA,
            )
            .file("usr/bin/hello-tiny", go_binary("example.com/owned")),
    );
    let rpm = catalog(image);
    assert!(rpm.problems.is_empty(), "{:?}", rpm.problems);
    assert_eq!(
        summary(&rpm),
        [
            "Red Hat foo-devel@0.9-1.fc40 var/lib/rpm/rpmdb.sqlite",
            "Red Hat hello-tiny@2:1.2.3-4.el9 var/lib/rpm/rpmdb.sqlite",
        ]
    );
    assert_eq!(
        rpm.inventory.distro.as_ref().unwrap().ecosystem,
        "Red Hat:enterprise_linux:9"
    );

    let apk = "P:py3-six\nV:1.16.0-r0\nF:usr/lib/python3.12/site-packages/six-1.16.0.dist-info\nR:METADATA\n\n";
    let image = ImageSpec::new().layer(
        LayerSpec::new()
            .file("etc/os-release", "ID=alpine\nVERSION_ID=3.20.3\n")
            .file("lib/apk/db/installed", apk)
            .file(
                "usr/lib/python3.12/site-packages/six-1.16.0.dist-info/METADATA",
                METADATA,
            ),
    );
    assert_eq!(
        summary(&catalog(image)),
        ["Alpine py3-six@1.16.0-r0 lib/apk/db/installed"]
    );
}

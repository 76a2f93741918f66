//! Cataloguing whole images: one walk, the final state of every database, the distro.
#![allow(clippy::unwrap_used)]

use assay_analyze::{Catalog, catalog_image};
use assay_oci::testing::{ImageSpec, LayerSpec, LayoutBuilder};
use assay_oci::{Image, Limits, OciLayout, WalkOptions};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/catalog/");

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}{name}")).unwrap()
}

const BOOKWORM: &str = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\n\
VERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nVERSION_CODENAME=bookworm\nID=debian\n";

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

#[test]
fn catalogs_every_ecosystem_of_a_debian_image() {
    let image = ImageSpec::new()
        .layer(
            LayerSpec::new()
                .file("usr/lib/os-release", BOOKWORM)
                .symlink("etc/os-release", "../usr/lib/os-release")
                .file("var/lib/dpkg/status", fixture("dpkg/status")),
        )
        .layer(
            LayerSpec::new()
                .file(
                    "usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA",
                    fixture("python/six-1.16.0.dist-info/METADATA"),
                )
                .file("app/package-lock.json", fixture("node/package-lock.json"))
                .file(
                    "app/node_modules/debug/package.json",
                    fixture("node/node_modules_debug_package.json"),
                )
                .file("src/Cargo.lock", fixture("rust/Cargo.lock")),
        );
    let catalog = catalog(image);
    assert!(catalog.problems.is_empty(), "{:?}", catalog.problems);
    let distro = catalog.inventory.distro.as_ref().unwrap();
    assert_eq!(distro.ecosystem, "Debian:12");
    assert_eq!(
        summary(&catalog),
        [
            "Debian base-files@12.4+deb12u11 var/lib/dpkg/status",
            "Debian bash@5.2.15-2+b8 var/lib/dpkg/status",
            "Debian libc6@2.36-9+deb12u14 var/lib/dpkg/status",
            "Debian tar@1.34+dfsg-1.2+deb12u1 var/lib/dpkg/status",
            "PyPI six@1.16.0 usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA",
            "crates.io serde@1.0.219 src/Cargo.lock",
            "crates.io smallvec@1.13.2 src/Cargo.lock",
            "npm @types/ms@0.7.34 app/package-lock.json",
            "npm debug@4.3.4 app/node_modules/debug/package.json",
            "npm debug@4.3.4 app/package-lock.json",
            "npm ms@2.1.2 app/package-lock.json",
            "npm ms@2.1.3 app/package-lock.json",
        ]
    );
    let libc = &catalog.inventory.packages[2];
    assert_eq!(
        libc.purl.as_deref(),
        Some("pkg:deb/debian/libc6@2.36-9+deb12u14?arch=amd64&distro=debian-12")
    );
    assert_eq!(libc.source_name.as_deref(), Some("glibc"));
    assert!(libc.layer.as_deref().unwrap().starts_with("sha256:"));
    // The JSON form is stable: serialising twice gives the same bytes.
    let json = serde_json::to_string(&catalog.inventory).unwrap();
    assert!(json.contains("\"ecosystem\":\"Debian:12\""));
}

#[test]
fn skips_whiteouted_package_db() {
    let image = ImageSpec::new()
        .layer(
            LayerSpec::new()
                .file("etc/os-release", BOOKWORM)
                .file("var/lib/dpkg/status", fixture("dpkg/status"))
                .file(
                    "usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA",
                    fixture("python/six-1.16.0.dist-info/METADATA"),
                ),
        )
        .layer(
            LayerSpec::new()
                .whiteout("var/lib/dpkg/status")
                .whiteout("usr/lib/python3/dist-packages/six-1.16.0.dist-info"),
        );
    let catalog = catalog(image);
    assert!(
        catalog.inventory.packages.is_empty(),
        "{:?}",
        summary(&catalog)
    );
    assert_eq!(catalog.inventory.distro.unwrap().ecosystem, "Debian:12");
}

#[test]
fn a_later_layer_upgrade_wins() {
    let status = String::from_utf8(fixture("dpkg/status")).unwrap();
    let upgraded = status.replace("Version: 2.36-9+deb12u14", "Version: 2.36-9+deb12u15");
    let installed = fixture("apk/installed");
    let alpine = "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.20.3\n";
    let image = ImageSpec::new()
        .layer(
            LayerSpec::new()
                .file("etc/os-release", alpine)
                .file("lib/apk/db/installed", &installed),
        )
        .layer(LayerSpec::new().file("var/lib/dpkg/status", status))
        .layer(LayerSpec::new().file("var/lib/dpkg/status", upgraded));
    let catalog = catalog(image);
    let got = summary(&catalog);
    assert!(got.contains(&"Alpine libcrypto3@3.3.2-r0 lib/apk/db/installed".to_string()));
    let libc: Vec<&String> = got.iter().filter(|p| p.contains(" libc6@")).collect();
    assert_eq!(libc, ["Debian libc6@2.36-9+deb12u15 var/lib/dpkg/status"]);
    assert_eq!(catalog.inventory.distro.unwrap().ecosystem, "Alpine:v3.20");
}

#[test]
fn reads_distroless_status_d_and_reports_broken_files() {
    let image = ImageSpec::new().layer(
        LayerSpec::new()
            .file(
                "var/lib/dpkg/status.d/tzdata",
                "Package: tzdata\nVersion: 2024a-0+deb12u1\nArchitecture: all\n",
            )
            .file(
                "var/lib/dpkg/status.d/tzdata.md5sums",
                "abc  usr/share/zoneinfo/UTC\n",
            )
            .file("app/package-lock.json", "{not json"),
    );
    let catalog = catalog(image);
    assert_eq!(
        summary(&catalog),
        ["Debian tzdata@2024a-0+deb12u1 var/lib/dpkg/status.d/tzdata"]
    );
    assert_eq!(catalog.problems.len(), 1);
    assert!(
        catalog.problems[0]
            .to_string()
            .starts_with("app/package-lock.json: ")
    );
}

#[test]
fn an_os_release_link_that_loops_or_leads_nowhere_is_reported() {
    let cases = [
        (
            LayerSpec::new()
                .symlink("etc/os-release", "../usr/lib/os-release")
                .symlink("usr/lib/os-release", "../../etc/os-release"),
            "a link that loops",
        ),
        (
            LayerSpec::new().symlink("etc/os-release", "/nowhere/os-release"),
            "a link to nothing",
        ),
        (
            LayerSpec::new()
                .file("opt/vendor/os-release", BOOKWORM)
                .symlink("etc/os-release", "/opt/vendor/os-release"),
            "a link to opt/vendor/os-release, which is not read",
        ),
    ];
    for (layer, why) in cases {
        let catalog = catalog(ImageSpec::new().layer(layer));
        assert!(catalog.inventory.distro.is_none());
        let problems: Vec<String> = catalog.problems.iter().map(ToString::to_string).collect();
        assert!(
            problems
                .iter()
                .any(|p| p.starts_with("etc/os-release: ") && p.contains(why)),
            "{why}: {problems:?}"
        );
    }
}

#[test]
fn an_os_release_link_to_the_usual_place_is_no_problem() {
    let image = ImageSpec::new().layer(
        LayerSpec::new()
            .file("usr/lib/os-release", BOOKWORM)
            .symlink("etc/os-release", "../usr/lib/os-release"),
    );
    let catalog = catalog(image);
    assert!(catalog.problems.is_empty(), "{:?}", catalog.problems);
    assert_eq!(catalog.inventory.distro.unwrap().ecosystem, "Debian:12");
}

//! cargo-auditable: the `.dep-v0` section of a Rust binary (zlib-compressed JSON in the
//! format `cargo auditable` 0.6 writes), in a synthetic ELF.
#![allow(clippy::unwrap_used)]

mod catalogers;

use std::io::Write;

use assay_analyze::lang::rust::CargoAuditable;
use catalogers::{catalog, elf, purls};

const AUDIT: &str = r#"{"packages":[
{"name":"hello","version":"0.1.0","source":"local","dependencies":[1,2],"root":true},
{"name":"serde","version":"1.0.219","source":"crates.io","dependencies":[]},
{"name":"cc","version":"1.0.90","source":"crates.io","kind":"build"},
{"name":"smallvec","version":"1.13.2","source":"crates.io","kind":"runtime"},
{"name":"mylib","version":"0.2.0","source":"local"}
]}"#;

fn zlib(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

#[test]
fn reports_runtime_crates_io_dependencies() {
    let binary = elf(
        &[(".text", b"\x90"), (".dep-v0", &zlib(AUDIT.as_bytes()))],
        0x40_0000,
        false,
    );
    let packages = catalog(&CargoAuditable, "usr/local/bin/hello", &binary);
    assert_eq!(
        purls(&packages),
        [
            "serde@1.0.219 pkg:cargo/serde@1.0.219",
            "smallvec@1.13.2 pkg:cargo/smallvec@1.13.2"
        ]
    );
    assert!(packages.iter().all(|p| p.ecosystem == "crates.io"));
}

#[test]
fn reads_the_section_a_real_cargo_auditable_build_wrote() {
    let section = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/catalog/rust/dep-v0.bin"
    ))
    .unwrap();
    let binary = elf(
        &[(".text", b"\x90"), (".dep-v0", &section)],
        0x40_0000,
        false,
    );
    let packages = catalog(&CargoAuditable, "usr/local/bin/audtest", &binary);
    assert_eq!(purls(&packages), ["itoa@1.0.19 pkg:cargo/itoa@1.0.19"]);
}

#[test]
fn ignores_other_binaries_and_reports_a_corrupt_section() {
    let plain = elf(&[(".text", b"\x90")], 0x40_0000, false);
    assert!(catalog(&CargoAuditable, "usr/bin/x", &plain).is_empty());
    let corrupt = elf(&[(".dep-v0", b"not zlib")], 0x40_0000, false);
    let error = catalogers::error(&CargoAuditable, "usr/bin/x", &corrupt);
    assert!(error.contains(".dep-v0"), "{error}");
    let not_json = elf(&[(".dep-v0", &zlib(b"{}"))], 0x40_0000, false);
    catalogers::error(&CargoAuditable, "usr/bin/x", &not_json);
}

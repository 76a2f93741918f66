//! Go: module build info from binaries (Go 1.18+ inline, older pointer form, stripped
//! section headers) and go.mod.
#![allow(clippy::unwrap_used)]

mod catalogers;

use assay_analyze::lang::go::{GoBinary, GoMod};
use catalogers::{catalog, elf, purls};

const SENTINEL_START: &[u8] = b"0w\xaf\x0c\x92t\x08\x02A\xe1\xc1\x07\xe6\xd6\x18\xe6";
const SENTINEL_END: &[u8] = b"\xf92C1\x86\x18 r\x00\x82B\x10A\x16\xd8\xf2";

const MODINFO: &str = "path\texample.com/app/cmd/server\n\
mod\texample.com/app\tv1.4.0\th1:abc=\n\
dep\tgithub.com/gorilla/mux\tv1.8.0\th1:def=\n\
dep\tgolang.org/x/net\tv0.17.0\n\
=>\tgolang.org/x/net\tv0.23.0\th1:ghi=\n\
dep\texample.com/local\tv0.0.0\n\
=>\t../local\t\n\
build\t-compiler=gc\n";

fn uvarint(mut n: usize, out: &mut Vec<u8>) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// `.go.buildinfo` as Go 1.18+ writes it: header with flag 2, then inline strings.
fn inline_buildinfo(version: &str, modinfo: &str) -> Vec<u8> {
    let mut info = b"\xff Go buildinf:".to_vec();
    info.extend([8, 2]);
    info.resize(32, 0);
    uvarint(version.len(), &mut info);
    info.extend(version.as_bytes());
    let framed = [SENTINEL_START, modinfo.as_bytes(), SENTINEL_END].concat();
    uvarint(framed.len(), &mut info);
    info.extend(framed);
    info
}

fn expected() -> Vec<&'static str> {
    vec![
        "example.com/app@v1.4.0 pkg:golang/example.com/app@v1.4.0",
        "github.com/gorilla/mux@v1.8.0 pkg:golang/github.com/gorilla/mux@v1.8.0",
        "golang.org/x/net@v0.23.0 pkg:golang/golang.org/x/net@v0.23.0",
        "stdlib@1.22.3 pkg:golang/stdlib@1.22.3",
    ]
}

#[test]
fn reads_modules_replacements_and_the_toolchain_from_go_1_18_build_info() {
    let binary = elf(
        &[
            (".text", b"\x90\x90"),
            (".go.buildinfo", &inline_buildinfo("go1.22.3", MODINFO)),
        ],
        0x40_0000,
        false,
    );
    let packages = catalog(&GoBinary, "usr/local/bin/server", &binary);
    assert_eq!(purls(&packages), expected());
    assert!(packages.iter().all(|p| p.ecosystem == "Go"));
}

#[test]
fn finds_build_info_by_its_magic_without_section_headers() {
    let binary = elf(
        &[(".go.buildinfo", &inline_buildinfo("go1.22.3", MODINFO))],
        0x40_0000,
        true,
    );
    assert_eq!(purls(&catalog(&GoBinary, "app", &binary)), expected());
}

#[test]
fn follows_pointers_in_pre_1_18_build_info() {
    // Layout inside one section at file offset F: header (32) | version string header (16)
    // | modinfo string header (16) | version bytes | modinfo bytes. The loader maps the file
    // at BASE, so address = BASE + file offset.
    const BASE: u64 = 0x40_0000;
    let version = b"go1.16.15";
    let modinfo = [SENTINEL_START, MODINFO.as_bytes(), SENTINEL_END].concat();
    // The section lands at file offset 128 (ELF header 64 + one program header 56, aligned).
    let start = BASE + 128;
    let mut info = b"\xff Go buildinf:".to_vec();
    info.extend([8, 0]);
    info.extend((start + 32).to_le_bytes());
    info.extend((start + 48).to_le_bytes());
    info.extend((start + 64).to_le_bytes());
    info.extend((version.len() as u64).to_le_bytes());
    info.extend((start + 64 + version.len() as u64).to_le_bytes());
    info.extend((modinfo.len() as u64).to_le_bytes());
    info.extend(version);
    info.extend(&modinfo);
    let binary = elf(&[(".go.buildinfo", &info)], BASE, false);
    let got = purls(&catalog(&GoBinary, "usr/bin/server", &binary));
    assert_eq!(got[3], "stdlib@1.16.15 pkg:golang/stdlib@1.16.15");
    assert_eq!(got[..3], expected()[..3]);
}

#[test]
fn ignores_files_that_are_not_go_binaries() {
    assert!(catalog(&GoBinary, "usr/bin/tool", b"#!/bin/sh\necho hi\n").is_empty());
    let c_binary = elf(&[(".text", b"\x90")], 0x40_0000, false);
    assert!(catalog(&GoBinary, "usr/bin/tool", &c_binary).is_empty());
    let broken = b"\x7fELF\x02\x01\x01".to_vec();
    assert!(catalog(&GoBinary, "usr/bin/tool", &broken).is_empty());
}

/// Cross-check against a real Go binary when the machine has Debian's docker-registry
/// (built in GOPATH mode, so only the toolchain version and the main package path).
#[test]
fn reads_a_real_debian_go_binary_when_present() {
    let Ok(binary) = std::fs::read("/usr/bin/docker-registry") else {
        return;
    };
    let got = purls(&catalog(&GoBinary, "usr/bin/docker-registry", &binary));
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(got[0].starts_with("stdlib@1."), "{got:?}");
}

#[test]
fn reads_go_mod_requires_with_replacements() {
    let go_mod = b"module example.com/app\n\ngo 1.22\n\nrequire github.com/gorilla/mux v1.8.0\n\n\
require (\n\tgolang.org/x/net v0.17.0 // indirect\n\texample.com/local v0.0.0\n)\n\n\
replace golang.org/x/net => golang.org/x/net v0.23.0\nreplace example.com/local => ../local\n";
    let got = purls(&catalog(&GoMod, "src/go.mod", go_mod));
    assert_eq!(got, expected()[1..3]);
    let error = catalogers::error(&GoMod, "go.mod", b"module x\nrequire github.com/a\n");
    assert!(error.starts_with("go.mod:2: "), "{error}");
}

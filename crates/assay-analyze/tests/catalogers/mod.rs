//! Helpers shared by the cataloger tests (ELF writer, one-file runs, error checks).
#![allow(dead_code, clippy::unwrap_used)]

use assay_analyze::{Cataloger, File, Package};

/// A minimal 64-bit little-endian ELF file: the named sections, a section-name table, and
/// one PT_LOAD segment mapping the whole file at `vaddr_base` (enough for readers that
/// follow virtual addresses). With `strip_sections`, the section header table is left out,
/// as `strip --strip-section-headers` would.
pub fn elf(sections: &[(&str, &[u8])], vaddr_base: u64, strip_sections: bool) -> Vec<u8> {
    let mut out = vec![0u8; 64 + 56];
    out[..4].copy_from_slice(b"\x7fELF");
    out[4] = 2;
    out[5] = 1;
    out[6] = 1;
    let mut names = vec![0u8];
    let mut placed = Vec::new();
    for (name, content) in sections {
        while !out.len().is_multiple_of(16) {
            out.push(0);
        }
        let name_at = names.len() as u32;
        names.extend(name.as_bytes());
        names.push(0);
        placed.push((name_at, out.len() as u64, content.len() as u64));
        out.extend(*content);
    }
    let names_name = names.len() as u32;
    names.extend(b".shstrtab\0");
    let names_at = out.len() as u64;
    out.extend(&names);
    placed.push((names_name, names_at, names.len() as u64));
    while !out.len().is_multiple_of(8) {
        out.push(0);
    }
    let shoff = out.len() as u64;
    if !strip_sections {
        out.extend([0u8; 64]);
        for (name, offset, size) in &placed {
            let mut sh = [0u8; 64];
            sh[0..4].copy_from_slice(&name.to_le_bytes());
            sh[4..8].copy_from_slice(&1u32.to_le_bytes());
            sh[24..32].copy_from_slice(&offset.to_le_bytes());
            sh[32..40].copy_from_slice(&size.to_le_bytes());
            out.extend(sh);
        }
        out[0x28..0x30].copy_from_slice(&shoff.to_le_bytes());
        out[0x3a..0x3c].copy_from_slice(&64u16.to_le_bytes());
        out[0x3c..0x3e].copy_from_slice(&(placed.len() as u16 + 1).to_le_bytes());
        out[0x3e..0x40].copy_from_slice(&(placed.len() as u16).to_le_bytes());
    }
    let len = out.len() as u64;
    out[0x20..0x28].copy_from_slice(&64u64.to_le_bytes());
    out[0x36..0x38].copy_from_slice(&56u16.to_le_bytes());
    out[0x38..0x3a].copy_from_slice(&1u16.to_le_bytes());
    out[64..68].copy_from_slice(&1u32.to_le_bytes());
    out[64 + 16..64 + 24].copy_from_slice(&vaddr_base.to_le_bytes());
    out[64 + 32..64 + 40].copy_from_slice(&len.to_le_bytes());
    out
}

/// Runs `cataloger` on one file (no distro), checking it wants the path.
pub fn catalog(cataloger: &dyn Cataloger, path: &str, content: &[u8]) -> Vec<Package> {
    assert!(
        cataloger.wants(path),
        "{} should want {path}",
        cataloger.name()
    );
    let file = File {
        path,
        content,
        layer: Some("sha256:layer"),
        distro: None,
    };
    let packages = cataloger.catalog(&file).unwrap();
    for p in &packages {
        assert_eq!(p.path, path);
        assert_eq!(p.layer.as_deref(), Some("sha256:layer"));
    }
    packages
}

/// `name@version purl` per package, sorted.
pub fn purls(packages: &[Package]) -> Vec<String> {
    let mut out: Vec<String> = packages
        .iter()
        .map(|p| {
            format!(
                "{}@{} {}",
                p.name,
                p.version,
                p.purl.as_deref().unwrap_or("-")
            )
        })
        .collect();
    out.sort();
    out
}

/// The error of cataloguing a broken file.
pub fn error(cataloger: &dyn Cataloger, path: &str, content: &[u8]) -> String {
    let file = File {
        path,
        content,
        layer: None,
        distro: None,
    };
    let error = cataloger.catalog(&file).unwrap_err().to_string();
    assert!(error.starts_with(path), "{error}");
    assert!(!error.contains('\n'), "{error}");
    error
}

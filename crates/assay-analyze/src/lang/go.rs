//! Go: the build information the linker embeds in every binary since Go 1.13 ([`GoBinary`];
//! module list since 1.18 in module mode) and `go.mod` files ([`GoMod`]).
//!
//! Build info lives in the `.go.buildinfo` section (found by its 16-byte-aligned magic when
//! section headers were stripped): a 32-byte header, then either the Go version and module
//! info inline as length-prefixed strings (Go 1.18+), or pointers to the two runtime strings
//! (older releases). The module info is `path`, `mod`, `dep` and `=>` (replacement) lines,
//! as `go version -m` prints them. The Go toolchain itself is reported as the `stdlib`
//! module, which is how OSV publishes standard-library advisories.

use assay_core::{Package, purl};

use super::elf::Elf;
use crate::error::{CatalogError, text};
use crate::{Cataloger, File, file_name};

/// Go binaries.
#[derive(Debug, Clone, Copy)]
pub struct GoBinary;

/// `go.mod` files.
#[derive(Debug, Clone, Copy)]
pub struct GoMod;

const MAGIC: &[u8; 14] = b"\xff Go buildinf:";

/// Whether `path` is where executables are installed: a `bin`, `sbin` or `libexec` directory
/// anywhere (`usr/local/bin`, `go/bin`), or the image root (`/app`, `/manager`), or `opt/`
/// and `app/` trees. Names with a dot are scripts and libraries (`.sh`, `.so.1`, `.py`),
/// skipped to keep the walk from reading them. Shared with the cargo-auditable cataloger.
pub(crate) fn executable_path(path: &str) -> bool {
    let name = file_name(path);
    if name.is_empty() || name.contains('.') {
        return false;
    }
    let Some((dir, _)) = path.rsplit_once('/') else {
        return true;
    };
    dir.starts_with("opt/")
        || dir == "opt"
        || dir == "app"
        || dir.starts_with("app/")
        || dir == "ko-app"
        || dir
            .split('/')
            .any(|part| matches!(part, "bin" | "sbin" | "libexec"))
}

/// The Go version and module info strings of a binary; `None` for anything else.
pub(crate) fn build_info(content: &[u8]) -> Option<(String, String)> {
    let elf = Elf::parse(content)?;
    let info = match elf.section(".go.buildinfo") {
        Some(section) => section,
        None => find_magic(elf.data())?,
    };
    if info.get(..14)? != MAGIC {
        return None;
    }
    let ptr_size = usize::from(*info.get(14)?);
    let flags = *info.get(15)?;
    if flags & 2 != 0 {
        let (version, rest) = varint_bytes(info.get(32..)?)?;
        let (modinfo, _) = varint_bytes(rest)?;
        return Some((
            String::from_utf8_lossy(version).into_owned(),
            String::from_utf8_lossy(strip_sentinels(modinfo)).into_owned(),
        ));
    }
    // Before Go 1.18: pointers to the `runtime.buildVersion` and `runtime.modinfo` string
    // headers (data pointer, length), in the byte order flag bit 0 names.
    if !matches!(ptr_size, 4 | 8) {
        return None;
    }
    let read_ptr = |at: &[u8]| -> Option<u64> {
        let bytes = at.get(..ptr_size)?;
        let mut v = 0u64;
        if elf.big_endian {
            bytes.iter().for_each(|b| v = (v << 8) | u64::from(*b));
        } else {
            bytes
                .iter()
                .rev()
                .for_each(|b| v = (v << 8) | u64::from(*b));
        }
        Some(v)
    };
    let read_string = |header_addr: u64| -> Option<String> {
        let header = elf.at_vaddr(header_addr, 2 * ptr_size as u64)?;
        let data = read_ptr(header)?;
        let len = read_ptr(header.get(ptr_size..)?)?;
        let bytes = elf.at_vaddr(data, len)?;
        Some(String::from_utf8_lossy(strip_sentinels(bytes)).into_owned())
    };
    let version = read_string(read_ptr(info.get(16..)?)?)?;
    let modinfo = read_string(read_ptr(info.get(16 + ptr_size..)?)?).unwrap_or_default();
    Some((version, modinfo))
}

/// The build info header at a 16-byte-aligned offset, as Go's own `debug/buildinfo` looks
/// for it in binaries without section headers.
fn find_magic(data: &[u8]) -> Option<&[u8]> {
    let mut at = 0;
    while at + 32 <= data.len() {
        if data[at] == 0xff && &data[at..at + 14] == MAGIC {
            return data.get(at..);
        }
        at += 16;
    }
    None
}

/// A uvarint length, then that many bytes.
fn varint_bytes(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let mut len = 0u64;
    let mut shift = 0;
    let mut used: usize = 0;
    for b in bytes.iter().take(10) {
        used += 1;
        len |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    let len = usize::try_from(len).ok()?;
    let s = bytes.get(used..used.checked_add(len)?)?;
    Some((s, &bytes[used + len..]))
}

/// The module info is framed by 16 sentinel bytes on each side.
fn strip_sentinels(modinfo: &[u8]) -> &[u8] {
    if modinfo.len() >= 33 && modinfo[modinfo.len() - 17] == b'\n' {
        &modinfo[16..modinfo.len() - 16]
    } else {
        modinfo
    }
}

fn package(name: &str, version: &str, file: &File<'_>) -> Package {
    let (namespace, short) = name
        .rsplit_once('/')
        .map_or((None, name), |(n, s)| (Some(n), s));
    Package {
        name: name.to_string(),
        version: version.to_string(),
        ecosystem: "Go".into(),
        purl: purl("golang", namespace, short, version, &[]),
        source_name: None,
        source_version: None,
        licenses: Vec::new(),
        layer: file.layer.map(str::to_string),
        path: file.path.to_string(),
    }
}

/// Packages of a module info text: the main module (unless a `(devel)` build), each
/// dependency with its replacement applied, and the standard library.
fn modules(go_version: &str, modinfo: &str, file: &File<'_>) -> Vec<Package> {
    let mut out: Vec<Package> = Vec::new();
    for line in modinfo.lines() {
        let mut fields = line.split('\t');
        match (fields.next(), fields.next(), fields.next()) {
            (Some("mod" | "dep"), Some(path), Some(version)) if version != "(devel)" => {
                out.push(package(path, version, file));
            }
            (Some("=>"), Some(path), version) => {
                // A replacement of the previous line's module; a local directory (no
                // version) is not a module anyone publishes advisories for.
                let replaced = out.pop();
                if let (Some(_), Some(version)) = (replaced, version.filter(|v| !v.is_empty())) {
                    out.push(package(path, version, file));
                }
            }
            _ => {}
        }
    }
    // `go1.22.3`; toolchains with experiments append ` X:...`.
    if let Some(version) = go_version
        .split_whitespace()
        .next()
        .and_then(|v| v.strip_prefix("go"))
        .filter(|v| v.starts_with(|c: char| c.is_ascii_digit()))
    {
        out.push(package("stdlib", version, file));
    }
    out
}

impl Cataloger for GoBinary {
    fn name(&self) -> &'static str {
        "go-binary"
    }

    fn wants(&self, path: &str) -> bool {
        executable_path(path)
    }

    fn catalog(&self, file: &File<'_>) -> Result<Vec<Package>, CatalogError> {
        Ok(match build_info(file.content) {
            Some((version, modinfo)) => modules(&version, &modinfo, file),
            None => Vec::new(),
        })
    }
}

impl Cataloger for GoMod {
    fn name(&self) -> &'static str {
        "go-mod"
    }

    fn wants(&self, path: &str) -> bool {
        file_name(path) == "go.mod" && !path.contains("/vendor/") && !path.starts_with("vendor/")
    }

    /// `require` directives (single and block form) with `replace` applied; `// indirect`
    /// requirements are dependencies too. The module itself is not a dependency.
    fn catalog(&self, file: &File<'_>) -> Result<Vec<Package>, CatalogError> {
        let text = text(file.path, file.content)?;
        let mut requires: Vec<(String, String)> = Vec::new();
        let mut replaces: Vec<(String, Option<String>, String, Option<String>)> = Vec::new();
        let mut block: Option<&str> = None;
        for (i, raw) in text.lines().enumerate() {
            let line = raw.split("//").next().unwrap_or_default().trim();
            if line.is_empty() {
                continue;
            }
            let (directive, rest) = match block {
                Some(_) if line == ")" => {
                    block = None;
                    continue;
                }
                Some(b) => (b, line),
                None => match line.split_once(char::is_whitespace) {
                    Some((d, rest)) if rest.trim() == "(" => {
                        block = Some(d);
                        continue;
                    }
                    Some((d, rest)) => (d, rest.trim()),
                    None => continue,
                },
            };
            let words: Vec<&str> = rest
                .split_whitespace()
                .map(|w| w.trim_matches('"'))
                .collect();
            let bad = || CatalogError::Syntax {
                path: file.path.to_string(),
                line: i + 1,
                why: format!("malformed {directive} directive"),
            };
            match directive {
                "require" => match words.as_slice() {
                    [path, version] => requires.push((path.to_string(), version.to_string())),
                    _ => return Err(bad()),
                },
                "replace" => {
                    let arrow = words.iter().position(|w| *w == "=>").ok_or_else(bad)?;
                    let (old, new) = words.split_at(arrow);
                    let new = &new[1..];
                    let (Some(old_path), Some(new_path)) = (old.first(), new.first()) else {
                        return Err(bad());
                    };
                    replaces.push((
                        old_path.to_string(),
                        old.get(1).map(|v| v.to_string()),
                        new_path.to_string(),
                        new.get(1).map(|v| v.to_string()),
                    ));
                }
                _ => {}
            }
        }
        let mut out = Vec::new();
        for (path, version) in requires {
            let replacement = replaces
                .iter()
                .find(|(old, v, _, _)| *old == path && v.as_ref().is_none_or(|v| *v == version));
            match replacement {
                // Replaced by a local directory: not a published module.
                Some((_, _, _, None)) => {}
                Some((_, _, new, Some(v))) => out.push(package(new, v, file)),
                None => out.push(package(&path, &version, file)),
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn wants_executables_in_the_usual_places() {
        for path in [
            "usr/bin/kubectl",
            "usr/local/bin/app",
            "app",
            "ko-app/server",
            "opt/tool/run",
            "go/bin/gopls",
        ] {
            assert!(GoBinary.wants(path), "{path}");
        }
        for path in [
            "usr/bin/script.sh",
            "usr/lib/x86_64-linux-gnu/libc.so.6",
            "etc/passwd",
            "usr/share/doc/x",
        ] {
            assert!(!GoBinary.wants(path), "{path}");
        }
    }

    #[test]
    fn strips_module_info_sentinels() {
        let framed = format!("{}path\tx\n{}", "0123456789abcdef", "fedcba9876543210");
        assert_eq!(strip_sentinels(framed.as_bytes()), b"path\tx\n");
    }
}

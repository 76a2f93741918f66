//! Stable identifiers: unique package ids, name-based UUIDs and id sanitising. Everything is
//! derived from the input so that the same scan always yields the same document.

use std::collections::{BTreeMap, BTreeSet};

use assay_core::Package;
use sha2::{Digest, Sha256};

/// SHA-256 over `parts`, each length-prefixed so that ("ab", "c") and ("a", "bc") differ.
pub(super) fn sha256_hex(parts: &[&[u8]]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part);
    }
    hex::encode(hasher.finalize())
}

/// A UUID from the first 16 bytes of a SHA-256 hex digest of `seed` and `hash`.
///
/// The version nibble says 5 (name-based) and the variant is RFC 4122, because CycloneDX's
/// `serialNumber` pattern only accepts versions 1 to 5; strictly, version 5 names SHA-1, but
/// what matters to consumers is a well-formed UUID that is stable for the same input.
pub(super) fn name_uuid(seed: &str, hash: &str) -> String {
    let digest = sha256_hex(&[seed.as_bytes(), hash.as_bytes()]);
    let mut bytes = [0u8; 16];
    for (i, byte) in bytes.iter_mut().enumerate() {
        *byte = digest
            .get(i * 2..i * 2 + 2)
            .and_then(|h| u8::from_str_radix(h, 16).ok())
            .unwrap_or(0);
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x50;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let h = hex::encode(bytes);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// A unique id per package: its purl when no other package has the same one, otherwise the
/// purl (or `assay:pkg:<ecosystem>/<name>@<version>`) with the recording file appended, and a
/// counter as the last resort (same file, different layers). `packages` must be sorted, so
/// the counters are stable.
pub(super) fn unique_ids(packages: &[Package]) -> Vec<String> {
    let base: Vec<String> = packages
        .iter()
        .map(|p| {
            p.purl
                .clone()
                .unwrap_or_else(|| format!("assay:pkg:{}/{}@{}", p.ecosystem, p.name, p.version))
        })
        .collect();
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for id in &base {
        *counts.entry(id.as_str()).or_default() += 1;
    }
    let mut seen = BTreeSet::new();
    let mut ids = Vec::with_capacity(packages.len());
    for (package, id) in packages.iter().zip(&base) {
        let mut candidate = if counts.get(id.as_str()).copied().unwrap_or(0) > 1 {
            format!("{id}#{}", package.path)
        } else {
            id.clone()
        };
        let stem = candidate.clone();
        let mut n = 1;
        while !seen.insert(candidate.clone()) {
            n += 1;
            candidate = format!("{stem}#{n}");
        }
        ids.push(candidate);
    }
    ids
}

/// Keeps letters, digits, `.` and `-` and turns every other character into `-`: what SPDX
/// allows after `SPDXRef-`, and safe in a URI path.
pub(super) fn sanitise(value: &str) -> String {
    value
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn name_uuid_is_stable_and_well_formed() {
        let a = name_uuid("x", "y");
        assert_eq!(a, name_uuid("x", "y"));
        assert_ne!(a, name_uuid("x", "z"));
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "5");
        assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"));
    }

    #[test]
    fn sanitise_keeps_spdx_id_characters() {
        assert_eq!(
            sanitise("pkg:npm/@babel/core@7.0"),
            "pkg-npm--babel-core-7.0"
        );
    }
}

//! Java archives: `.jar`, `.war`, `.ear` (and Jenkins `.hpi`/`.jpi` plugins), read with the
//! `zip` crate. Every `META-INF/maven/GROUP/ARTIFACT/pom.properties` is a Maven package (a
//! shaded jar carries several); an archive without one is named from `META-INF/MANIFEST.MF`
//! (`Implementation-*`, `Bundle-*`) or, failing that, its file name. Archives nested inside
//! (`WEB-INF/lib/`, `BOOT-INF/lib/`, an ear's modules) are opened in memory, down to a
//! fixed depth and within a size budget, so a zip bomb cannot exhaust memory.

use std::io::Read;

use assay_core::{Package, purl};

use crate::error::CatalogError;
use crate::{Cataloger, File, file_name};

/// The Java archive cataloger.
#[derive(Debug, Clone, Copy)]
pub struct JavaArchive;

/// Archive extensions read.
const EXTENSIONS: &[&str] = &[".jar", ".war", ".ear", ".hpi", ".jpi"];
/// Nesting depth (an ear holding a war holding jars is 2).
const MAX_DEPTH: usize = 3;
/// Largest nested archive or metadata entry read into memory.
const MAX_ENTRY: u64 = 64 << 20;
/// Total bytes of nested archives read for one outer archive.
const BUDGET: u64 = 256 << 20;

fn is_archive(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    EXTENSIONS.iter().any(|e| lower.ends_with(e))
}

impl Cataloger for JavaArchive {
    fn name(&self) -> &'static str {
        "java-archive"
    }

    fn wants(&self, path: &str) -> bool {
        is_archive(file_name(path))
    }

    fn catalog(&self, file: &File<'_>) -> Result<Vec<Package>, CatalogError> {
        let mut out = Vec::new();
        let mut budget = BUDGET;
        archive(
            file.content,
            file_name(file.path),
            0,
            &mut budget,
            file,
            &mut out,
        )
        .map_err(|why| CatalogError::Format {
            path: file.path.to_string(),
            why,
        })?;
        Ok(out)
    }
}

/// One archive's packages, then its nested archives'.
fn archive(
    content: &[u8],
    name: &str,
    depth: usize,
    budget: &mut u64,
    file: &File<'_>,
    out: &mut Vec<Package>,
) -> Result<(), String> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(content))
        .map_err(|e| format!("{name}: not a readable zip archive: {e}"))?;
    let mut manifest = None;
    let mut poms = Vec::new();
    let mut pom_licenses: Vec<(String, Vec<String>)> = Vec::new();
    let mut nested: Vec<(String, Vec<u8>)> = Vec::new();
    for i in 0..zip.len() {
        let mut entry = zip
            .by_index(i)
            .map_err(|e| format!("{name}: entry {i}: {e}"))?;
        if !entry.is_file() {
            continue;
        }
        let Ok(entry_name) = entry.name().map(|n| n.to_string()) else {
            continue;
        };
        let wanted = entry_name == "META-INF/MANIFEST.MF"
            || (entry_name.starts_with("META-INF/maven/")
                && (entry_name.ends_with("/pom.properties") || entry_name.ends_with("/pom.xml")))
            || (depth < MAX_DEPTH && is_archive(&entry_name));
        if !wanted {
            continue;
        }
        if entry.size() > MAX_ENTRY || entry.size() > *budget {
            continue;
        }
        let mut bytes = Vec::new();
        (&mut entry)
            .take(MAX_ENTRY.min(*budget))
            .read_to_end(&mut bytes)
            .map_err(|e| format!("{name}: {entry_name}: {e}"))?;
        if entry_name == "META-INF/MANIFEST.MF" {
            manifest = Some(String::from_utf8_lossy(&bytes).into_owned());
        } else if entry_name.ends_with("/pom.properties") {
            let dir = entry_name.trim_end_matches("pom.properties").to_string();
            poms.push((dir, String::from_utf8_lossy(&bytes).into_owned()));
        } else if entry_name.ends_with("/pom.xml") {
            let dir = entry_name.trim_end_matches("pom.xml").to_string();
            pom_licenses.push((dir, pom_xml_licenses(&bytes)));
        } else {
            *budget = budget.saturating_sub(bytes.len() as u64);
            nested.push((entry_name, bytes));
        }
    }
    let manifest = manifest.as_deref().map(manifest_fields).unwrap_or_default();
    let licenses: Vec<String> = manifest
        .iter()
        .find(|(k, _)| k == "Bundle-License")
        .map(|(_, v)| vec![v.clone()])
        .unwrap_or_default();
    let mut found = false;
    for (dir, pom) in &poms {
        let get = |key: &str| {
            pom.lines()
                .filter_map(|l| l.split_once('='))
                .find(|(k, _)| k.trim() == key)
                .map(|(_, v)| v.trim().to_string())
        };
        if let (Some(group), Some(artifact), Some(version)) =
            (get("groupId"), get("artifactId"), get("version"))
        {
            // The pom.xml next to pom.properties declares licenses (unless its parent does).
            let declared = pom_licenses
                .iter()
                .find(|(d, l)| d == dir && !l.is_empty())
                .map_or_else(|| licenses.clone(), |(_, l)| l.clone());
            out.push(package(Some(&group), &artifact, &version, declared, file));
            found = true;
        }
    }
    if !found {
        let field = |keys: &[&str]| {
            keys.iter().find_map(|key| {
                manifest
                    .iter()
                    .find(|(k, v)| k == key && !v.is_empty())
                    .map(|(_, v)| v.clone())
            })
        };
        let (stem_name, stem_version) = split_file_name(file_name(name));
        let artifact = field(&["Bundle-SymbolicName", "Implementation-Title"])
            .map(|n| n.split(';').next().unwrap_or_default().trim().to_string())
            .filter(|n| !n.contains(' '))
            .or(stem_name);
        let version = field(&[
            "Implementation-Version",
            "Bundle-Version",
            "Specification-Version",
        ])
        .or(stem_version);
        let group = field(&["Implementation-Vendor-Id"]);
        if let (Some(artifact), Some(version)) = (artifact, version) {
            out.push(package(
                group.as_deref(),
                &artifact,
                &version,
                licenses,
                file,
            ));
        }
    }
    for (entry_name, bytes) in nested {
        archive(&bytes, &entry_name, depth + 1, budget, file, out)?;
    }
    Ok(())
}

/// `project/licenses/license/name` of a `pom.xml`, read with `quick-xml`; a malformed pom
/// declares nothing (the package is still reported from `pom.properties`).
fn pom_xml_licenses(xml: &[u8]) -> Vec<String> {
    use quick_xml::events::Event;
    let Ok(text) = std::str::from_utf8(xml) else {
        return Vec::new();
    };
    let mut reader = quick_xml::Reader::from_str(text);
    let mut path: Vec<Vec<u8>> = Vec::new();
    let mut out = Vec::new();
    let mut current = String::new();
    let in_name = |path: &[Vec<u8>]| {
        path.len() == 4 && path[1] == b"licenses" && path[2] == b"license" && path[3] == b"name"
    };
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => path.push(e.local_name().as_ref().as_bytes().to_vec()),
            Ok(Event::End(_)) => {
                if in_name(&path) {
                    let name = current.trim().to_string();
                    if !name.is_empty() && !out.contains(&name) {
                        out.push(name);
                    }
                }
                current.clear();
                path.pop();
            }
            Ok(Event::Text(t)) if in_name(&path) => current.push_str(&t.xml10_content()),
            Ok(Event::GeneralRef(r)) if in_name(&path) => {
                let entity = format!("&{};", r.xml10_content());
                if let Ok(c) = quick_xml::escape::unescape(&entity) {
                    current.push_str(&c);
                }
            }
            Ok(Event::Eof) | Err(_) => break,
            Ok(_) => {}
        }
    }
    out
}

/// `commons-io-2.11.0.jar` -> (`commons-io`, `2.11.0`): the version starts at the first
/// `-` followed by a digit.
fn split_file_name(name: &str) -> (Option<String>, Option<String>) {
    let stem = name.rsplit_once('.').map_or(name, |(s, _)| s);
    let split = stem
        .char_indices()
        .find(|(i, c)| *c == '-' && stem[i + 1..].starts_with(|d: char| d.is_ascii_digit()));
    match split {
        Some((i, _)) => (Some(stem[..i].to_string()), Some(stem[i + 1..].to_string())),
        None => (Some(stem.to_string()).filter(|s| !s.is_empty()), None),
    }
}

/// The main section of a manifest: `Key: value` with 72-byte lines continued by a leading
/// space.
fn manifest_fields(text: &str) -> Vec<(String, String)> {
    let mut fields: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            break;
        }
        if let Some(more) = line.strip_prefix(' ') {
            if let Some((_, value)) = fields.last_mut() {
                value.push_str(more);
            }
        } else if let Some((k, v)) = line.split_once(':') {
            fields.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    fields
}

fn package(
    group: Option<&str>,
    artifact: &str,
    version: &str,
    licenses: Vec<String>,
    file: &File<'_>,
) -> Package {
    let name = match group {
        Some(g) => format!("{g}:{artifact}"),
        None => artifact.to_string(),
    };
    Package {
        name,
        version: version.to_string(),
        ecosystem: "Maven".into(),
        purl: purl("maven", group, artifact, version, &[]),
        source_name: None,
        source_version: None,
        licenses,
        layer: file.layer.map(str::to_string),
        path: file.path.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_license_names_of_a_pom() {
        let pom = b"<?xml version=\"1.0\"?>\n<project xmlns=\"http://maven.apache.org/POM/4.0.0\">\
            <name>x</name><licenses><license><name>Apache License, Version 2.0</name>\
            <url>https://www.apache.org/licenses/LICENSE-2.0.txt</url></license>\
            <license><name>EPL &amp; GPL</name></license></licenses>\
            <developers><developer><name>Someone</name></developer></developers></project>";
        assert_eq!(
            pom_xml_licenses(pom),
            ["Apache License, Version 2.0", "EPL & GPL"]
        );
        assert!(pom_xml_licenses(b"<project><licenses>").is_empty());
    }

    #[test]
    fn splits_versions_from_file_names_and_joins_manifest_lines() {
        assert_eq!(
            split_file_name("commons-io-2.11.0.jar"),
            (Some("commons-io".into()), Some("2.11.0".into()))
        );
        assert_eq!(split_file_name("app.jar"), (Some("app".into()), None));
        let fields = manifest_fields(
            "Manifest-Version: 1.0\r\nBundle-License: https://www.apache.org/lic\r\n enses/LICENSE-2.0.txt\r\n\r\nName: x\r\n",
        );
        assert_eq!(
            fields[1].1,
            "https://www.apache.org/licenses/LICENSE-2.0.txt"
        );
        assert_eq!(fields.len(), 2);
    }
}

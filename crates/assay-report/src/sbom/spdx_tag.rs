//! SPDX 2.3 tag-value: the same document as the JSON writer ([`super::spdx::build`]), one
//! `Tag: value` per line (SPDX 2.3 annex, "tag-value format"). Values that may hold line
//! breaks or start with a tag-like word are wrapped in `<text>...</text>`, as the format
//! requires for free text; ids, versions and locators are written bare.

use std::fmt::Write;

use super::spdx::{Document, SpdxPackage};

pub(super) fn render(document: &Document<'_>) -> Vec<u8> {
    let mut out = String::new();
    let _ = writeln!(out, "SPDXVersion: {}", document.spdx_version);
    let _ = writeln!(out, "DataLicense: {}", document.data_license);
    let _ = writeln!(out, "SPDXID: {}", document.spdx_id);
    let _ = writeln!(out, "DocumentName: {}", one_line(document.name));
    let _ = writeln!(out, "DocumentNamespace: {}", document.document_namespace);
    for creator in &document.creation_info.creators {
        let _ = writeln!(out, "Creator: {creator}");
    }
    let _ = writeln!(out, "Created: {}", document.creation_info.created);
    for package in &document.packages {
        out.push('\n');
        package_lines(&mut out, package);
    }
    for license in &document.has_extracted_licensing_infos {
        out.push('\n');
        let _ = writeln!(out, "LicenseID: {}", license.license_id);
        let _ = writeln!(out, "ExtractedText: {}", text(&license.extracted_text));
        let _ = writeln!(out, "LicenseName: {}", one_line(&license.name));
    }
    if !document.relationships.is_empty() {
        out.push('\n');
    }
    for r in &document.relationships {
        let _ = writeln!(
            out,
            "Relationship: {} {} {}",
            r.spdx_element_id, r.relationship_type, r.related_spdx_element
        );
    }
    out.into_bytes()
}

fn package_lines(out: &mut String, p: &SpdxPackage) {
    let _ = writeln!(out, "PackageName: {}", one_line(&p.name));
    let _ = writeln!(out, "SPDXID: {}", p.spdx_id);
    if let Some(version) = &p.version_info {
        let _ = writeln!(out, "PackageVersion: {}", one_line(version));
    }
    let _ = writeln!(out, "PackageDownloadLocation: {}", p.download_location);
    let _ = writeln!(out, "FilesAnalyzed: {}", p.files_analyzed);
    for checksum in &p.checksums {
        let _ = writeln!(
            out,
            "PackageChecksum: {}: {}",
            checksum.algorithm, checksum.checksum_value
        );
    }
    if let Some(info) = &p.source_info {
        let _ = writeln!(out, "PackageSourceInfo: {}", text(info));
    }
    let _ = writeln!(out, "PackageLicenseConcluded: {}", p.license_concluded);
    let _ = writeln!(out, "PackageLicenseDeclared: {}", p.license_declared);
    let _ = writeln!(out, "PackageCopyrightText: {}", p.copyright_text);
    for r in &p.external_refs {
        let _ = writeln!(
            out,
            "ExternalRef: {} {} {}",
            r.reference_category, r.reference_type, r.reference_locator
        );
    }
    // Tag-value spells the purpose with hyphens (`OPERATING-SYSTEM`), the JSON schema with
    // underscores.
    let _ = writeln!(
        out,
        "PrimaryPackagePurpose: {}",
        p.primary_package_purpose.replace('_', "-")
    );
}

/// A single-line value: line breaks folded to spaces.
fn one_line(value: &str) -> String {
    value.replace(['\r', '\n'], " ")
}

/// Free text, wrapped so that a colon or a line break cannot be read as another tag.
fn text(value: &str) -> String {
    format!("<text>{}</text>", value.replace("</text>", "&lt;/text>"))
}

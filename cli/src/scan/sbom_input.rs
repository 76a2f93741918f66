//! SBOMs as scan targets: `assay scan sbom.cdx.json` reads a CycloneDX (JSON or XML) or SPDX
//! JSON document (told by content, not by name) into the inventory the image would have given, and matches
//! it against the vulnerability database like an image.

use std::io::Read;

use assay_core::{Inventory, Target};

use crate::exit::Failure;

/// How much of a file is looked at to tell an SBOM from a manifest.
const SNIFF_BYTES: u64 = 64 << 10;

/// The inventory of `target` when it is a file holding a CycloneDX or SPDX JSON SBOM;
/// `None` for anything else (the file is then scanned as a Dockerfile or manifest).
pub fn read(target: &Target, name: &str) -> Result<Option<Inventory>, Failure> {
    let Target::File(path) = target else {
        return Ok(None);
    };
    let io_error = |e: std::io::Error| Failure::input(format!("{name}: {e}"));
    let mut head = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(SNIFF_BYTES).read_to_end(&mut head))
        .map_err(io_error)?;
    let text = String::from_utf8_lossy(&head);
    let start = text.trim_start_matches('\u{feff}').trim_start();
    let looks_like = (start.starts_with('{')
        && (text.contains("\"bomFormat\"") || text.contains("\"spdxVersion\"")))
        || (start.starts_with('<') && text.contains("http://cyclonedx.org/schema/bom/"));
    if !looks_like {
        return Ok(None);
    }
    let bytes = std::fs::read(path).map_err(io_error)?;
    if assay_report::sbom::detect(&bytes).is_none() {
        return Ok(None);
    }
    let mut inventory =
        assay_report::sbom::read(name, &bytes).map_err(|e| Failure::input(e.to_string()))?;
    fill_ecosystems(&mut inventory);
    Ok(Some(inventory))
}

/// An SBOM names the distro but not its OSV ecosystem: derive it as `os-release` would, and
/// give the OS packages (deb, apk, rpm purls) that ecosystem, as the catalogers do.
fn fill_ecosystems(inventory: &mut Inventory) {
    let Some(distro) = inventory.distro.as_mut() else {
        return;
    };
    let mut os_release = format!("ID={}\n", distro.id);
    if let Some(v) = &distro.version_id {
        os_release.push_str(&format!("VERSION_ID={v}\n"));
    }
    if let Some(c) = &distro.codename {
        os_release.push_str(&format!("VERSION_CODENAME={c}\n"));
    }
    if let Some(parsed) = assay_analyze::parse_os_release(&os_release) {
        distro.ecosystem = parsed.ecosystem;
    }
    let base = distro
        .ecosystem
        .split(':')
        .next()
        .unwrap_or_default()
        .to_string();
    if base.is_empty() {
        return;
    }
    for package in &mut inventory.packages {
        let os = package.purl.as_deref().is_some_and(|p| {
            p.starts_with("pkg:deb/") || p.starts_with("pkg:apk/") || p.starts_with("pkg:rpm/")
        });
        if os {
            package.ecosystem = base.clone();
        }
    }
}

//! Software bills of materials: an [`Inventory`] written as CycloneDX (JSON or XML; 1.6 by
//! default, or 1.5) or SPDX 2.3 (JSON or tag-value), for the image or directory it was found
//! in; and CycloneDX (JSON or XML) or SPDX JSON read back into an [`Inventory`] ([`read`]), so that an SBOM
//! can be scanned like the image it describes.
//!
//! Each format builds one document value that both of its encodings write, so the JSON and
//! XML (or tag-value) forms of a bill never disagree. Dependencies between packages
//! ([`Inventory::dependencies`], from lock files) become CycloneDX `dependencies` entries and
//! SPDX `DEPENDS_ON` relationships; packages of the golden base image carry the property
//! `assay:base-image` (CycloneDX) or a note in `sourceInfo` (SPDX, which has no properties).
//!
//! Both formats use serde structs of our own rather than the ecosystem crates:
//! `cyclonedx-bom` 0.8 cannot write specVersion 1.6, and `spdx-rs` writes "SPDX-2.2" unless
//! overridden, always writes empty arrays, and has had no release since 2023. The documents
//! we emit are small, so owning their shape costs little and keeps the output exactly as the
//! official schemas want it.
//!
//! Output is deterministic: packages are sorted, every id is derived from the package, and
//! the only time in the document is the one the caller passes (`SOURCE_DATE_EPOCH` or now).
//! The same inventory, subject and format always give the same bytes.

mod cyclonedx;
mod cyclonedx_xml;
mod id;
mod license;
mod read;
mod read_xml;
mod spdx;
mod spdx_tag;

use std::collections::{BTreeMap, BTreeSet};

use assay_core::{Inventory, Package};

pub use read::{ReadError, SbomKind, detect, read};

/// What the bill of materials describes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SbomSubject {
    /// The image reference or directory path, as the user gave it.
    pub name: String,
    /// The image's manifest digest (`sha256:...`), when known.
    pub digest: Option<String>,
    /// Whether `name` is an image or a directory.
    pub kind: SubjectKind,
    /// Creation time, RFC 3339; the caller passes `SOURCE_DATE_EPOCH` or now so that tests
    /// and reproducible builds get stable output.
    pub created: String,
    /// assay's version, written as the creating tool.
    pub tool_version: String,
}

/// The kind of thing an SBOM subject is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubjectKind {
    /// A container image.
    Image,
    /// A directory on disk (a source tree or an unpacked root filesystem).
    Directory,
}

/// A CycloneDX specification version assay can write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CdxSpec {
    /// CycloneDX 1.6, the current version.
    #[default]
    V1_6,
    /// CycloneDX 1.5, for consumers that do not read 1.6 yet.
    V1_5,
}

impl CdxSpec {
    /// The `specVersion` string.
    pub fn as_str(self) -> &'static str {
        match self {
            CdxSpec::V1_6 => "1.6",
            CdxSpec::V1_5 => "1.5",
        }
    }
}

/// An SBOM format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SbomFormat {
    /// CycloneDX JSON.
    CycloneDxJson {
        /// Which specification version to write.
        spec: CdxSpec,
    },
    /// CycloneDX XML.
    CycloneDxXml {
        /// Which specification version to write.
        spec: CdxSpec,
    },
    /// SPDX 2.3 JSON.
    SpdxJson,
    /// SPDX 2.3 tag-value.
    SpdxTagValue,
}

impl Default for SbomFormat {
    fn default() -> Self {
        SbomFormat::CycloneDxJson {
            spec: CdxSpec::default(),
        }
    }
}

/// An SBOM could not be written.
#[derive(Debug, thiserror::Error)]
pub enum SbomError {
    /// The subject's `created` time is not an RFC 3339 timestamp.
    #[error("sbom creation time {value:?} is not an RFC 3339 timestamp: {reason}")]
    Timestamp {
        /// The value given.
        value: String,
        /// Why it did not parse.
        reason: String,
    },
    /// Serialisation failed (should not happen: every field is a string or a list).
    #[error("cannot serialise the sbom: {0}")]
    Serialize(String),
}

/// Writes `inventory`, found in `subject`, as an SBOM in `format`.
pub fn render(
    inventory: &Inventory,
    subject: &SbomSubject,
    format: SbomFormat,
) -> Result<Vec<u8>, SbomError> {
    let prepared = Prepared::new(inventory, subject)?;
    let serialise = |e: &dyn std::fmt::Display| SbomError::Serialize(e.to_string());
    let mut out = match format {
        SbomFormat::CycloneDxJson { spec } => {
            cyclonedx::render(&prepared, spec).map_err(|e| serialise(&e))?
        }
        SbomFormat::SpdxJson => spdx::render(&prepared).map_err(|e| serialise(&e))?,
        // These two end with their own newline.
        SbomFormat::CycloneDxXml { spec } => {
            return cyclonedx_xml::render(&cyclonedx::build(&prepared, spec), spec)
                .map_err(|e| serialise(&e));
        }
        SbomFormat::SpdxTagValue => return Ok(spdx_tag::render(&spdx::build(&prepared))),
    };
    out.push(b'\n');
    Ok(out)
}

/// What both formats start from: the sorted inventory, a unique id per package, the
/// normalised creation time and a hash of the whole input for document ids.
#[derive(Debug)]
struct Prepared<'a> {
    subject: &'a SbomSubject,
    inventory: Inventory,
    /// Parallel to `inventory.packages`: a unique, stable id (the purl when it is unique).
    ids: Vec<String>,
    /// `YYYY-MM-DDThh:mm:ssZ`, the one form SPDX accepts and CycloneDX allows.
    created: String,
    /// SHA-256 of the subject and the inventory, hex.
    input_hash: String,
    /// The CycloneDX bom-ref of the distro component, when there is a distro.
    distro_ref: Option<String>,
}

impl<'a> Prepared<'a> {
    fn new(inventory: &Inventory, subject: &'a SbomSubject) -> Result<Prepared<'a>, SbomError> {
        let created = normalise_time(&subject.created)?;
        // Sorting again costs little and makes the output independent of how the caller built
        // the inventory (its fields are public).
        let mut inventory = inventory.clone();
        inventory.sort();
        let ids = id::unique_ids(&inventory.packages);
        let serialised =
            serde_json::to_vec(&inventory).map_err(|e| SbomError::Serialize(e.to_string()))?;
        let kind = match subject.kind {
            SubjectKind::Image => "image",
            SubjectKind::Directory => "directory",
        };
        let input_hash = id::sha256_hex(&[
            subject.name.as_bytes(),
            subject.digest.as_deref().unwrap_or("").as_bytes(),
            kind.as_bytes(),
            created.as_bytes(),
            subject.tool_version.as_bytes(),
            &serialised,
        ]);
        Ok(Prepared {
            distro_ref: inventory.distro.as_ref().map(cyclonedx::distro_ref),
            subject,
            inventory,
            ids,
            created,
            input_hash,
        })
    }

    /// Packages with their unique ids.
    fn packages(&self) -> impl Iterator<Item = (&Package, &str)> {
        self.inventory
            .packages
            .iter()
            .zip(self.ids.iter().map(String::as_str))
    }

    /// The inventory's dependencies as unique ids: each depending package's id with the
    /// sorted ids it depends on, sorted by id. A purl found at several paths names every
    /// package with that purl; edges to a package itself are left out.
    fn dependency_ids(&self) -> Vec<(&str, Vec<&str>)> {
        let mut by_purl: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (package, id) in self.packages() {
            if let Some(purl) = &package.purl {
                by_purl.entry(purl.as_str()).or_default().push(id);
            }
        }
        let mut edges: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for dependency in &self.inventory.dependencies {
            let (Some(parents), Some(children)) = (
                by_purl.get(dependency.parent.as_str()),
                by_purl.get(dependency.child.as_str()),
            ) else {
                continue;
            };
            for parent in parents {
                for child in children.iter().filter(|c| *c != parent) {
                    edges.entry(parent).or_default().insert(child);
                }
            }
        }
        edges
            .into_iter()
            .map(|(parent, children)| (parent, children.into_iter().collect()))
            .collect()
    }
}

/// Parses an RFC 3339 time and writes it in UTC to the second, as SPDX requires.
fn normalise_time(value: &str) -> Result<String, SbomError> {
    let timestamp: jiff::Timestamp =
        value
            .parse()
            .map_err(|e: jiff::Error| SbomError::Timestamp {
                value: value.to_string(),
                reason: e.to_string(),
            })?;
    Ok(timestamp.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
}

//! Software bills of materials: an [`Inventory`] written as CycloneDX JSON (1.6 by default,
//! or 1.5) or SPDX 2.3 JSON, for the image or directory it was found in.
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
mod id;
mod license;
mod spdx;

use assay_core::{Inventory, Package};

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
    /// SPDX 2.3 JSON.
    SpdxJson,
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
    let mut out = match format {
        SbomFormat::CycloneDxJson { spec } => cyclonedx::render(&prepared, spec),
        SbomFormat::SpdxJson => spdx::render(&prepared),
    }
    .map_err(|e| SbomError::Serialize(e.to_string()))?;
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

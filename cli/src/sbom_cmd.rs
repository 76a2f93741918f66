//! `assay sbom`: an image's packages as CycloneDX or SPDX.

use assay_core::Target;
use assay_report::sbom::{self, CdxSpec, SbomFormat, SbomSubject, SubjectKind};

use crate::args::{SbomArgs, SbomFormatArg, SpecVersionArg};
use crate::exit::{self, Failure};
use crate::scan::image::{self, ImageOptions};
use crate::{clock, output, warn};

/// Writes the SBOM of the image `args.target` names.
pub fn run(args: &SbomArgs) -> anyhow::Result<u8> {
    let target = Target::parse(&args.target).map_err(|e| Failure::input(e.to_string()))?;
    if !target.is_image() {
        return Err(Failure::input(format!(
            "{}: assay sbom reads images (oci:DIR, docker-archive:FILE, dir:ROOTFS, docker://REF or host/repo:tag)",
            args.target
        ))
        .into());
    }
    let options = ImageOptions::from_flags(
        args.platform.as_deref(),
        &args.insecure_registry,
        args.offline,
    )?;
    let (resolved, catalog, warnings) = image::catalog(&target, &args.target, &options)?;
    for w in &warnings {
        warn(w);
    }
    let subject = SbomSubject {
        name: args.target.clone(),
        digest: Some(resolved.manifest_digest.to_string()),
        kind: SubjectKind::Image,
        created: clock::rfc3339(clock::now_seconds()),
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
    };
    let format = match args.format {
        SbomFormatArg::CyclonedxJson => SbomFormat::CycloneDxJson {
            spec: match args.spec_version {
                SpecVersionArg::V1_5 => CdxSpec::V1_5,
                SpecVersionArg::V1_6 => CdxSpec::V1_6,
            },
        },
        SbomFormatArg::SpdxJson => SbomFormat::SpdxJson,
    };
    let bytes = sbom::render(&catalog.inventory, &subject, format)
        .map_err(|e| Failure::input(e.to_string()))?;
    output::emit(args.output.as_deref(), &bytes)?;
    Ok(exit::OK)
}

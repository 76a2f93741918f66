//! `assay sbom`: the packages of an image, a directory or a lock file as CycloneDX (JSON or
//! XML) or SPDX (JSON or tag-value).

use std::path::{Path, PathBuf};

use assay_core::{Inventory, Target};
use assay_report::sbom::{self, CdxSpec, SbomFormat, SbomSubject, SubjectKind};

use crate::args::{SbomArgs, SbomFormatArg, SpecVersionArg};
use crate::exit::{self, Failure};
use crate::scan::base::{Goldens, exclude_base_packages};
use crate::scan::discover;
use crate::scan::image::{self, ImageOptions};
use crate::{clock, config, output, warn};

/// Writes the SBOM of what `args.target` names.
pub fn run(args: &SbomArgs) -> anyhow::Result<u8> {
    let target = Target::parse(&args.target).map_err(|e| Failure::input(e.to_string()))?;
    let (inventory, digest, kind) = match &target {
        t if t.is_image() => {
            let (inventory, digest) = image_inventory(&target, args)?;
            (inventory, Some(digest), SubjectKind::Image)
        }
        Target::Directory(dir) => (directory_inventory(dir)?, None, SubjectKind::Directory),
        Target::File(path) => (file_inventory(path)?, None, SubjectKind::Directory),
        Target::Stdin => {
            return Err(Failure::input(
                "-: assay sbom reads an image, a directory or a lock file, not standard input",
            )
            .into());
        }
        _ => unreachable_target(&args.target)?,
    };
    let subject = SbomSubject {
        name: args.target.clone(),
        digest,
        kind,
        created: clock::rfc3339(clock::now_seconds()),
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
    };
    let spec = match args.spec_version {
        SpecVersionArg::V1_5 => CdxSpec::V1_5,
        SpecVersionArg::V1_6 => CdxSpec::V1_6,
    };
    let format = match args.format {
        SbomFormatArg::CyclonedxJson => SbomFormat::CycloneDxJson { spec },
        SbomFormatArg::CyclonedxXml => SbomFormat::CycloneDxXml { spec },
        SbomFormatArg::SpdxJson => SbomFormat::SpdxJson,
        SbomFormatArg::SpdxTagValue => SbomFormat::SpdxTagValue,
    };
    let attest_key = args.attest.key_for(target.is_image(), &args.target)?;
    let predicate_type = match (attest_key, args.format) {
        (None, _) => None,
        (Some(_), SbomFormatArg::CyclonedxJson) => Some("cyclonedx"),
        (Some(_), SbomFormatArg::SpdxJson) => Some("spdxjson"),
        (Some(_), _) => {
            return Err(Failure::input(
                "--attest needs a JSON SBOM: --format cyclonedx-json or spdx-json",
            )
            .into());
        }
    };
    let bytes =
        sbom::render(&inventory, &subject, format).map_err(|e| Failure::input(e.to_string()))?;
    output::emit(args.output.as_deref(), &bytes)?;
    if let (Some(key), Some(predicate_type)) = (attest_key, predicate_type) {
        let predicate: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|e| Failure::input(format!("the SBOM is not JSON: {e}")))?;
        crate::sign_cmd::attest_predicate(
            &args.target,
            &args.insecure_registry,
            key,
            predicate_type,
            predicate,
        )?;
    }
    Ok(exit::OK)
}

/// Every target kind is handled above; this names the target if that ever changes.
fn unreachable_target<T>(raw: &str) -> Result<T, Failure> {
    Err(Failure::input(format!(
        "{raw}: assay sbom reads images (oci:DIR, docker-archive:FILE, dir:ROOTFS, docker://REF or host/repo:tag), directories and lock files"
    )))
}

/// The image's inventory (with its base image when `golden-images:` is configured) and its
/// manifest digest.
fn image_inventory(target: &Target, args: &SbomArgs) -> Result<(Inventory, String), Failure> {
    let config = config::load(args.config.as_deref()).map_err(Failure::input)?;
    let options = ImageOptions {
        progress: args.progress,
        ..ImageOptions::from_flags(
            args.platform.as_deref(),
            &args.insecure_registry,
            args.offline,
        )?
    };
    let (resolved, catalog, warnings) = image::catalog(target, &args.target, &options)?;
    for w in &warnings {
        warn(w);
    }
    let mut inventory = catalog.inventory;
    let goldens = Goldens::new(config.golden_images.unwrap_or_default());
    inventory.base_image = goldens.identify(&resolved, &options)?;
    if args.exclude_base_image {
        if goldens.is_empty() {
            return Err(Failure::input(
                "--exclude-base-image: no golden-images are configured in assay.yaml",
            ));
        }
        exclude_base_packages(&mut inventory);
    }
    Ok((inventory, resolved.manifest_digest.to_string()))
}

/// The packages a directory's lock files and manifests record (the files `assay scan` checks
/// for vulnerabilities), each at its path relative to the directory.
fn directory_inventory(dir: &Path) -> Result<Inventory, Failure> {
    let walked = discover::walk(dir);
    for problem in &walked.problems {
        warn(problem);
    }
    catalog_paths(dir, &walked.lockfiles)
}

/// One lock file's packages; a file no cataloger reads is an input error.
fn file_inventory(path: &Path) -> Result<Inventory, Failure> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    if !assay_analyze::CATALOGERS.iter().any(|c| c.wants(&name)) {
        return Err(Failure::input(format!(
            "{}: not a lock file or package manifest assay reads (package-lock.json, Cargo.lock, requirements.txt, ...)",
            path.display()
        )));
    }
    let dir = path.parent().unwrap_or(Path::new(""));
    catalog_paths(dir, &[path.to_path_buf()])
}

fn catalog_paths(root: &Path, paths: &[PathBuf]) -> Result<Inventory, Failure> {
    let mut contents = Vec::new();
    for path in paths {
        let content =
            std::fs::read(path).map_err(|e| Failure::input(format!("{}: {e}", path.display())))?;
        let relative = path
            .strip_prefix(root)
            .unwrap_or(path)
            .to_string_lossy()
            .replace('\\', "/");
        contents.push((relative, content));
    }
    let found = contents.iter().map(|(path, content)| assay_analyze::Found {
        path,
        content,
        layer: None,
    });
    let (inventory, problems) = assay_analyze::catalog_files(assay_analyze::CATALOGERS, found);
    for p in &problems {
        warn(&p.to_string());
    }
    Ok(inventory)
}

//! Images as scan targets: open the source (registry, OCI layout, docker-archive, rootfs),
//! catalog its packages in one pass over the layers, and match them against the
//! vulnerability database.

use std::path::PathBuf;

use assay_core::{Finding, FindingKind, Location, PackageRef, Severity, Target, TargetSummary};
use assay_oci::{
    DockerArchive, Image, ImageSource, Limits, OciLayout, Reference, RemoteImage, RemoteOptions,
    Rootfs, WalkOptions,
};
use assay_vuln::db::{self, Database, Level};

use super::settings::Settings;
use crate::exit::Failure;

/// What scanning an image gave.
#[derive(Debug)]
pub struct ImageScan {
    /// The image as a report target.
    pub target: TargetSummary,
    /// Vulnerability findings.
    pub findings: Vec<Finding>,
    /// Files that failed to parse and walker warnings, one line each.
    pub warnings: Vec<String>,
}

/// How images are reached: the flags `scan` and `sbom` share.
#[derive(Debug, Clone, Default)]
pub struct ImageOptions {
    /// Platform for multi-platform images.
    pub platform: Option<assay_oci::Platform>,
    /// Registries allowed over plain HTTP besides loopback ones.
    pub insecure_registries: Vec<String>,
    /// No network.
    pub offline: bool,
}

impl ImageOptions {
    /// From `--platform`, `--insecure-registry` and `--offline`.
    pub fn from_flags(
        platform: Option<&str>,
        insecure: &[String],
        offline: bool,
    ) -> Result<ImageOptions, Failure> {
        Ok(ImageOptions {
            platform: platform
                .map(|p| {
                    assay_oci::Platform::parse(p)
                        .map_err(|e| Failure::input(format!("--platform: {e}")))
                })
                .transpose()?,
            insecure_registries: insecure.to_vec(),
            offline,
        })
    }
}

/// Exit code for registry and network failures (DESIGN.md section 4).
const NETWORK: u8 = 3;

fn oci_failure(name: &str, e: assay_oci::Error) -> Failure {
    let code = if matches!(e, assay_oci::Error::Registry { .. }) {
        NETWORK
    } else {
        crate::exit::INPUT
    };
    Failure {
        code,
        message: format!("{name}: {e}"),
    }
}

/// Plain HTTP only for loopback registries or those named with `--insecure-registry`.
fn plain_http_hosts(reference: &Reference, options: &ImageOptions) -> Vec<String> {
    let host = reference.registry().to_string();
    let name = host.rsplit_once(':').map_or(host.as_str(), |(h, _)| h);
    let loopback = name == "localhost"
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    let mut hosts = options.insecure_registries.clone();
    if loopback {
        hosts.push(host);
    }
    hosts
}

fn credentials() -> assay_oci::RegistryAuth {
    match (
        std::env::var("ASSAY_REGISTRY_USERNAME"),
        std::env::var("ASSAY_REGISTRY_PASSWORD"),
    ) {
        (Ok(username), Ok(password)) if !username.is_empty() => {
            assay_oci::RegistryAuth::Basic { username, password }
        }
        _ => assay_oci::RegistryAuth::Anonymous,
    }
}

fn open_source(
    target: &Target,
    raw: &str,
    options: &ImageOptions,
) -> Result<Box<dyn ImageSource>, Failure> {
    let source: Box<dyn ImageSource> = match target {
        Target::OciLayout { dir, tag } => {
            Box::new(OciLayout::open(dir, tag.as_deref()).map_err(|e| oci_failure(raw, e))?)
        }
        Target::DockerArchive(path) => {
            Box::new(DockerArchive::open(path, None).map_err(|e| oci_failure(raw, e))?)
        }
        Target::Rootfs(path) => Box::new(Rootfs::open(path).map_err(|e| oci_failure(raw, e))?),
        Target::Registry(text) => {
            if options.offline {
                return Err(Failure::input(format!(
                    "{raw}: --offline forbids pulling from a registry"
                )));
            }
            let reference =
                Reference::parse(text).map_err(|e| Failure::input(format!("{raw}: {e}")))?;
            let options = RemoteOptions {
                auth: credentials(),
                plain_http: plain_http_hosts(&reference, options),
                limits: Limits::default(),
            };
            Box::new(RemoteImage::open(&reference, &options).map_err(|e| oci_failure(raw, e))?)
        }
        _ => return Err(Failure::input(format!("{raw}: not an image"))),
    };
    Ok(source)
}

fn severity(level: Level) -> Severity {
    match level {
        Level::Unknown => Severity::Unknown,
        Level::Low => Severity::Low,
        Level::Medium => Severity::Medium,
        Level::High => Severity::High,
        Level::Critical => Severity::Critical,
    }
}

/// Opens the image `target` names and catalogues its packages in one pass over the layers;
/// returns the resolved image, the catalogue and one-line warnings (files that failed to
/// parse, walker warnings).
pub fn catalog(
    target: &Target,
    raw: &str,
    options: &ImageOptions,
) -> Result<(Image, assay_analyze::Catalog, Vec<String>), Failure> {
    let source = open_source(target, raw, options)?;
    let image = Image::open(
        source.as_ref(),
        options.platform.as_ref(),
        &Limits::default(),
    )
    .map_err(|e| oci_failure(raw, e))?;
    let catalog = assay_analyze::catalog_image(source.as_ref(), &image, &WalkOptions::default())
        .map_err(|e| Failure::input(format!("{raw}: {e}")))?;
    let mut warnings: Vec<String> = catalog
        .problems
        .iter()
        .map(|p| format!("{raw}: {p}"))
        .collect();
    warnings.extend(catalog.warnings.iter().map(|w| format!("{raw}: {w}")));
    Ok((image, catalog, warnings))
}

/// Matches every package of `inventory` against the database: OS packages as their distro's
/// advisories name them (source package, within the release), language packages by their own
/// ecosystem and name. Findings belong to the target `name`; unmatchable versions become
/// warnings naming `raw`.
pub fn match_inventory(
    database: &Database,
    inventory: &assay_core::Inventory,
    name: &str,
    raw: &str,
    warnings: &mut Vec<String>,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    let name = name.to_string();
    let distro = inventory.distro.as_ref();
    for package in &inventory.packages {
        // OS packages are matched as their distro's advisories name them: by source package
        // and within the release (`Debian:12`); language packages by their own name.
        let is_os = distro.is_some_and(|d| {
            !d.ecosystem.is_empty()
                && d.ecosystem.split(':').next() == Some(package.ecosystem.as_str())
        });
        let (ecosystem, query_name, query_version) = match (is_os, distro) {
            (true, Some(d)) => (
                d.ecosystem.as_str(),
                package.source_name.as_deref().unwrap_or(&package.name),
                package
                    .source_version
                    .as_deref()
                    .unwrap_or(&package.version),
            ),
            _ => (
                package.ecosystem.as_str(),
                package.name.as_str(),
                package.version.as_str(),
            ),
        };
        let matches = match db::matches(database, ecosystem, query_name, query_version) {
            Ok(m) => m,
            Err(e) => {
                warnings.push(format!("{raw}: {} {}: {e}", package.name, package.version));
                continue;
            }
        };
        for m in matches {
            let fix = (!m.fixed.is_empty())
                .then(|| format!("upgrade {} to {}", package.name, m.fixed.join(" or ")));
            let title = if m.advisory.summary.is_empty() {
                m.id.clone()
            } else {
                m.advisory.summary.clone()
            };
            let message = format!(
                "{} {} is affected by {}{}",
                package.name,
                package.version,
                m.id,
                if m.fixed.is_empty() {
                    " (no fix yet)".to_string()
                } else {
                    format!(", fixed in {}", m.fixed.join(", "))
                }
            );
            let location = Location {
                path: package.path.clone(),
                line: None,
                column: None,
                end_line: None,
                layer: package.layer.clone(),
            };
            let mut finding = Finding::new(
                FindingKind::Vulnerability,
                m.id.clone(),
                severity(m.severity.level),
                title,
                message,
                name.clone(),
                location,
                &format!("{}@{}", package.name, package.version),
            );
            finding.package = Some(PackageRef {
                name: package.name.clone(),
                version: package.version.clone(),
                ecosystem: ecosystem.to_string(),
                purl: package.purl.clone(),
            });
            finding.fix = fix;
            finding.references =
                std::iter::once(format!("https://osv.dev/vulnerability/{}", m.advisory.id))
                    .chain(
                        m.aliases
                            .iter()
                            .filter(|a| a.starts_with("CVE-"))
                            .map(|a| format!("https://nvd.nist.gov/vuln/detail/{a}")),
                    )
                    .collect();
            findings.push(finding);
        }
    }
    findings
}

/// The vulnerability database when the vuln scanner runs (`None` when it does not); a missing
/// or unreadable file is an input error naming it.
pub fn open_database(settings: &Settings) -> Result<Option<Database>, Failure> {
    if !settings.scanners.contains(&FindingKind::Vulnerability) {
        return Ok(None);
    }
    let path = database_path(settings);
    if !path.exists() {
        return Err(Failure::input(format!(
            "{}: no vulnerability database (build one with `assay db build --from OSV-DATA`, or set --db / ASSAY_DB)",
            path.display()
        )));
    }
    Database::open(&path)
        .map(Some)
        .map_err(|e| Failure::input(e.to_string()))
}

/// The database file: `--db`, else `ASSAY_DB` or the XDG cache location.
pub fn database_path(settings: &Settings) -> PathBuf {
    settings.db.clone().unwrap_or_else(db::default_path)
}

/// Scans the image `target` names, matching its packages against `database` when given.
pub fn scan(
    target: &Target,
    raw: &str,
    settings: &Settings,
    database: Option<&Database>,
) -> Result<ImageScan, Failure> {
    let (_, catalog, mut warnings) = catalog(target, raw, &settings.image)?;

    let name = raw.to_string();
    let findings = match database {
        Some(database) => match_inventory(database, &catalog.inventory, &name, raw, &mut warnings),
        None => Vec::new(),
    };
    Ok(ImageScan {
        target: TargetSummary {
            name,
            kind: "image".into(),
            rules_checked: Vec::new(),
        },
        findings,
        warnings,
    })
}

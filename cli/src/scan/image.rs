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
    /// The licenses of its packages, when the license scanner ran.
    pub license_summary: Option<assay_core::LicenseSummary>,
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
    /// `--progress`: show progress even without a terminal or under `CI=true`.
    pub progress: bool,
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
            progress: false,
        })
    }
}

/// Exit code for registry and network failures (DESIGN.md section 4).
const NETWORK: u8 = 3;

pub(crate) fn oci_failure(name: &str, e: assay_oci::Error) -> Failure {
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

/// Credentials for `reference`: `ASSAY_REGISTRY_TOKEN`, `_USERNAME`/`_PASSWORD`, then docker's
/// `config.json` and credential helpers (assay_oci::Credentials). Errors name the file or
/// helper, never a secret.
fn credentials(
    reference: &Reference,
    plain_http: &[String],
    raw: &str,
) -> Result<assay_oci::RegistryAuth, Failure> {
    let registry = reference.registry();
    let plain = plain_http.iter().any(|h| h == registry);
    assay_oci::Credentials::from_env()
        .resolve(registry, reference.repository(), plain)
        .map_err(|e| {
            let code = if matches!(e, assay_oci::CredentialError::TokenExchange { .. }) {
                NETWORK
            } else {
                crate::exit::INPUT
            };
            Failure {
                code,
                message: format!("{raw}: {e}"),
            }
        })
}

/// Opens the image source `target` names (`raw` is how the user wrote it, for messages).
pub(crate) fn open_source(
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
            let plain_http = plain_http_hosts(&reference, options);
            let options = RemoteOptions {
                auth: credentials(&reference, &plain_http, raw)?,
                plain_http,
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
    catalog_with(target, raw, options, None)
        .map(|(image, catalog, _, warnings)| (image, catalog, warnings))
}

/// [`catalog`] with the content scanners of `content` in the same walk; returns the squashed
/// tree too (for [`assay_analyze::content::ContentRun::finish`]).
pub fn catalog_with(
    target: &Target,
    raw: &str,
    options: &ImageOptions,
    content: Option<&mut assay_analyze::content::ContentRun<'_>>,
) -> Result<
    (
        Image,
        assay_analyze::Catalog,
        assay_oci::FileTree,
        Vec<String>,
    ),
    Failure,
> {
    let source = open_source(target, raw, options)?;
    let image = Image::open(
        source.as_ref(),
        options.platform.as_ref(),
        &Limits::default(),
    )
    .map_err(|e| oci_failure(raw, e))?;
    let verb = if matches!(target, Target::Registry(_)) {
        "pulling"
    } else {
        "reading"
    };
    let walk_options = WalkOptions {
        progress: crate::progress::layers(options.progress, &image, verb),
        ..WalkOptions::default()
    };
    let walked = match content {
        Some(run) => {
            let wants = run.wants();
            assay_analyze::catalog_image_with(source.as_ref(), &image, &walk_options, &wants, run)
        }
        None => assay_analyze::catalog_image_with(
            source.as_ref(),
            &image,
            &walk_options,
            &assay_analyze::content::ContentWants(&[]),
            &mut assay_oci::NoVisitor,
        ),
    };
    let (catalog, tree) = walked.map_err(|e| Failure::input(format!("{raw}: {e}")))?;
    let mut warnings: Vec<String> = catalog
        .problems
        .iter()
        .map(|p| format!("{raw}: {p}"))
        .collect();
    warnings.extend(catalog.warnings.iter().map(|w| format!("{raw}: {w}")));
    Ok((image, catalog, tree, warnings))
}

/// Whether a distribution's advisories name binary packages rather than source packages
/// (Debian, Ubuntu and Alpine name source packages; the rpm distributions binary ones).
fn names_binary_packages(ecosystem: &str) -> bool {
    matches!(
        ecosystem.split(':').next().unwrap_or_default(),
        "Red Hat"
            | "Rocky Linux"
            | "AlmaLinux"
            | "SUSE"
            | "openSUSE"
            | "openEuler"
            | "Mageia"
            | "Photon OS"
            | "Azure Linux"
    )
}

/// Matches every package of `inventory` against the database: OS packages as their distro's
/// advisories name them (source or binary package, within the release), language packages by their own
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
            // The rpm distributions' OSV records (Red Hat, Rocky, Alma, SUSE, openEuler) name
            // binary packages at their full epoch:version-release.
            (true, Some(d)) if names_binary_packages(&d.ecosystem) => (
                d.ecosystem.as_str(),
                package.name.as_str(),
                package.version.as_str(),
            ),
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
            crate::db_cmd::record_explanation(&finding, &m);
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
    let database = Database::open(&path).map_err(|e| Failure::input(e.to_string()))?;
    crate::db_cmd::warn_if_stale(&database, settings.db_max_age);
    Ok(Some(database))
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
    let scanners = super::content::ContentScanners::new(settings);
    let list = scanners.list();
    let mut run = assay_analyze::content::ContentRun::new(&list);
    let (image, catalog, tree, mut warnings) = catalog_with(
        target,
        raw,
        &settings.image,
        (!list.is_empty()).then_some(&mut run),
    )?;
    let base_image = settings.goldens.identify(&image, &settings.image)?;

    let name = raw.to_string();
    let mut findings = match database {
        Some(database) => match_inventory(database, &catalog.inventory, &name, raw, &mut warnings),
        None => Vec::new(),
    };
    if !list.is_empty() {
        let detections = run.finish(assay_analyze::content::config_of(&image), &tree);
        findings.extend(super::content::image_findings(detections, &name, settings));
    }
    super::base::mark_origins(&mut findings, base_image.as_ref());
    if settings.exclude_base_image {
        super::base::exclude_base_findings(&mut findings, base_image.as_ref());
    }
    let license_summary = settings
        .scanners
        .contains(&FindingKind::License)
        .then(|| assay_analyze::license::summary(&catalog.inventory.packages));
    Ok(ImageScan {
        target: TargetSummary {
            name,
            kind: "image".into(),
            base_image,
            rules_checked: Vec::new(),
        },
        findings,
        warnings,
        license_summary,
    })
}

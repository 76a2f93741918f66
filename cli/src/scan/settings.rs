//! The scan settings after merging flags, `ASSAY_*` variables and `assay.yaml`, validated
//! once so the scan itself sees only well-formed values.

use std::collections::BTreeSet;
use std::path::PathBuf;

use assay_core::{FindingKind, Severity};
use assay_iac::{IacOptions, Profile};
use assay_report::Format;

use crate::args::{ProfileArg, ScanArgs};
use crate::config::Config;
use crate::exit::Failure;
use crate::gate::FailOn;

/// Everything `assay scan` needs to know besides the target.
#[derive(Debug)]
pub struct Settings {
    /// Scanners to run.
    pub scanners: BTreeSet<FindingKind>,
    /// Report format.
    pub format: Format,
    /// Template file for `Format::Template`.
    pub template: Option<PathBuf>,
    /// Report file, stdout when `None`.
    pub output: Option<PathBuf>,
    /// Extra reports from `--report FORMAT=FILE`.
    pub reports: Vec<(Format, PathBuf)>,
    /// Severities reported; `None` reports all.
    pub severities: Option<BTreeSet<Severity>>,
    /// The gate.
    pub fail_on: FailOn,
    /// Exit code for a failed gate.
    pub exit_code: u8,
    /// Drop unfixed vulnerabilities.
    pub ignore_unfixed: bool,
    /// Ignore file, and whether the user named it (then it must exist).
    pub ignorefile: (PathBuf, bool),
    /// Rego policy directories that exist.
    pub policy_dirs: Vec<PathBuf>,
    /// Rego namespaces.
    pub namespaces: Vec<String>,
    /// Evaluate every Rego package.
    pub all_namespaces: bool,
    /// Extra data files for Rego (`--data`).
    pub data: Vec<PathBuf>,
    /// IaC rule settings.
    pub iac: IacOptions,
    /// Vulnerability database file.
    pub db: Option<PathBuf>,
    /// Warn when the database is older than this many seconds (0: never); `db.max-age`.
    pub db_max_age: i64,
    /// VEX statements from `--vex` files (crate::vex).
    pub vex: Vec<assay_vuln::vex::Statement>,
    /// `--format openvex`: the main output is an OpenVEX document (`format` is then unused).
    pub openvex: bool,
    /// `--report openvex=FILE` destinations.
    pub openvex_reports: Vec<PathBuf>,
    /// How images are reached.
    pub image: super::image::ImageOptions,
    /// Golden base images from assay.yaml (`golden-images:`).
    pub goldens: super::base::Goldens,
    /// Secret allow-list and disabled secret rules (`secrets:` in assay.yaml).
    pub secrets: assay_analyze::secrets::AllowList,
    /// Content scanners built from configuration (`--malware-db`, `licenses:`, `baseline:`),
    /// once per run; they replace the built-in scanner of the same name.
    pub configured_scanners: ConfiguredScanners,
    /// Drop findings and packages from base image layers.
    pub exclude_base_image: bool,
}

/// Scanners this build can run on the targets it accepts.
const AVAILABLE: &[FindingKind] = &[
    FindingKind::Misconfig,
    FindingKind::Vulnerability,
    FindingKind::Secret,
    FindingKind::Malware,
    FindingKind::License,
    FindingKind::Baseline,
];

/// Scanners run when neither `--scanners` nor `assay.yaml` names any: malware, license and
/// baseline findings are opt-in (they judge the image against policies the team picks).
const DEFAULT_SCANNERS: &[FindingKind] = &[
    FindingKind::Misconfig,
    FindingKind::Vulnerability,
    FindingKind::Secret,
];

fn parse_list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

impl Settings {
    /// Merges `args` over `config`; any invalid value is an input error naming its source.
    pub fn resolve(args: &ScanArgs, config: &Config) -> Result<Settings, Failure> {
        let scanners_list = match (&args.scanners, &config.scanners) {
            (Some(s), _) => parse_list(s),
            (None, Some(list)) => list.clone(),
            (None, None) => DEFAULT_SCANNERS
                .iter()
                .map(|k| k.as_str().to_string())
                .collect(),
        };
        let mut scanners = BTreeSet::new();
        // `yara` is no finding kind (its findings are malware): it selects the scanner
        // `--yara-rules` builds, see `yara_scanner`.
        #[cfg(feature = "yara")]
        let mut yara_named = false;
        for name in &scanners_list {
            #[cfg(feature = "yara")]
            if name.trim().eq_ignore_ascii_case("yara") {
                yara_named = true;
                continue;
            }
            let kind = FindingKind::from_scanner_name(name).ok_or_else(|| {
                Failure::input(format!(
                    "--scanners: unknown scanner {name:?} (expected misconfig, vuln, secret, malware, license or baseline)"
                ))
            })?;
            if !AVAILABLE.contains(&kind) {
                return Err(Failure::input(format!(
                    "--scanners: the {kind} scanner is not part of this version of assay (available: {})",
                    AVAILABLE
                        .iter()
                        .map(|k| if *k == FindingKind::Vulnerability {
                            "vuln"
                        } else {
                            k.as_str()
                        })
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
            scanners.insert(kind);
        }

        let format_name = args
            .format
            .clone()
            .or_else(|| config.format.clone())
            .unwrap_or_else(|| "table".into());
        // OpenVEX is written by crate::vex from the report, not by assay-report's renderers.
        let openvex = format_name == "openvex";
        let format: Format = if openvex {
            Format::Json
        } else {
            format_name
                .parse()
                .map_err(|e: assay_report::ParseFormatError| {
                    Failure::input(format!("--format: {e}"))
                })?
        };
        let template = args.template.clone().or_else(|| config.template.clone());
        let specs = crate::report_spec::ReportSpecs::parse(&args.reports, true)?;
        if specs.need_template(format) && template.is_none() {
            return Err(Failure::input("--format template needs --template FILE"));
        }
        let (reports, openvex_reports) = (specs.reports, specs.openvex);

        let severities = match (&args.severity, &config.severity) {
            (Some(s), _) => Some(parse_list(s)),
            (None, Some(list)) => Some(list.clone()),
            (None, None) => None,
        };
        let severities = severities
            .map(|list| {
                list.iter()
                    .map(|s| {
                        s.parse::<Severity>()
                            .map_err(|e| Failure::input(format!("--severity: {e}")))
                    })
                    .collect::<Result<BTreeSet<_>, _>>()
            })
            .transpose()?;

        let fail_on_text = args
            .fail_on
            .clone()
            .or_else(|| config.fail_on.as_ref().map(|f| f.as_flag()));
        let fail_on = match fail_on_text {
            Some(text) => text.parse::<FailOn>().map_err(Failure::input)?,
            None => FailOn::default(),
        };
        let exit_code = args
            .exit_code
            .or(config.exit_code)
            .unwrap_or(crate::exit::FINDINGS);

        let ignorefile = match args
            .ignorefile
            .clone()
            .or_else(|| config.ignorefile.clone())
        {
            Some(p) => (p, true),
            None => (PathBuf::from(".assayignore"), false),
        };

        let mut policy_dirs = if !args.policy.is_empty() {
            args.policy.clone()
        } else {
            config.policy.clone().unwrap_or_default()
        };
        for dir in &policy_dirs {
            if !dir.is_dir() {
                return Err(Failure::input(format!(
                    "--policy: {}: no such directory",
                    dir.display()
                )));
            }
        }
        if policy_dirs.is_empty() && PathBuf::from("policies").is_dir() {
            policy_dirs.push(PathBuf::from("policies"));
        }
        let namespaces = if !args.namespace.is_empty() {
            args.namespace.clone()
        } else {
            config
                .namespaces
                .clone()
                .unwrap_or_else(|| vec!["main".to_string()])
        };

        let mut iac = config.iac.clone();
        if let Some(p) = args.profile {
            iac.profile = Some(match p {
                ProfileArg::PssBaseline => Profile::PssBaseline,
                ProfileArg::PssRestricted => Profile::PssRestricted,
            });
        }
        for id in iac
            .enable
            .iter()
            .chain(iac.disable.iter())
            .chain(iac.severity.keys())
        {
            if assay_iac::rule(id).is_none() {
                return Err(Failure::input(format!(
                    "assay.yaml: iac: unknown rule id {id:?}"
                )));
            }
        }

        let configured_scanners = ConfiguredScanners(configured_scanners(args, config, &scanners)?);
        #[cfg(feature = "yara")]
        let configured_scanners = {
            let mut with_yara = configured_scanners;
            with_yara.0.extend(yara_scanner(args, yara_named)?);
            with_yara
        };
        if args.exclude_base_image && config.golden_images.as_ref().is_none_or(Vec::is_empty) {
            return Err(Failure::input(
                "--exclude-base-image: no golden-images are configured in assay.yaml",
            ));
        }
        Ok(Settings {
            scanners,
            format,
            template,
            output: args.output.clone().or_else(|| config.output.clone()),
            reports,
            severities,
            fail_on,
            exit_code,
            ignore_unfixed: args
                .ignore_unfixed
                .or(config.ignore_unfixed)
                .unwrap_or(false),
            ignorefile,
            policy_dirs,
            namespaces,
            all_namespaces: args.all_namespaces,
            db: args.db.clone(),
            db_max_age: config
                .db
                .max_age_seconds()
                .map_err(|e| Failure::input(format!("assay.yaml: {e}")))?,
            vex: crate::vex::load(&args.vex)?,
            openvex,
            openvex_reports,
            image: super::image::ImageOptions {
                progress: args.progress,
                ..super::image::ImageOptions::from_flags(
                    args.platform.as_deref(),
                    &args.insecure_registry,
                    args.offline,
                )?
            },
            data: args.data.clone(),
            iac,
            goldens: super::base::Goldens::new(config.golden_images.clone().unwrap_or_default()),
            secrets: assay_analyze::secrets::AllowList::new(&config.secrets)
                .map_err(|e| Failure::input(format!("assay.yaml: {e}")))?,
            exclude_base_image: args.exclude_base_image,
            configured_scanners,
        })
    }
}

/// Content scanners built from configuration, shared by every target of the run.
#[derive(Clone, Default)]
pub struct ConfiguredScanners(pub Vec<std::sync::Arc<dyn assay_analyze::content::Scanner + Send>>);

impl std::fmt::Debug for ConfiguredScanners {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|s| s.name()))
            .finish()
    }
}

/// The yara scanner (cargo feature `yara`): built whenever `--yara-rules` gives rules (giving
/// them asks for them, whatever `--scanners` says); `--scanners yara` without rules is an
/// input error rather than a scan that silently checks nothing.
#[cfg(feature = "yara")]
fn yara_scanner(
    args: &ScanArgs,
    named: bool,
) -> Result<Option<std::sync::Arc<dyn assay_analyze::content::Scanner + Send>>, Failure> {
    let Some(dir) = &args.yara_rules else {
        if named {
            return Err(Failure::input(
                "--scanners yara needs --yara-rules DIR (or ASSAY_YARA_RULES)",
            ));
        }
        return Ok(None);
    };
    let scanner = assay_analyze::yara::YaraScanner::load(dir)
        .map_err(|e| Failure::input(format!("--yara-rules: {e}")))?;
    for warning in scanner.warnings() {
        crate::warn(&format!("--yara-rules: {warning}"));
    }
    Ok(Some(std::sync::Arc::new(scanner)))
}

/// The malware, license and baseline scanners the flags and `assay.yaml` configure (the
/// built-in ones of `content::SCANNERS` cover the defaults). Configuration is validated
/// even when the scanner is not selected, so a typo is caught on the first run.
fn configured_scanners(
    args: &ScanArgs,
    config: &Config,
    scanners: &BTreeSet<FindingKind>,
) -> Result<Vec<std::sync::Arc<dyn assay_analyze::content::Scanner + Send>>, Failure> {
    use assay_analyze::{baseline, license, malware};
    let mut out: Vec<std::sync::Arc<dyn assay_analyze::content::Scanner + Send>> = Vec::new();
    config
        .licenses
        .validate()
        .map_err(|e| Failure::input(format!("assay.yaml: {e}")))?;
    if scanners.contains(&FindingKind::Malware) && !args.malware_db.is_empty() {
        let scanner = malware::MalwareScanner::load(&args.malware_db)
            .map_err(|e| Failure::input(format!("--malware-db: {e}")))?;
        let skipped = scanner.db().skipped();
        if !skipped.is_empty() {
            crate::warn(&format!(
                "--malware-db: {} signature file(s) of kinds assay does not evaluate (body, logical, bytecode) skipped: {}",
                skipped.len(),
                skipped.join(", ")
            ));
        }
        out.push(std::sync::Arc::new(scanner));
    }
    if scanners.contains(&FindingKind::License)
        && config.licenses != license::LicensePolicy::default()
    {
        out.push(std::sync::Arc::new(license::LicenseScanner::new(
            config.licenses.clone(),
        )));
    }
    if config.baseline != baseline::BaselineConfig::default() {
        let scanner = baseline::BaselineScanner::from_config(&config.baseline)
            .map_err(|e| Failure::input(format!("assay.yaml: {e}")))?;
        if scanners.contains(&FindingKind::Baseline) {
            out.push(std::sync::Arc::new(scanner));
        }
    }
    Ok(out)
}

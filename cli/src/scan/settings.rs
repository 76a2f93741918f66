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
    /// How images are reached.
    pub image: super::image::ImageOptions,
}

/// Scanners this build can run on the targets it accepts.
const AVAILABLE: &[FindingKind] = &[FindingKind::Misconfig, FindingKind::Vulnerability];

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
            (None, None) => AVAILABLE.iter().map(|k| k.as_str().to_string()).collect(),
        };
        let mut scanners = BTreeSet::new();
        for name in &scanners_list {
            let kind = FindingKind::from_scanner_name(name).ok_or_else(|| {
                Failure::input(format!(
                    "--scanners: unknown scanner {name:?} (expected misconfig, vuln, secret, malware, license or baseline)"
                ))
            })?;
            if !AVAILABLE.contains(&kind) {
                return Err(Failure::input(format!(
                    "--scanners: the {kind} scanner is not part of this version of assay (available: misconfig, vuln)"
                )));
            }
            scanners.insert(kind);
        }

        let format_name = args
            .format
            .clone()
            .or_else(|| config.format.clone())
            .unwrap_or_else(|| "table".into());
        let format: Format = format_name
            .parse()
            .map_err(|e: assay_report::ParseFormatError| {
                Failure::input(format!("--format: {e}"))
            })?;
        let template = args.template.clone().or_else(|| config.template.clone());
        let mut reports = Vec::new();
        for spec in &args.reports {
            let (name, file) = spec
                .split_once('=')
                .filter(|(n, f)| !n.is_empty() && !f.is_empty())
                .ok_or_else(|| {
                    Failure::input(format!("--report: {spec:?} should be FORMAT=FILE"))
                })?;
            let extra: Format = name.parse().map_err(|e: assay_report::ParseFormatError| {
                Failure::input(format!("--report: {e}"))
            })?;
            reports.push((extra, PathBuf::from(file)));
        }
        let needs_template =
            format == Format::Template || reports.iter().any(|(f, _)| *f == Format::Template);
        if needs_template && template.is_none() {
            return Err(Failure::input("--format template needs --template FILE"));
        }

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
            image: super::image::ImageOptions::from_flags(
                args.platform.as_deref(),
                &args.insecure_registry,
                args.offline,
            )?,
            data: args.data.clone(),
            iac,
        })
    }
}

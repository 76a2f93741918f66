//! `assay scan`: resolve the target, run the scanners on every input in parallel, build one
//! report, apply suppressions and filters, write it, and decide the exit code.

pub mod discover;
pub mod settings;

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::Context;
use assay_core::{Finding, Report, RuleDoc, ScanError, Target, TargetSummary};
use assay_report::RenderOptions;
use rayon::prelude::*;

use crate::args::ScanArgs;
use crate::exit::{self, Failure};
use crate::ignorefile::IgnoreFile;
use crate::{clock, config, output, warn};
use discover::FileKind;
use settings::Settings;

/// One document to scan.
#[derive(Debug)]
struct Input {
    /// Name in findings: the path as walked, without a leading `./`.
    name: String,
    /// Where to read it from; `None` for stdin (text already read).
    path: Option<PathBuf>,
    /// Text read from stdin.
    text: Option<String>,
    kind: FileKind,
}

/// What scanning one input gave.
#[derive(Debug, Default)]
struct Outcome {
    target: Option<TargetSummary>,
    findings: Vec<Finding>,
    error: Option<ScanError>,
}

fn display_name(path: &Path) -> String {
    let text = path.to_string_lossy().replace('\\', "/");
    text.strip_prefix("./").map(str::to_string).unwrap_or(text)
}

fn read_text(path: &Path) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", display_name(path)))?;
    String::from_utf8(bytes).map_err(|e| {
        format!("{}: not UTF-8 text (invalid byte at offset {})", display_name(path), e.utf8_error().valid_up_to())
    })
}

/// The inputs a target stands for.
fn collect(target: &Target, raw: &str) -> Result<(Vec<Input>, bool), Failure> {
    match target {
        Target::Stdin => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|e| Failure::input(format!("-: cannot read standard input: {e}")))?;
            let kind = discover::kind_from_content(&text)
                .ok_or_else(|| Failure::input("-: cannot tell whether standard input is a Dockerfile or Kubernetes YAML/JSON"))?;
            Ok((vec![Input { name: "stdin".into(), path: None, text: Some(text), kind }], true))
        }
        Target::File(path) => {
            let kind = match discover::kind_from_name(path) {
                Some(k) => k,
                None => {
                    let text = read_text(path).map_err(Failure::input)?;
                    discover::kind_from_content(&text).ok_or_else(|| {
                        Failure::input(format!("{}: neither a Dockerfile nor a YAML/JSON manifest", display_name(path)))
                    })?
                }
            };
            Ok((vec![Input { name: display_name(path), path: Some(path.clone()), text: None, kind }], true))
        }
        Target::Directory(dir) => {
            let (files, problems) = discover::walk(dir);
            for p in problems {
                warn(&p);
            }
            let inputs = files
                .into_iter()
                .map(|(path, kind)| Input { name: display_name(&path), path: Some(path), text: None, kind })
                .collect();
            Ok((inputs, false))
        }
        _ => Err(Failure::input(format!(
            "{raw}: scanning images (oci:, docker-archive:, dir:, registry references) is not part of this version of assay"
        ))),
    }
}

fn scan_input(input: &Input, settings: &Settings) -> Outcome {
    let text = match (&input.text, &input.path) {
        (Some(t), _) => t.clone(),
        (None, Some(p)) => match read_text(p) {
            Ok(t) => t,
            Err(message) => {
                return Outcome { error: Some(ScanError { target: input.name.clone(), message }), ..Outcome::default() };
            }
        },
        (None, None) => String::new(),
    };
    let summary = |rules: Vec<String>| TargetSummary {
        name: input.name.clone(),
        kind: input.kind.as_str().to_string(),
        rules_checked: rules,
    };
    let active = |rules: &[assay_core::Rule]| -> Vec<String> {
        rules.iter().filter(|r| settings.iac.is_active(r.id)).map(|r| r.id.to_string()).collect()
    };
    if !settings.scanners.contains(&assay_core::FindingKind::Misconfig) {
        return Outcome::default();
    }
    let result = match input.kind {
        FileKind::Dockerfile => assay_iac::dockerfile::scan(&input.name, &text, &settings.iac)
            .map(|findings| (Some(summary(active(assay_iac::dockerfile::RULES))), findings)),
        FileKind::Manifest => assay_iac::k8s::scan(&input.name, &text, &settings.iac).map(|scan| {
            let target = scan.is_kubernetes.then(|| summary(active(assay_iac::k8s::RULES)));
            (target, scan.findings)
        }),
    };
    match result {
        Ok((target, findings)) => Outcome { target, findings: settings.iac.apply(findings), error: None },
        Err(e) => Outcome {
            error: Some(ScanError { target: input.name.clone(), message: e.to_string() }),
            ..Outcome::default()
        },
    }
}

/// Runs `assay scan`; returns the exit code.
pub fn run(args: &ScanArgs) -> anyhow::Result<u8> {
    let config = config::load(args.config.as_deref()).map_err(Failure::input)?;
    let settings = Settings::resolve(args, &config)?;
    let today = clock::today();
    let ignores = IgnoreFile::load(&settings.ignorefile.0, settings.ignorefile.1).map_err(Failure::input)?;
    for e in ignores.expired(today) {
        warn(&format!("{}: ignore entry for {} expired on {}; it no longer suppresses", e.source, e.id,
            e.expires.map(|d| d.to_string()).unwrap_or_default()));
    }
    let template = match &settings.template {
        Some(path) => Some((
            display_name(path),
            std::fs::read_to_string(path).map_err(|e| Failure::input(format!("{}: {e}", display_name(path))))?,
        )),
        None => None,
    };

    let target = Target::parse(&args.target).map_err(|e| Failure::input(e.to_string()))?;
    let (inputs, single) = collect(&target, &args.target)?;
    let started = clock::now_seconds();
    let outcomes: Vec<Outcome> = inputs.par_iter().map(|i| scan_input(i, &settings)).collect();

    let mut report = Report::new(display_name(Path::new(&args.target)), env!("CARGO_PKG_VERSION"));
    report.created_at = clock::source_date_epoch().map(clock::rfc3339);
    let mut all_findings = Vec::new();
    for outcome in outcomes {
        report.targets.extend(outcome.target);
        all_findings.extend(outcome.findings);
        if let Some(error) = outcome.error {
            if single {
                return Err(Failure::input(error.message).into());
            }
            report.errors.push(error);
        }
    }
    for mut finding in all_findings {
        if settings.ignore_unfixed && finding.kind == assay_core::FindingKind::Vulnerability && finding.fix.is_none() {
            continue;
        }
        if finding.suppression.is_none() {
            finding.suppression = ignores.suppression_for(&finding, today);
        }
        if finding.suppression.is_some() {
            report.suppressed.push(finding);
        } else {
            report.findings.push(finding);
        }
    }
    let failing = report.findings.iter().filter(|f| settings.fail_on.fails(f)).count();
    if let Some(keep) = &settings.severities {
        let before = report.findings.len();
        report.findings.retain(|f| keep.contains(&f.severity));
        report.filtered_out = before - report.findings.len();
    }
    for f in report.findings.iter().chain(report.suppressed.iter()) {
        if let Some(rule) = assay_iac::rule(&f.rule_id) {
            report.rules.entry(f.rule_id.clone()).or_insert_with(|| RuleDoc::from(rule));
        }
    }
    report.normalize();

    let options = RenderOptions {
        color: settings.output.is_none() && crate::color_wanted(),
        template,
        scan_time: (started, clock::now_seconds()),
    };
    let bytes = assay_report::render(&report, settings.format, &options).map_err(|e| Failure::input(e.to_string()))?;
    output::emit(settings.output.as_deref(), &bytes).context("writing the report")?;

    for e in &report.errors {
        warn(&e.message);
    }
    Ok(if !report.errors.is_empty() {
        exit::INPUT
    } else if failing > 0 {
        settings.exit_code
    } else {
        exit::OK
    })
}

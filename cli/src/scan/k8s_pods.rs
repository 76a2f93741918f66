//! `assay scan --k8s-pods FILE`: the node image inventory. Reads `kubectl get pods -A -o json`
//! output (or a list of image references), scans each distinct image digest once, and reports
//! for each its golden base image (the target's `base_image`), whether it was promoted through
//! assay (ASSAY-RUN-001 when not, checked with `--promotion-key`), and its findings.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use assay_cluster::admission::{Check, Pinned, RegistryVerifier, Verifier, VerifyError};
use assay_cluster::inventory::{self, RunningImage};
use assay_core::{
    Finding, FindingKind, Location, Report, RuleDoc, ScanError, Target, TargetSummary,
};
use assay_iac::image_ref::ImageRef;
use assay_report::RenderOptions;

use super::image;
use super::settings::Settings;
use crate::args::ScanArgs;
use crate::exit::{self, Failure};
use crate::ignorefile::IgnoreFile;
use crate::{clock, config, output, warn};

/// Whether an image was promoted, as far as can be told.
enum Promotion {
    /// No `--promotion-key`: not checked.
    Unchecked,
    /// Attested by a trusted key.
    Promoted,
    /// Not attested; the reason.
    NotPromoted(String),
}

fn promotion(
    runtime: &tokio::runtime::Runtime,
    verifier: Option<&Arc<RegistryVerifier>>,
    reference: &str,
) -> Result<Promotion, String> {
    let Some(verifier) = verifier else {
        return Ok(Promotion::Unchecked);
    };
    let parsed = ImageRef::parse(reference);
    let Some(digest) = parsed.digest.clone() else {
        return Ok(Promotion::NotPromoted(
            "the pod status names no digest, so no promotion can be matched".into(),
        ));
    };
    let pinned = Pinned {
        name: parsed.full_name(),
        digest,
    };
    match runtime.block_on(verifier.promotion(&pinned)) {
        Ok(Check::Pass(_)) => Ok(Promotion::Promoted),
        Ok(Check::Fail(why)) | Err(VerifyError::NotFound(why)) => Ok(Promotion::NotPromoted(why)),
        Err(e) => Err(e.to_string()),
    }
}

fn not_promoted_finding(image: &RunningImage, why: &str) -> Finding {
    let rule = &inventory::NOT_PROMOTED;
    let runs_in = if image.users.is_empty() {
        String::new()
    } else {
        format!(" (runs in {})", image.users.join(", "))
    };
    Finding::new(
        FindingKind::Audit,
        rule.id,
        rule.severity,
        rule.title,
        format!(
            "{} has no assay promotion attestation: {why}{runs_in}",
            image.reference
        ),
        image.reference.clone(),
        Location {
            path: image.reference.clone(),
            ..Location::default()
        },
        &image.reference,
    )
    .with_resource(image.users.join(", "), &image.reference)
    .with_fix(rule.remediation)
}

/// Runs `assay scan --k8s-pods FILE`.
pub fn run(args: &ScanArgs) -> anyhow::Result<u8> {
    let config = config::load(args.config.as_deref()).map_err(Failure::input)?;
    let settings = Settings::resolve(args, &config)?;
    let file = args.target.clone();
    let text = std::fs::read_to_string(&file)
        .map_err(|e| Failure::input(format!("{file}: {}", e.to_string().to_lowercase())))?;
    let images = inventory::read(&text, &file).map_err(|e| Failure::input(e.to_string()))?;
    let template = match &settings.template {
        Some(path) => Some((
            path.display().to_string(),
            std::fs::read_to_string(path)
                .map_err(|e| Failure::input(format!("{}: {e}", path.display())))?,
        )),
        None => None,
    };
    let mut keys = Vec::new();
    for path in &args.promotion_key {
        let pem = std::fs::read_to_string(path).map_err(|e| {
            Failure::input(format!(
                "{}: {}",
                path.display(),
                e.to_string().to_lowercase()
            ))
        })?;
        keys.push((PathBuf::from(path), pem));
    }
    let verifier = if keys.is_empty() {
        warn(
            "promotion not checked: give --promotion-key KEY.pub to report images that were not promoted",
        );
        None
    } else {
        Some(Arc::new(
            RegistryVerifier::new(&keys, &settings.image.insecure_registries)
                .map_err(|e| Failure::input(e.to_string()))?,
        ))
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the runtime")?;
    let database = image::open_database(&settings)?;

    let started = clock::now_seconds();
    let mut report = Report::new(file.clone(), env!("CARGO_PKG_VERSION"));
    report.created_at = clock::source_date_epoch().map(clock::rfc3339);
    let mut findings = Vec::new();
    // The exit code when an image could not be scanned: the failure's own (2 input, 3 registry).
    let mut worst = exit::OK;
    for running in &images {
        let target = Target::Registry(running.reference.clone());
        match image::scan(&target, &running.reference, &settings, database.as_ref()) {
            Ok(scanned) => {
                for w in &scanned.warnings {
                    warn(w);
                }
                report.targets.push(scanned.target);
                findings.extend(scanned.findings);
            }
            Err(e) => {
                worst = worst.max(e.code);
                report.errors.push(ScanError {
                    target: running.reference.clone(),
                    message: format!("{}: {e}", running.reference),
                });
                report.targets.push(TargetSummary {
                    name: running.reference.clone(),
                    kind: "image".into(),
                    base_image: None,
                    rules_checked: Vec::new(),
                });
            }
        }
        match promotion(&runtime, verifier.as_ref(), &running.reference) {
            Ok(Promotion::Promoted | Promotion::Unchecked) => {}
            Ok(Promotion::NotPromoted(why)) => findings.push(not_promoted_finding(running, &why)),
            Err(e) => {
                // The registry could not be reached: exit 3, as for `assay scan` of an image.
                worst = worst.max(3);
                report.errors.push(ScanError {
                    target: running.reference.clone(),
                    message: format!("{}: promotion not checked: {e}", running.reference),
                });
            }
        }
    }
    let ignores =
        IgnoreFile::load(&settings.ignorefile.0, settings.ignorefile.1).map_err(Failure::input)?;
    let today = clock::today();
    for mut finding in findings {
        if finding.suppression.is_none() {
            finding.suppression = ignores.suppression_for(&finding, today);
        }
        if finding.suppression.is_some() {
            report.suppressed.push(finding);
        } else {
            report.findings.push(finding);
        }
    }
    let failing = report
        .findings
        .iter()
        .filter(|f| settings.fail_on.fails(f))
        .count();
    if let Some(keep) = &settings.severities {
        let before = report.findings.len();
        report.findings.retain(|f| keep.contains(&f.severity));
        report.filtered_out = before - report.findings.len();
    }
    for f in report.findings.iter().chain(report.suppressed.iter()) {
        let doc = inventory::rule(&f.rule_id)
            .or_else(|| assay_iac::rule(&f.rule_id))
            .or_else(|| assay_analyze::content::rule(&f.rule_id))
            .map(RuleDoc::from);
        if let Some(doc) = doc {
            report.rules.entry(f.rule_id.clone()).or_insert(doc);
        }
    }
    report.normalize();

    let options = RenderOptions {
        color: settings.output.is_none() && crate::color_wanted(),
        template,
        scan_time: (started, clock::now_seconds()),
    };
    let main = assay_report::render(&report, settings.format, &options)
        .map_err(|e| Failure::input(e.to_string()))?;
    let plain = RenderOptions {
        color: false,
        ..options
    };
    let mut extra = Vec::new();
    for (format, path) in &settings.reports {
        let bytes = assay_report::render(&report, *format, &plain)
            .map_err(|e| Failure::input(e.to_string()))?;
        extra.push((path, bytes));
    }
    for (path, bytes) in extra {
        output::write_atomically(Path::new(path), &bytes).context("writing the report")?;
    }
    output::emit(settings.output.as_deref(), &main).context("writing the report")?;
    for e in &report.errors {
        crate::error_line(&e.message);
    }
    Ok(if !report.errors.is_empty() {
        worst.max(exit::INPUT)
    } else if failing > 0 {
        settings.exit_code
    } else {
        exit::OK
    })
}

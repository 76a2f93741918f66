//! `assay scan`: resolve the target, run the scanners on every input in parallel, build one
//! report, apply suppressions and filters, write it, and decide the exit code.

pub mod base;
pub mod content;
pub mod discover;
pub mod image;
pub mod k8s_pods;
pub mod sbom_input;
pub mod settings;

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::Context;
use assay_core::{
    CheckedRule, Finding, FindingKind, Report, RuleDoc, ScanError, Target, TargetSummary,
};
use assay_iac::rego::{self, PolicySet};
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

/// What scanning the inputs gave, before suppressions and filters.
#[derive(Debug, Default)]
struct Outcome {
    targets: Vec<TargetSummary>,
    findings: Vec<Finding>,
    errors: Vec<ScanError>,
    rule_docs: Vec<RuleDoc>,
    /// Images' license summaries by target name (license scanner only).
    license_summary: std::collections::BTreeMap<String, assay_core::LicenseSummary>,
}

fn display_name(path: &Path) -> String {
    let text = path.to_string_lossy().replace('\\', "/");
    text.strip_prefix("./").map(str::to_string).unwrap_or(text)
}

fn read_text(path: &Path) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", display_name(path)))?;
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "{}: not UTF-8 text (invalid byte at offset {})",
            display_name(path),
            e.utf8_error().valid_up_to()
        )
    })
}

/// Images and lock files found while walking a directory.
#[derive(Debug, Default)]
struct Found {
    layouts: Vec<PathBuf>,
    lockfiles: Vec<PathBuf>,
}

/// The inputs a target stands for: files to read, whether it is a single document, and the
/// OCI layouts and lock files found in a directory.
fn collect(target: &Target) -> Result<(Vec<Input>, bool, Found), Failure> {
    match target {
        Target::Stdin => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|e| Failure::input(format!("-: cannot read standard input: {e}")))?;
            let kind = discover::kind_from_content(&text).ok_or_else(|| {
                Failure::input(
                    "-: cannot tell whether standard input is a Dockerfile or Kubernetes YAML/JSON",
                )
            })?;
            Ok((
                vec![Input {
                    name: "stdin".into(),
                    path: None,
                    text: Some(text),
                    kind,
                }],
                true,
                Found::default(),
            ))
        }
        Target::File(path)
            if path
                .file_name()
                .is_some_and(|n| discover::is_lockfile(&n.to_string_lossy())) =>
        {
            Ok((
                Vec::new(),
                true,
                Found {
                    layouts: Vec::new(),
                    lockfiles: vec![path.clone()],
                },
            ))
        }
        Target::File(path) => {
            let kind = match discover::kind_from_name(path) {
                Some(k) => k,
                None => {
                    let text = read_text(path).map_err(Failure::input)?;
                    discover::kind_from_content(&text).ok_or_else(|| {
                        Failure::input(format!(
                            "{}: neither a Dockerfile nor a YAML/JSON manifest",
                            display_name(path)
                        ))
                    })?
                }
            };
            Ok((
                vec![Input {
                    name: display_name(path),
                    path: Some(path.clone()),
                    text: None,
                    kind,
                }],
                true,
                Found::default(),
            ))
        }
        Target::Directory(dir) => {
            let walked = discover::walk(dir);
            for p in walked.problems {
                warn(&p);
            }
            let inputs = walked
                .files
                .into_iter()
                .map(|(path, kind)| Input {
                    name: display_name(&path),
                    path: Some(path),
                    text: None,
                    kind,
                })
                .collect();
            Ok((
                inputs,
                false,
                Found {
                    layouts: walked.layouts,
                    lockfiles: walked.lockfiles,
                },
            ))
        }
        _ => Ok((Vec::new(), true, Found::default())),
    }
}

/// An input with its text read.
#[derive(Debug)]
struct Loaded<'a> {
    input: &'a Input,
    text: String,
}

fn active_rules(rules: &[assay_core::Rule], settings: &Settings) -> Vec<CheckedRule> {
    rules
        .iter()
        .filter(|r| settings.iac.is_active(r.id))
        .map(|r| CheckedRule {
            id: r.id.to_string(),
            title: r.title.to_string(),
        })
        .collect()
}

fn summary(input: &Input, rules: Vec<CheckedRule>) -> TargetSummary {
    TargetSummary {
        name: input.name.clone(),
        kind: input.kind.as_str().to_string(),
        base_image: None,
        rules_checked: rules,
    }
}

fn scan_error(input: &Input, message: String) -> ScanError {
    ScanError {
        target: input.name.clone(),
        message,
    }
}

/// Reads every input (in parallel); unreadable ones become errors.
fn load<'a>(
    inputs: &'a [Input],
    progress: &indicatif::ProgressBar,
) -> (Vec<Loaded<'a>>, Vec<ScanError>) {
    let read: Vec<Result<Loaded<'a>, ScanError>> = inputs
        .par_iter()
        .map(|input| {
            let text = match (&input.text, &input.path) {
                (Some(t), _) => Ok(t.clone()),
                (None, Some(p)) => read_text(p),
                (None, None) => Ok(String::new()),
            };
            progress.inc(1);
            text.map(|text| Loaded { input, text })
                .map_err(|m| scan_error(input, m))
        })
        .collect();
    let mut loaded = Vec::new();
    let mut errors = Vec::new();
    for r in read {
        match r {
            Ok(l) => loaded.push(l),
            Err(e) => errors.push(e),
        }
    }
    (loaded, errors)
}

/// The built-in rules: Dockerfiles one by one in parallel, manifests as one set so that
/// NetworkPolicies and ServiceAccounts in one file count for workloads in the others.
fn run_builtin(loaded: &[Loaded<'_>], settings: &Settings, out: &mut Outcome) {
    let dockerfiles: Vec<&Loaded<'_>> = loaded
        .iter()
        .filter(|l| l.input.kind == FileKind::Dockerfile)
        .collect();
    let results: Vec<_> = dockerfiles
        .par_iter()
        .map(|l| assay_iac::dockerfile::scan(&l.input.name, &l.text, &settings.iac))
        .collect();
    for (l, result) in dockerfiles.iter().zip(results) {
        match result {
            Ok(findings) => {
                out.targets.push(summary(
                    l.input,
                    active_rules(assay_iac::dockerfile::RULES, settings),
                ));
                out.findings.extend(settings.iac.apply(findings));
            }
            Err(e) => out.errors.push(scan_error(l.input, e.to_string())),
        }
    }
    let manifests: Vec<&Loaded<'_>> = loaded
        .iter()
        .filter(|l| l.input.kind == FileKind::Manifest)
        .collect();
    let set: Vec<(String, String)> = manifests
        .iter()
        .map(|l| (l.input.name.clone(), l.text.clone()))
        .collect();
    for (l, result) in manifests
        .iter()
        .zip(assay_iac::k8s::scan_set(&set, &settings.iac))
    {
        match result {
            Ok(scan) if scan.is_kubernetes => {
                out.targets.push(summary(
                    l.input,
                    active_rules(assay_iac::k8s::RULES, settings),
                ));
                out.findings.extend(settings.iac.apply(scan.findings));
            }
            Ok(_) => {}
            Err(e) => out.errors.push(scan_error(l.input, e.to_string())),
        }
    }
}

/// The user's Rego policies, on every input that parsed.
fn run_policies(
    loaded: &[Loaded<'_>],
    policies: &PolicySet,
    settings: &Settings,
    out: &mut Outcome,
) {
    let failed: std::collections::BTreeSet<&str> =
        out.errors.iter().map(|e| e.target.as_str()).collect();
    let results: Vec<Result<rego::Evaluation, String>> = loaded
        .par_iter()
        .filter(|l| !failed.contains(l.input.name.as_str()))
        .map(|l| {
            let inputs = match l.input.kind {
                FileKind::Dockerfile => {
                    rego::dockerfile_input(&l.input.name, &l.input.name, &l.text).map(|i| vec![i])
                }
                FileKind::Manifest => rego::manifest_inputs(&l.input.name, &l.input.name, &l.text),
            }
            .map_err(|e| e.to_string())?;
            policies.evaluate_all(&inputs).map_err(|e| e.to_string())
        })
        .collect();
    for result in results {
        match result {
            Ok(evaluation) => {
                out.findings.extend(settings.iac.apply(evaluation.findings));
                out.rule_docs.extend(evaluation.rules);
            }
            Err(message) => out.errors.push(ScanError {
                target: "policy".into(),
                message,
            }),
        }
    }
}

/// The database for the OCI layouts and lock files a directory walk found. Without one they
/// are listed as not checked (one warning each kind) rather than failing, so `assay scan .`
/// keeps working for IaC-only users; an explicit image target without a database is an
/// error instead (see [`image::open_database`]).
fn found_database(
    found: &Found,
    settings: &Settings,
    out: &mut Outcome,
) -> Option<assay_vuln::db::Database> {
    if (found.layouts.is_empty() && found.lockfiles.is_empty())
        || !settings.scanners.contains(&FindingKind::Vulnerability)
    {
        return None;
    }
    let path = image::database_path(settings);
    if !path.exists() {
        if !found.layouts.is_empty() {
            warn(&format!(
                "{} OCI layout(s) found but not scanned: no vulnerability database at {}",
                found.layouts.len(),
                path.display()
            ));
        }
        if !found.lockfiles.is_empty() {
            warn(&format!(
                "{} lock file(s) found but not checked for vulnerabilities: no database at {}",
                found.lockfiles.len(),
                path.display()
            ));
        }
        return None;
    }
    match assay_vuln::db::Database::open(&path) {
        Ok(db) => {
            crate::db_cmd::warn_if_stale(&db, settings.db_max_age);
            Some(db)
        }
        Err(e) => {
            out.errors.push(ScanError {
                target: path.display().to_string(),
                message: e.to_string(),
            });
            None
        }
    }
}

/// OCI layouts found while walking a directory, scanned as images.
fn scan_layouts(
    layouts: &[PathBuf],
    settings: &Settings,
    database: &assay_vuln::db::Database,
    out: &mut Outcome,
) {
    for dir in layouts {
        let name = display_name(dir);
        let target = Target::OciLayout {
            dir: dir.clone(),
            tag: None,
        };
        match image::scan(&target, &name, settings, Some(database)) {
            Ok(scanned) => {
                for w in &scanned.warnings {
                    warn(w);
                }
                if let Some(summary) = scanned.license_summary {
                    out.license_summary
                        .insert(scanned.target.name.clone(), summary);
                }
                out.targets.push(scanned.target);
                out.findings.extend(scanned.findings);
            }
            Err(e) => out.errors.push(ScanError {
                target: name,
                message: e.message,
            }),
        }
    }
}

/// Lock files found while walking a directory (`package-lock.json`, `Cargo.lock`, ...): their
/// packages are matched against the vulnerability database, each file a target of its own
/// (GitLab's dependency_scanning report).
fn scan_lockfiles(
    lockfiles: &[PathBuf],
    target: &Target,
    database: &assay_vuln::db::Database,
    out: &mut Outcome,
) {
    let root = match target {
        Target::Directory(dir) => dir.as_path(),
        _ => Path::new(""),
    };
    for path in lockfiles {
        let name = display_name(path);
        let content = match std::fs::read(path) {
            Ok(c) => c,
            Err(e) => {
                out.errors.push(ScanError {
                    target: name.clone(),
                    message: format!("{name}: {e}"),
                });
                continue;
            }
        };
        let relative = path
            .strip_prefix(root)
            .unwrap_or(path)
            .to_string_lossy()
            .replace('\\', "/");
        let found = assay_analyze::Found {
            path: &relative,
            content: &content,
            layer: None,
        };
        let (mut inventory, problems) =
            assay_analyze::catalog_files(assay_analyze::CATALOGERS, [found]);
        for p in problems {
            out.errors.push(ScanError {
                target: name.clone(),
                message: format!("{name}: {p}"),
            });
        }
        for package in &mut inventory.packages {
            package.path = name.clone();
        }
        let mut warnings = Vec::new();
        let findings = image::match_inventory(database, &inventory, &name, &name, &mut warnings);
        for w in &warnings {
            warn(w);
        }
        out.targets.push(TargetSummary {
            name: name.clone(),
            kind: "lockfile".into(),
            base_image: None,
            rules_checked: Vec::new(),
        });
        out.findings.extend(findings);
    }
}

/// A progress bar on an interactive stderr for scans large enough to wait for; hidden
/// otherwise, so CI logs and pipes stay clean.
fn progress_bar(len: usize) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if len < 200 || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len as u64);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{spinner} scanning {pos}/{len} files {wide_bar} {elapsed}",
    ) {
        bar.set_style(style);
    }
    bar
}

/// Runs `assay scan`; returns the exit code.
pub fn run(args: &ScanArgs) -> anyhow::Result<u8> {
    if args.k8s_pods {
        return k8s_pods::run(args);
    }
    let config = config::load(args.config.as_deref()).map_err(Failure::input)?;
    let settings = Settings::resolve(args, &config)?;
    let today = clock::today();
    let ignores =
        IgnoreFile::load(&settings.ignorefile.0, settings.ignorefile.1).map_err(Failure::input)?;
    for e in ignores.expired(today) {
        warn(&format!(
            "{}: ignore entry for {} expired on {}; it no longer suppresses",
            e.source,
            e.id,
            e.expires.map(|d| d.to_string()).unwrap_or_default()
        ));
    }
    let template = match &settings.template {
        Some(path) => Some((
            display_name(path),
            std::fs::read_to_string(path)
                .map_err(|e| Failure::input(format!("{}: {e}", display_name(path))))?,
        )),
        None => None,
    };

    let policies = if settings.policy_dirs.is_empty() {
        None
    } else {
        let options = rego::LoadOptions {
            namespaces: settings.namespaces.clone(),
            all_namespaces: settings.all_namespaces,
            data: settings.data.clone(),
        };
        Some(
            PolicySet::load_with(&settings.policy_dirs, &options)
                .map_err(|e| Failure::input(e.to_string()))?,
        )
    };

    if let Some(id) = &args.explain {
        crate::db_cmd::explain(id);
    }
    let target = Target::parse(&args.target).map_err(|e| Failure::input(e.to_string()))?;
    let sbom = sbom_input::read(&target, &display_name(Path::new(&args.target)))?;
    let (inputs, single, found) = match &sbom {
        Some(_) => (Vec::new(), true, Found::default()),
        None => collect(&target)?,
    };
    let started = clock::now_seconds();
    let progress = progress_bar(inputs.len());
    let (loaded, read_errors) = load(&inputs, &progress);
    let mut outcome = Outcome {
        errors: read_errors,
        ..Outcome::default()
    };
    if let Some(inventory) = &sbom {
        let name = display_name(Path::new(&args.target));
        let database = image::open_database(&settings)?;
        let mut warnings = Vec::new();
        if let Some(database) = &database {
            let findings = image::match_inventory(database, inventory, &name, &name, &mut warnings);
            outcome.findings.extend(findings);
        }
        for w in &warnings {
            warn(w);
        }
        outcome.targets.push(TargetSummary {
            name,
            kind: "sbom".into(),
            base_image: None,
            rules_checked: Vec::new(),
        });
    }
    if target.is_image() {
        let database = image::open_database(&settings)?;
        let scanned = image::scan(&target, &args.target, &settings, database.as_ref())?;
        for w in &scanned.warnings {
            warn(w);
        }
        if let Some(summary) = scanned.license_summary {
            outcome
                .license_summary
                .insert(scanned.target.name.clone(), summary);
        }
        outcome.targets.push(scanned.target);
        outcome.findings.extend(scanned.findings);
    }
    // A lock file named on the command line is asked to be checked: without a database
    // that is an error (as for an image), not the directory walk's warning.
    let database = if matches!(target, Target::File(_)) && !found.lockfiles.is_empty() {
        image::open_database(&settings)?
    } else {
        found_database(&found, &settings, &mut outcome)
    };
    if let Some(database) = database {
        scan_layouts(&found.layouts, &settings, &database, &mut outcome);
        scan_lockfiles(&found.lockfiles, &target, &database, &mut outcome);
    }
    if settings.scanners.contains(&FindingKind::Misconfig) {
        run_builtin(&loaded, &settings, &mut outcome);
        if let Some(policies) = policies.as_ref().filter(|p| !p.is_empty()) {
            run_policies(&loaded, policies, &settings, &mut outcome);
        }
    }
    content::scan_files(&target, &loaded, &settings, &mut outcome);
    progress.finish_and_clear();
    if single && let Some(error) = outcome.errors.first() {
        return Err(Failure::input(error.message.clone()).into());
    }

    let mut report = Report::new(
        display_name(Path::new(&args.target)),
        env!("CARGO_PKG_VERSION"),
    );
    report.created_at = clock::source_date_epoch().map(clock::rfc3339);
    report.targets = outcome.targets;
    report.errors = outcome.errors;
    report.license_summary = outcome.license_summary;
    let all_findings = outcome.findings;
    for mut finding in all_findings {
        if settings.ignore_unfixed
            && finding.kind == FindingKind::Vulnerability
            && finding.fix.is_none()
        {
            continue;
        }
        if finding.suppression.is_none() {
            finding.suppression = crate::vex::suppression(&settings.vex, &finding)
                .or_else(|| ignores.suppression_for(&finding, today));
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
    // The attestation states what the gate saw: every unsuppressed finding, before --severity.
    let attestation = match args.attest.key_for(target.is_image(), &args.target)? {
        Some(key) => {
            let db_version =
                image::open_database(&settings)?.map(|db| db.info().build_time.clone());
            Some((
                key,
                crate::results_attestation::scan_predicate(
                    &report.findings,
                    db_version.as_deref(),
                    started,
                    clock::now_seconds(),
                ),
            ))
        }
        None => None,
    };
    if let Some(keep) = &settings.severities {
        let before = report.findings.len();
        report.findings.retain(|f| keep.contains(&f.severity));
        report.filtered_out = before - report.findings.len();
    }
    let policy_docs: std::collections::BTreeMap<String, RuleDoc> = outcome
        .rule_docs
        .into_iter()
        .map(|d| (d.id.clone(), d))
        .collect();
    for f in report.findings.iter().chain(report.suppressed.iter()) {
        let doc = assay_iac::rule(&f.rule_id)
            .or_else(|| assay_analyze::content::rule(&f.rule_id))
            .map(RuleDoc::from)
            .or_else(|| policy_docs.get(&f.rule_id).cloned());
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
    // Render everything before writing anything, so a template error leaves no partial set.
    let vex_time = clock::rfc3339(clock::now_seconds());
    let main = if let Some(id) = &args.explain {
        crate::db_cmd::explanation_text(&report, id)?
    } else if settings.openvex {
        crate::vex::openvex(&report, &settings.vex, &vex_time)
    } else {
        assay_report::render(&report, settings.format, &options)
            .map_err(|e| Failure::input(e.to_string()))?
    };
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
    for path in &settings.openvex_reports {
        extra.push((path, crate::vex::openvex(&report, &settings.vex, &vex_time)));
    }
    for (path, bytes) in extra {
        output::write_atomically(path, &bytes).context("writing the report")?;
    }
    output::emit(settings.output.as_deref(), &main).context("writing the report")?;

    for e in &report.errors {
        crate::error_line(&e.message);
    }
    if report.errors.is_empty()
        && let Some((key, predicate)) = attestation
    {
        crate::sign_cmd::attest_predicate(
            &args.target,
            &args.insecure_registry,
            key,
            crate::results_attestation::SCAN_PREDICATE_TYPE,
            predicate,
        )?;
    }
    Ok(if !report.errors.is_empty() {
        exit::INPUT
    } else if failing > 0 {
        settings.exit_code
    } else {
        exit::OK
    })
}

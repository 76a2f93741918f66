//! `assay audit-log FILE...`: Kubernetes audit events judged by the ASSAY-AUD rules, written
//! through the same report formats and gate as `assay scan`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::Context;
use assay_cluster::audit::{self, AuditOptions};
use assay_core::{CheckedRule, Report, RuleDoc, Severity, TargetSummary};
use assay_report::{Format, RenderOptions};

use crate::exit::{self, Failure};
use crate::gate::FailOn;
use crate::ignorefile::IgnoreFile;
use crate::{clock, output};

/// `assay audit-log`.
#[derive(Debug, clap::Args)]
pub struct AuditLogArgs {
    /// Audit logs: audit.k8s.io/v1 events one per line (plain or gzip), or an EventList.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Output format: table, json, sarif, junit, gitlab, markdown, template.
    #[arg(short, long, env = "ASSAY_FORMAT", value_name = "FORMAT")]
    pub format: Option<String>,
    /// minijinja template for --format template.
    #[arg(long, env = "ASSAY_TEMPLATE", value_name = "FILE")]
    pub template: Option<PathBuf>,
    /// Write the report to FILE (atomically) instead of stdout.
    #[arg(short, long, env = "ASSAY_OUTPUT", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also write the report in another format to a file (repeatable): `--report sarif=a.sarif`.
    #[arg(long = "report", value_name = "FORMAT=FILE")]
    pub reports: Vec<String>,
    /// Severities to report, comma-separated (the gate still sees every finding).
    #[arg(short, long, env = "ASSAY_SEVERITY", value_name = "LIST")]
    pub severity: Option<String>,
    /// What fails the run: a severity (HIGH), audit=SEVERITY, or none. Default: any finding.
    #[arg(long, env = "ASSAY_FAIL_ON", value_name = "SPEC")]
    pub fail_on: Option<String>,
    /// Exit code when findings fail the run.
    #[arg(long, env = "ASSAY_EXIT_CODE", value_name = "N")]
    pub exit_code: Option<u8>,
    /// Ignore file of accepted findings (default .assayignore in the current directory).
    #[arg(long, env = "ASSAY_IGNOREFILE", value_name = "FILE")]
    pub ignorefile: Option<PathBuf>,
    /// Identity (glob on the user name) expected to read secrets, added to the control plane,
    /// nodes and kube-system service accounts; repeatable.
    #[arg(long, value_name = "PATTERN")]
    pub secret_reader: Vec<String>,
    /// Identity expected to approve certificate signing requests, added to the
    /// kube-controller-manager's; repeatable.
    #[arg(long, value_name = "PATTERN")]
    pub csr_approver: Vec<String>,
    /// Registry images may come from (ASSAY-AUD-014 runs only when one is given); repeatable.
    #[arg(long, value_name = "REGISTRY")]
    pub allowed_registry: Vec<String>,
    /// File of promoted digests, one per line (ASSAY-AUD-016 runs only when given).
    #[arg(long, value_name = "FILE")]
    pub promoted: Option<PathBuf>,
    /// The cluster's address range (replaces the private-range default); repeatable.
    #[arg(long, value_name = "CIDR")]
    pub cluster_cidr: Vec<String>,
    /// Denied requests from one identity that make a finding (default 10).
    #[arg(long, value_name = "N")]
    pub forbidden_threshold: Option<usize>,
    /// Window for --forbidden-threshold in seconds (default 600).
    #[arg(long, value_name = "SECONDS")]
    pub forbidden_window: Option<i64>,
}

/// `assay audit-log --help` examples.
pub const EXAMPLES: &str = "\
Examples:
  assay audit-log /var/log/kubernetes/audit.log
  assay audit-log audit.log audit.log.1.gz --format sarif -o audit.sarif
  assay audit-log audit.log --allowed-registry registry.example.com --promoted promoted.txt
  assay audit-log audit.log --secret-reader 'system:serviceaccount:vault:*' --cluster-cidr 10.0.0.0/8

Exit codes: 0 nothing at or above --fail-on; 1 (or --exit-code) findings; 2 input error
(names file:line).";

fn display_name(path: &Path) -> String {
    path.display().to_string().replace('\\', "/")
}

/// Digests listed one per line (`sha256:...`, `#` comments, blank lines), or as the
/// `image@sha256:...` references `assay promote` prints: only the digest is kept.
fn read_promoted(path: &Path) -> Result<Vec<String>, Failure> {
    let name = display_name(path);
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::input(format!("{name}: {}", e.to_string().to_lowercase())))?;
    let mut digests = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let digest = line.rsplit_once('@').map_or(line, |(_, d)| d);
        let valid = digest.split_once(':').is_some_and(|(alg, hex)| {
            matches!(alg, "sha256" | "sha512")
                && !hex.is_empty()
                && hex.bytes().all(|b| b.is_ascii_hexdigit())
        });
        if !valid {
            return Err(Failure::input(format!(
                "{name}:{}: {line:?} is not a digest (expected sha256:HEX or IMAGE@sha256:HEX)",
                i + 1
            )));
        }
        digests.push(digest.to_ascii_lowercase());
    }
    Ok(digests)
}

fn options(args: &AuditLogArgs) -> Result<AuditOptions, Failure> {
    let mut options = AuditOptions::default();
    options
        .secret_readers
        .extend(args.secret_reader.iter().cloned());
    options
        .csr_approvers
        .extend(args.csr_approver.iter().cloned());
    options.allowed_registries = args.allowed_registry.clone();
    if let Some(path) = &args.promoted {
        options.promoted_digests = read_promoted(path)?;
    }
    if !args.cluster_cidr.is_empty() {
        options.cluster_cidrs = args.cluster_cidr.clone();
    }
    if let Some(n) = args.forbidden_threshold {
        options.forbidden_threshold = n;
    }
    if let Some(s) = args.forbidden_window {
        options.forbidden_window = s;
    }
    Ok(options)
}

fn parse_list(text: &str) -> impl Iterator<Item = &str> {
    text.split(',').map(str::trim).filter(|s| !s.is_empty())
}

/// Runs `assay audit-log`; returns the exit code.
pub fn run(args: &AuditLogArgs) -> anyhow::Result<u8> {
    let format: Format =
        args.format.as_deref().unwrap_or("table").parse().map_err(
            |e: assay_report::ParseFormatError| Failure::input(format!("--format: {e}")),
        )?;
    let reports = crate::report_spec::ReportSpecs::parse(&args.reports, false)?;
    let template = match &args.template {
        Some(path) => Some((
            display_name(path),
            std::fs::read_to_string(path)
                .map_err(|e| Failure::input(format!("{}: {e}", display_name(path))))?,
        )),
        None if reports.need_template(format) => {
            return Err(Failure::input("--format template needs --template FILE").into());
        }
        None => None,
    };
    let severities = args
        .severity
        .as_deref()
        .map(|s| {
            parse_list(s)
                .map(|s| {
                    s.parse::<Severity>()
                        .map_err(|e| Failure::input(format!("--severity: {e}")))
                })
                .collect::<Result<BTreeSet<_>, _>>()
        })
        .transpose()?;
    let fail_on = match &args.fail_on {
        Some(text) => text.parse::<FailOn>().map_err(Failure::input)?,
        None => FailOn::default(),
    };
    let exit_code = args.exit_code.unwrap_or(exit::FINDINGS);
    let settings = options(args)?
        .validate()
        .map_err(|e| Failure::input(e.to_string()))?;

    let started = clock::now_seconds();
    let mut review = audit::Review::new(&settings);
    let mut report = Report::new(
        args.files
            .iter()
            .map(|p| display_name(p))
            .collect::<Vec<_>>()
            .join(" "),
        env!("CARGO_PKG_VERSION"),
    );
    report.created_at = clock::source_date_epoch().map(clock::rfc3339);
    let checked: Vec<CheckedRule> = audit::rules()
        .map(|r| CheckedRule {
            id: r.id.to_string(),
            title: r.title.to_string(),
        })
        .collect();
    for path in &args.files {
        let name = display_name(path);
        audit::event::visit_file(path, &name, &mut |e| review.add(&e))
            .map_err(|e| Failure::input(e.to_string()))?;
        report.targets.push(TargetSummary {
            name,
            kind: "audit-log".to_string(),
            rules_checked: checked.clone(),
            base_image: None,
        });
    }
    let ignores = match &args.ignorefile {
        Some(path) => IgnoreFile::load(path, true),
        None => IgnoreFile::load(Path::new(".assayignore"), false),
    }
    .map_err(Failure::input)?;
    let today = clock::today();
    for mut finding in review.finish() {
        finding.suppression = ignores.suppression_for(&finding, today);
        if finding.suppression.is_some() {
            report.suppressed.push(finding);
        } else {
            report.findings.push(finding);
        }
    }
    let failing = report.findings.iter().filter(|f| fail_on.fails(f)).count();
    if let Some(keep) = &severities {
        let before = report.findings.len();
        report.findings.retain(|f| keep.contains(&f.severity));
        report.filtered_out = before - report.findings.len();
    }
    for f in report.findings.iter().chain(report.suppressed.iter()) {
        if let Some(rule) = audit::rule(&f.rule_id) {
            report
                .rules
                .entry(f.rule_id.clone())
                .or_insert_with(|| RuleDoc::from(rule));
        }
    }
    report.normalize();

    let options = RenderOptions {
        color: args.output.is_none() && crate::color_wanted(),
        template,
        scan_time: (started, clock::now_seconds()),
    };
    let main = assay_report::render(&report, format, &options)
        .map_err(|e| Failure::input(e.to_string()))?;
    let plain = RenderOptions {
        color: false,
        ..options
    };
    let mut extra = Vec::new();
    for (format, path) in &reports.reports {
        let bytes = assay_report::render(&report, *format, &plain)
            .map_err(|e| Failure::input(e.to_string()))?;
        extra.push((path, bytes));
    }
    for (path, bytes) in extra {
        output::write_atomically(path, &bytes).context("writing the report")?;
    }
    output::emit(args.output.as_deref(), &main).context("writing the report")?;
    Ok(if failing > 0 { exit_code } else { exit::OK })
}

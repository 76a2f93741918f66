//! Markdown summary for `$GITHUB_STEP_SUMMARY` and pull-request comments: counts by severity
//! and the most severe findings, always under GitHub's 1 MiB step-summary cap.

use std::fmt::Write;

use assay_core::{Finding, Report};

/// GitHub rejects a step summary over 1 MiB; stay well below it so a wrapper can add a header.
pub const MAX_BYTES: usize = 1024 * 1024 - 64 * 1024;
/// Rows listed before the table says how many more there are.
const MAX_ROWS: usize = 200;

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '|' | '\\' | '`' | '*' | '_' | '<' | '>' | '[' | ']' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

fn row(f: &Finding) -> String {
    format!(
        "| {} | `{}` | {} | {} |\n",
        f.severity,
        f.rule_id,
        escape(&f.location.display()),
        escape(&f.message)
    )
}

/// A target's license summary: packages per category and the most used licenses (bounded:
/// at most five categories and [`super::table::TOP_LICENSES`] licenses).
fn licenses(out: &mut String, target: &str, summary: &assay_core::LicenseSummary) {
    let _ = writeln!(
        out,
        "Licenses of `{}` ({} package(s)):\n",
        escape(target),
        summary.packages
    );
    out.push_str("| Category | Packages |\n|---|---:|\n");
    for (category, n) in summary.categories_in_order() {
        let _ = writeln!(out, "| {category} | {n} |");
    }
    if summary.without_license > 0 {
        let _ = writeln!(out, "| no license found | {} |", summary.without_license);
    }
    let top: Vec<String> = summary
        .top(super::table::TOP_LICENSES)
        .iter()
        .map(|(l, n)| format!("{} ({n})", escape(l)))
        .collect();
    if !top.is_empty() {
        let more = summary
            .licenses
            .len()
            .saturating_sub(super::table::TOP_LICENSES);
        let _ = write!(out, "\nMost used: {}", top.join(", "));
        if more > 0 {
            let _ = write!(out, " and {more} more");
        }
        out.push_str(".\n");
    }
    out.push('\n');
}

/// Renders the summary.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "## assay scan: {}\n", escape(&report.artifact));
    out.push_str(
        "| CRITICAL | HIGH | MEDIUM | LOW | INFO | UNKNOWN |\n|---:|---:|---:|---:|---:|---:|\n|",
    );
    for (_, n) in report.counts_by_severity() {
        let _ = write!(out, " {n} |");
    }
    out.push_str("\n\n");
    let _ = writeln!(
        out,
        "{} target(s) scanned, {} finding(s), {} suppressed.\n",
        report.targets.len(),
        report.findings.len(),
        report.suppressed.len()
    );
    for target in &report.targets {
        if let Some(base) = &target.base_image {
            let _ = writeln!(
                out,
                "Base image of `{}`: {}.\n",
                escape(&target.name),
                escape(&base.describe())
            );
        }
    }
    for (target, summary) in &report.license_summary {
        licenses(&mut out, target, summary);
    }
    if report.findings.is_empty() {
        out.push_str("No findings.\n");
    } else {
        let mut by_severity: Vec<&Finding> = report.findings.iter().collect();
        by_severity.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then_with(|| a.sort_key().cmp(&b.sort_key()))
        });
        out.push_str("| Severity | Rule | Location | Finding |\n|---|---|---|---|\n");
        let mut shown = 0;
        for f in &by_severity {
            let line = row(f);
            if shown == MAX_ROWS || out.len() + line.len() > MAX_BYTES - 256 {
                break;
            }
            out.push_str(&line);
            shown += 1;
        }
        if shown < by_severity.len() {
            let _ = writeln!(
                out,
                "\n{} more finding(s) not listed; see the full report.",
                by_severity.len() - shown
            );
        }
    }
    if !report.errors.is_empty() {
        out.push_str("\n### Errors\n\n");
        for e in &report.errors {
            let line = format!("- {}\n", escape(&e.message));
            if out.len() + line.len() > MAX_BYTES {
                break;
            }
            out.push_str(&line);
        }
    }
    out
}

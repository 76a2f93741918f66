//! Human output: findings grouped by target, most severe first within a line-ordered list.
//!
//! Colours are four ANSI escapes written here rather than through a colour crate: the CLI
//! already decides whether colour is wanted (TTY, `NO_COLOR`), so all that is left is wrapping.

use std::fmt::Write;

use assay_core::{Finding, LicenseSummary, Report, Severity};

/// Licenses listed by name in the summary lines; the JSON report has them all.
pub const TOP_LICENSES: usize = 5;

/// The two lines of a target's license summary: packages per category, then the most
/// used licenses.
fn license_lines(summary: &LicenseSummary) -> [String; 2] {
    let mut categories: Vec<String> = summary
        .categories_in_order()
        .iter()
        .map(|(c, n)| format!("{c} {n}"))
        .collect();
    if summary.without_license > 0 {
        categories.push(format!("no license found {}", summary.without_license));
    }
    let top: Vec<String> = summary
        .top(TOP_LICENSES)
        .iter()
        .map(|(l, n)| format!("{l} ({n})"))
        .collect();
    let more = summary.licenses.len().saturating_sub(TOP_LICENSES);
    [
        format!(
            "licenses: {} package(s): {}",
            summary.packages,
            if categories.is_empty() {
                "none".to_string()
            } else {
                categories.join(", ")
            }
        ),
        format!(
            "top licenses: {}{}",
            if top.is_empty() {
                "none".to_string()
            } else {
                top.join(", ")
            },
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        ),
    ]
}

fn paint(text: &str, severity: Severity, color: bool) -> String {
    if !color {
        return text.to_string();
    }
    let code = match severity {
        Severity::Critical => "1;31",
        Severity::High => "31",
        Severity::Medium => "33",
        Severity::Low => "34",
        Severity::Info | Severity::Unknown => "2",
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}

fn bold(text: &str, color: bool) -> String {
    if color {
        format!("\x1b[1m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

/// Renders the table; `color` adds ANSI escapes.
pub fn render(report: &Report, color: bool) -> String {
    let mut out = String::new();
    for target in &report.targets {
        let findings: Vec<&Finding> = report
            .findings
            .iter()
            .filter(|f| f.target == target.name)
            .collect();
        let suppressed = report
            .suppressed
            .iter()
            .filter(|f| f.target == target.name)
            .count();
        let _ = writeln!(out, "{} ({})", bold(&target.name, color), target.kind);
        let _ = writeln!(
            out,
            "{}",
            "=".repeat(target.name.chars().count() + target.kind.len() + 3)
        );
        if let Some(base) = &target.base_image {
            let _ = writeln!(out, "Base image: {}", base.describe());
        }
        let mut counts = String::new();
        for sev in Severity::ALL_DESCENDING {
            let n = findings.iter().filter(|f| f.severity == sev).count();
            if n > 0 {
                let _ = write!(
                    counts,
                    "{}{sev}: {n}",
                    if counts.is_empty() { "" } else { ", " }
                );
            }
        }
        let _ = writeln!(
            out,
            "findings: {}{}{}",
            findings.len(),
            if counts.is_empty() {
                String::new()
            } else {
                format!(" ({counts})")
            },
            if suppressed > 0 {
                format!(", suppressed: {suppressed}")
            } else {
                String::new()
            }
        );
        if let Some(summary) = report.license_summary.get(&target.name) {
            for line in license_lines(summary) {
                let _ = writeln!(out, "{line}");
            }
        }
        if !findings.is_empty() {
            out.push('\n');
        }
        for f in findings {
            let sev = format!("{:<8}", f.severity.as_str());
            let _ = writeln!(
                out,
                "  {} {} {}",
                paint(&sev, f.severity, color),
                f.rule_id,
                f.location.display()
            );
            let _ = writeln!(out, "           {}", f.title);
            if f.message != f.title {
                let _ = writeln!(out, "           {}", f.message);
            }
            if let Some(resource) = &f.resource {
                let _ = writeln!(out, "           resource: {resource}");
            }
            if let Some(origin) = f.origin {
                let _ = writeln!(out, "           from: {origin}");
            }
            if let Some(fix) = &f.fix {
                let _ = writeln!(out, "           fix: {fix}");
            }
        }
        out.push('\n');
    }
    if !report.errors.is_empty() {
        let _ = writeln!(out, "{}", bold("errors", color));
        for e in &report.errors {
            let _ = writeln!(out, "  {}", e.message);
        }
        out.push('\n');
    }
    let total = report.findings.len();
    let _ = write!(
        out,
        "{} target(s) scanned, {total} finding(s)",
        report.targets.len()
    );
    if !report.suppressed.is_empty() {
        let _ = write!(out, ", {} suppressed", report.suppressed.len());
    }
    if report.filtered_out > 0 {
        let _ = write!(
            out,
            ", {} below the --severity filter not shown",
            report.filtered_out
        );
    }
    out.push('\n');
    out
}

//! JUnit XML for Jenkins' `junit` step and GitLab's `artifacts:reports:junit`: one test suite
//! per target, one test case per rule checked on it, a failure listing that rule's findings.

use std::collections::BTreeMap;

use assay_core::{Finding, Report, Severity};

/// XML-escapes text for attributes and element content (quick-xml's escaping, which also
/// covers quotes).
fn esc(text: &str) -> String {
    // XML 1.0 cannot carry most control characters even escaped; drop them.
    let clean: String = text
        .chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\t' | '\r'))
        .collect();
    quick_xml::escape::escape(clean.as_str()).into_owned()
}

/// Renders the XML document.
pub fn render(report: &Report) -> String {
    let mut suites = String::new();
    let (mut total_tests, mut total_failures, mut total_errors) = (0usize, 0usize, 0usize);
    for target in &report.targets {
        let mut cases: BTreeMap<&str, (Vec<&Finding>, usize)> = BTreeMap::new();
        for rule in &target.rules_checked {
            cases.entry(rule.id.as_str()).or_default();
        }
        for f in report.findings.iter().filter(|f| f.target == target.name) {
            cases.entry(f.rule_id.as_str()).or_default().0.push(f);
        }
        for f in report.suppressed.iter().filter(|f| f.target == target.name) {
            cases.entry(f.rule_id.as_str()).or_default().1 += 1;
        }
        let failures = cases.values().filter(|(f, _)| !f.is_empty()).count();
        let skipped = cases
            .values()
            .filter(|(f, s)| f.is_empty() && *s > 0)
            .count();
        total_tests += cases.len();
        total_failures += failures;
        suites.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\">\n",
            esc(&target.name),
            cases.len()
        ));
        for (id, (findings, suppressed)) in &cases {
            let title = report
                .rules
                .get(*id)
                .map(|r| r.title.as_str())
                .or_else(|| {
                    target
                        .rules_checked
                        .iter()
                        .find(|r| r.id == *id)
                        .map(|r| r.title.as_str())
                })
                .unwrap_or("");
            let name = if title.is_empty() {
                id.to_string()
            } else {
                format!("{id}: {title}")
            };
            suites.push_str(&format!(
                "    <testcase classname=\"{}\" name=\"{}\"",
                esc(&target.name),
                esc(&name)
            ));
            if findings.is_empty() && *suppressed == 0 {
                suites.push_str("/>\n");
                continue;
            }
            suites.push_str(">\n");
            if findings.is_empty() {
                suites.push_str(&format!(
                    "      <skipped message=\"{suppressed} finding(s) suppressed\"/>\n"
                ));
            } else {
                let worst = findings
                    .iter()
                    .map(|f| f.severity)
                    .max()
                    .unwrap_or(Severity::Unknown);
                let body: Vec<String> = findings
                    .iter()
                    .map(|f| format!("{} {} {}", f.severity, f.location.display(), f.message))
                    .collect();
                suites.push_str(&format!(
                    "      <failure message=\"{} finding(s), worst {worst}\" type=\"{worst}\">{}</failure>\n",
                    findings.len(),
                    esc(&body.join("\n"))
                ));
            }
            suites.push_str("    </testcase>\n");
        }
        suites.push_str("  </testsuite>\n");
    }
    if !report.errors.is_empty() {
        total_tests += report.errors.len();
        total_errors += report.errors.len();
        suites.push_str(&format!(
            "  <testsuite name=\"scan errors\" tests=\"{}\" failures=\"0\" errors=\"{}\" skipped=\"0\">\n",
            report.errors.len(),
            report.errors.len()
        ));
        for e in &report.errors {
            suites.push_str(&format!(
                "    <testcase classname=\"{}\" name=\"scan\">\n      <error message=\"{}\"/>\n    </testcase>\n",
                esc(&e.target),
                esc(&e.message)
            ));
        }
        suites.push_str("  </testsuite>\n");
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"assay\" tests=\"{total_tests}\" failures=\"{total_failures}\" errors=\"{total_errors}\">\n{suites}</testsuites>\n"
    )
}

//! GitLab security reports (schema 15.2.1): `sast` for misconfigurations and other rule
//! findings, `container_scanning` for vulnerabilities in images, `dependency_scanning` for
//! vulnerabilities found in lock files. GitLab wants one artifact per report type, so each
//! type only carries the findings it can describe.

use assay_core::{Finding, FindingKind, Report, Severity};
use serde_json::{Value, json};

use crate::RenderError;

/// The report schema version these documents follow.
pub const SCHEMA_VERSION: &str = "15.2.1";

/// Which GitLab report to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GitlabReportType {
    /// `artifacts:reports:sast`: misconfigurations, secrets, baselines, licenses, malware.
    Sast,
    /// `artifacts:reports:container_scanning`: vulnerabilities of an image's packages.
    ContainerScanning,
    /// `artifacts:reports:dependency_scanning`: vulnerabilities of lock-file dependencies.
    DependencyScanning,
}

impl GitlabReportType {
    /// The `scan.type` value.
    pub fn as_str(self) -> &'static str {
        match self {
            GitlabReportType::Sast => "sast",
            GitlabReportType::ContainerScanning => "container_scanning",
            GitlabReportType::DependencyScanning => "dependency_scanning",
        }
    }

    /// Picks the type that describes the report: images give container scanning, other
    /// vulnerability findings dependency scanning, everything else SAST.
    pub fn for_report(report: &Report) -> Self {
        if report.targets.iter().any(|t| t.kind == "image") {
            GitlabReportType::ContainerScanning
        } else if report
            .findings
            .iter()
            .any(|f| f.kind == FindingKind::Vulnerability)
        {
            GitlabReportType::DependencyScanning
        } else {
            GitlabReportType::Sast
        }
    }

    fn carries(self, finding: &Finding) -> bool {
        let vuln = finding.kind == FindingKind::Vulnerability;
        match self {
            GitlabReportType::Sast => !vuln,
            GitlabReportType::ContainerScanning | GitlabReportType::DependencyScanning => vuln,
        }
    }
}

fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "Critical",
        Severity::High => "High",
        Severity::Medium => "Medium",
        Severity::Low => "Low",
        Severity::Info => "Info",
        Severity::Unknown => "Unknown",
    }
}

/// GitLab recommends UUIDs; derive one from the stable finding id so it survives re-runs.
fn uuid_from(id: &str) -> String {
    let hex: String = id
        .chars()
        .filter(char::is_ascii_hexdigit)
        .chain(std::iter::repeat('0'))
        .take(32)
        .collect();
    format!(
        "{}-{}-5{}-8{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[13..16],
        &hex[17..20],
        &hex[20..32]
    )
}

fn timestamp(secs: i64) -> String {
    jiff::Timestamp::from_second(secs)
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .strftime("%Y-%m-%dT%H:%M:%S")
        .to_string()
}

fn identifiers(f: &Finding, report: &Report) -> Value {
    let id = f.rule_id.as_str();
    let (kind, url) = if id.starts_with("CVE-") {
        ("cve", format!("https://nvd.nist.gov/vuln/detail/{id}"))
    } else if id.starts_with("GHSA-") {
        ("ghsa", format!("https://github.com/advisories/{id}"))
    } else if f.kind == FindingKind::Vulnerability {
        ("osv", format!("https://osv.dev/vulnerability/{id}"))
    } else {
        (
            "assay_rule",
            report
                .rules
                .get(id)
                .and_then(|r| r.help_uri.clone())
                .unwrap_or_default(),
        )
    };
    let mut ident = json!({ "type": kind, "name": id, "value": id });
    if let (false, Some(o)) = (url.is_empty(), ident.as_object_mut()) {
        o.insert("url".into(), json!(url));
    }
    json!([ident])
}

fn location(f: &Finding, kind: GitlabReportType, report: &Report) -> Value {
    let dependency = || {
        let (name, version) = f
            .package
            .as_ref()
            .map_or(("unknown", ""), |p| (p.name.as_str(), p.version.as_str()));
        json!({ "package": { "name": name }, "version": version })
    };
    match kind {
        GitlabReportType::Sast => {
            let mut loc = json!({ "file": f.location.path });
            if let (Some(line), Some(o)) = (f.location.line, loc.as_object_mut()) {
                o.insert("start_line".into(), json!(line));
                o.insert(
                    "end_line".into(),
                    json!(f.location.end_line.unwrap_or(line)),
                );
            }
            loc
        }
        GitlabReportType::ContainerScanning => {
            let os = f
                .package
                .as_ref()
                .map_or("unknown", |p| p.ecosystem.as_str());
            json!({ "dependency": dependency(), "operating_system": if os.is_empty() { "unknown" } else { os }, "image": report.artifact })
        }
        GitlabReportType::DependencyScanning => {
            json!({ "file": if f.location.path.is_empty() { &f.target } else { &f.location.path }, "dependency": dependency() })
        }
    }
}

/// Renders the report; `kind` None picks [`GitlabReportType::for_report`].
pub fn render(
    report: &Report,
    kind: Option<GitlabReportType>,
    scan_time: (i64, i64),
) -> Result<Vec<u8>, RenderError> {
    let kind = kind.unwrap_or_else(|| GitlabReportType::for_report(report));
    let vulnerabilities: Vec<Value> = report
        .findings
        .iter()
        .filter(|f| kind.carries(f))
        .map(|f| {
            let mut v = json!({
                "id": uuid_from(&f.id),
                "name": f.title,
                "description": f.message,
                "severity": severity(f.severity),
                "identifiers": identifiers(f, report),
                "location": location(f, kind, report),
            });
            if let (Some(fix), Some(o)) = (&f.fix, v.as_object_mut()) {
                o.insert("solution".into(), json!(fix));
            }
            v
        })
        .collect();
    let tool = json!({
        "id": "assay",
        "name": "assay",
        "version": report.tool.version,
        "vendor": { "name": "assay" },
        "url": "https://github.com/assay-dev/assay",
    });
    let doc = json!({
        "version": SCHEMA_VERSION,
        "scan": {
            "analyzer": tool,
            "scanner": tool,
            "type": kind.as_str(),
            "start_time": timestamp(scan_time.0),
            "end_time": timestamp(scan_time.1),
            "status": if report.errors.is_empty() { "success" } else { "failure" },
            "messages": report.errors.iter().map(|e| json!({ "level": "fatal", "value": e.message })).collect::<Vec<_>>(),
        },
        "vulnerabilities": vulnerabilities,
    });
    let mut out =
        serde_json::to_vec_pretty(&doc).map_err(|e| RenderError::Serialize(e.to_string()))?;
    out.push(b'\n');
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_stable_and_shaped() {
        let u = uuid_from("0123456789abcdef0123456789abcdef");
        assert_eq!(u, "01234567-89ab-5def-8123-456789abcdef");
        assert_eq!(uuid_from("short").len(), 36);
    }

    #[test]
    fn times_have_gitlabs_shape() {
        assert_eq!(timestamp(0), "1970-01-01T00:00:00");
    }
}

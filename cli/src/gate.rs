//! The build gate: which findings fail the build, kept apart from which are reported.
//!
//! `--fail-on HIGH` applies to every scanner; `--fail-on vuln=HIGH,secret=LOW` sets a
//! threshold per scanner (scanners not named never fail); `--fail-on none` never fails.

use std::collections::BTreeMap;
use std::str::FromStr;

use assay_core::{Finding, FindingKind, Severity};

/// Thresholds that fail the build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FailOn {
    /// Never fail on findings.
    Never,
    /// One threshold for every kind.
    All(Severity),
    /// A threshold per kind; kinds not listed never fail.
    PerKind(BTreeMap<FindingKind, Severity>),
}

impl Default for FailOn {
    /// Any finding fails, as hadolint and Checkov do: a gate that passes silently by default
    /// is the surprise users complain about.
    fn default() -> Self {
        FailOn::All(Severity::Unknown)
    }
}

impl FromStr for FailOn {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("none") || s.eq_ignore_ascii_case("never") {
            return Ok(FailOn::Never);
        }
        if !s.contains('=') {
            return s
                .parse::<Severity>()
                .map(FailOn::All)
                .map_err(|e| format!("--fail-on: {e}"));
        }
        let mut map = BTreeMap::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (scanner, sev) = part
                .split_once('=')
                .ok_or_else(|| format!("--fail-on: {part:?} should be SCANNER=SEVERITY"))?;
            let kind = FindingKind::from_scanner_name(scanner).ok_or_else(|| {
                format!("--fail-on: unknown scanner {scanner:?} (expected vuln, misconfig, secret, malware, license or baseline)")
            })?;
            let sev = sev
                .parse::<Severity>()
                .map_err(|e| format!("--fail-on: {e}"))?;
            map.insert(kind, sev);
        }
        Ok(FailOn::PerKind(map))
    }
}

impl FailOn {
    /// Whether this finding fails the build.
    pub fn fails(&self, finding: &Finding) -> bool {
        match self {
            FailOn::Never => false,
            FailOn::All(threshold) => finding.severity >= *threshold,
            FailOn::PerKind(map) => map
                .get(&finding.kind)
                .is_some_and(|t| finding.severity >= *t),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use assay_core::Location;

    fn finding(kind: FindingKind, severity: Severity) -> Finding {
        Finding::new(kind, "X", severity, "t", "m", "f", Location::default(), "")
    }

    #[test]
    fn overall_threshold_compares_by_severity() {
        let gate: FailOn = "medium".parse().unwrap_or(FailOn::Never);
        assert!(gate.fails(&finding(FindingKind::Misconfig, Severity::High)));
        assert!(!gate.fails(&finding(FindingKind::Misconfig, Severity::Low)));
    }

    #[test]
    fn per_scanner_thresholds_leave_other_scanners_alone() {
        let gate: FailOn = "vuln=HIGH,secret=LOW".parse().unwrap_or(FailOn::Never);
        assert!(gate.fails(&finding(FindingKind::Secret, Severity::Low)));
        assert!(!gate.fails(&finding(FindingKind::Vulnerability, Severity::Medium)));
        assert!(!gate.fails(&finding(FindingKind::Misconfig, Severity::Critical)));
    }

    #[test]
    fn rejects_unknown_scanners_and_severities() {
        assert!("vulns=HIGH,foo=LOW".parse::<FailOn>().is_err());
        assert!("HIGHEST".parse::<FailOn>().is_err());
        assert_eq!("none".parse::<FailOn>(), Ok(FailOn::Never));
    }

    #[test]
    fn default_fails_on_any_finding() {
        assert!(FailOn::default().fails(&finding(FindingKind::Misconfig, Severity::Info)));
    }
}

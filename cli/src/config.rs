//! `assay.yaml`: the settings a team keeps in its repository. Flags win over `ASSAY_*`
//! environment variables (clap reads those), which win over this file, which wins over the
//! defaults.

use std::path::{Path, PathBuf};

use assay_iac::IacOptions;
use serde::Deserialize;

/// A threshold written as one severity or a map of scanner to severity.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum FailOnSetting {
    /// `fail-on: HIGH`
    One(String),
    /// `fail-on: {vuln: HIGH, secret: LOW}`
    PerScanner(std::collections::BTreeMap<String, String>),
}

impl FailOnSetting {
    /// The same value in `--fail-on` syntax.
    pub fn as_flag(&self) -> String {
        match self {
            FailOnSetting::One(s) => s.clone(),
            FailOnSetting::PerScanner(map) => map
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(","),
        }
    }
}

/// The file's contents; every key is optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct Config {
    /// Severities to report.
    pub severity: Option<Vec<String>>,
    /// What fails the build.
    pub fail_on: Option<FailOnSetting>,
    /// Exit code for a failed build.
    pub exit_code: Option<u8>,
    /// Report format.
    pub format: Option<String>,
    /// Report file.
    pub output: Option<PathBuf>,
    /// Template for `format: template`.
    pub template: Option<PathBuf>,
    /// Drop vulnerabilities without a fix.
    pub ignore_unfixed: Option<bool>,
    /// Ignore file path.
    pub ignorefile: Option<PathBuf>,
    /// Scanners to run.
    pub scanners: Option<Vec<String>>,
    /// Rego policy directories.
    pub policy: Option<Vec<PathBuf>>,
    /// Rego namespaces.
    pub namespaces: Option<Vec<String>>,
    /// Dockerfile and Kubernetes rule settings.
    pub iac: IacOptions,
    /// Secret rules to turn off and allow-list entries (`secrets:`).
    pub secrets: assay_analyze::secrets::SecretsConfig,
    /// License policy (`licenses:`): allow, deny, per-category actions.
    pub licenses: assay_analyze::license::LicensePolicy,
    /// Compliance baseline (`baseline:`): profile files, disabled rules, trusted registries.
    pub baseline: assay_analyze::baseline::BaselineConfig,
    /// Vulnerability database sources and staleness (`assay db update`).
    pub db: crate::db_cmd::DbConfig,
    /// Golden base images an image may be built on (references, or a name with diff-ids).
    pub golden_images: Option<Vec<crate::scan::base::GoldenSetting>>,
}

/// Reads `explicit` (an error if missing), else `./assay.yaml` when present, else defaults.
pub fn load(explicit: Option<&Path>) -> Result<Config, String> {
    let (path, required) = match explicit {
        Some(p) => (p.to_path_buf(), true),
        None => (PathBuf::from("assay.yaml"), false),
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => {
            return Ok(Config::default());
        }
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    parse(&path.display().to_string(), &text)
}

/// Parses the YAML text; errors name `name:line`.
pub fn parse(name: &str, text: &str) -> Result<Config, String> {
    if text.trim().is_empty() {
        return Ok(Config::default());
    }
    yaml_serde::from_str(text).map_err(|e| match e.location() {
        Some(loc) => format!("{name}:{}: {e}", loc.line()),
        None => format!("{name}: {e}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_kebab_case_keys_and_the_iac_section() {
        let cfg = parse(
            "assay.yaml",
            "fail-on:\n  vuln: HIGH\n  misconfig: MEDIUM\nexit-code: 7\niac:\n  allowed-registries: [registry.example.com]\n  disable: [ASSAY-DF-003]\n",
        )
        .unwrap_or_default();
        assert_eq!(cfg.exit_code, Some(7));
        assert_eq!(
            cfg.fail_on.map(|f| f.as_flag()),
            Some("misconfig=MEDIUM,vuln=HIGH".to_string())
        );
        assert_eq!(cfg.iac.disable, vec!["ASSAY-DF-003".to_string()]);
    }

    #[test]
    fn unknown_keys_are_errors_naming_the_line() {
        let err = parse("assay.yaml", "severity: [HIGH]\nfail_on: HIGH\n")
            .err()
            .unwrap_or_default();
        assert!(err.starts_with("assay.yaml:2:"), "{err}");
    }
}

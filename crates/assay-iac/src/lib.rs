//! Infrastructure-as-code scanning: Dockerfiles and Kubernetes manifests parsed with their
//! line spans, checked by the built-in rules.
//!
//! Both scanners return every finding their rules produce; [`IacOptions::apply`] then applies
//! the user's settings (opt-in rules, disabled rules, severity overrides, profiles) in one place
//! so that each rule stays a plain check.
#![deny(missing_docs)]

use std::collections::BTreeMap;
use std::fmt;

use assay_core::{Finding, Rule, Severity};
use serde::Deserialize;

pub mod dockerfile;
pub mod image_ref;
pub mod k8s;
pub mod rego;
pub mod secret_name;

/// Every built-in IaC rule, Dockerfile rules first.
pub fn rules() -> impl Iterator<Item = &'static Rule> {
    dockerfile::RULES.iter().chain(k8s::RULES.iter())
}

/// Looks a built-in rule up by id.
pub fn rule(id: &str) -> Option<&'static Rule> {
    rules().find(|r| r.id == id)
}

/// A document that could not be parsed: names the file and, when known, the line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ParseError {
    /// The file (or `-` for standard input).
    pub path: String,
    /// 1-based line, when known.
    pub line: Option<u32>,
    /// What is wrong, lower case.
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.path, self.message),
            None => write!(f, "{}: {}", self.path, self.message),
        }
    }
}

/// A Pod Security Standards profile: keeps only the Kubernetes rules of that level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Profile {
    /// PSS baseline controls only.
    PssBaseline,
    /// PSS baseline and restricted controls.
    PssRestricted,
}

/// User settings for the IaC rules (the `iac:` section of `assay.yaml`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct IacOptions {
    /// Registries (or registry path prefixes such as `registry.example.com/golden/`) that
    /// images may come from. Empty: the check is off.
    pub allowed_registries: Vec<String>,
    /// Golden base images (repository names, optionally with a tag) that a Dockerfile's final
    /// `FROM` must use. Empty: the check is off.
    pub golden_images: Vec<String>,
    /// Opt-in rules to turn on.
    pub enable: Vec<String>,
    /// Rules to turn off.
    pub disable: Vec<String>,
    /// Severity overrides by rule id.
    pub severity: BTreeMap<String, Severity>,
    /// Restrict Kubernetes rules to a Pod Security Standards profile.
    pub profile: Option<Profile>,
}

impl IacOptions {
    /// Drops findings of disabled and not-enabled opt-in rules, drops Kubernetes rules outside
    /// the profile, and applies severity overrides.
    pub fn apply(&self, findings: Vec<Finding>) -> Vec<Finding> {
        findings
            .into_iter()
            .filter(|f| self.is_active(&f.rule_id))
            .map(|mut f| {
                if let Some(sev) = self.severity.get(&f.rule_id) {
                    f.severity = *sev;
                }
                f
            })
            .collect()
    }

    /// Whether the rule `id` runs under these settings. Ids of non-built-in rules (Rego) are
    /// active unless disabled.
    pub fn is_active(&self, id: &str) -> bool {
        if self.disable.iter().any(|d| d == id) {
            return false;
        }
        let Some(rule) = rule(id) else { return true };
        if rule.opt_in && !self.enable.iter().any(|e| e == id) {
            return false;
        }
        match (self.profile, rule.target) {
            (Some(profile), assay_core::RuleTarget::Kubernetes) => {
                let levels: &[&str] = match profile {
                    Profile::PssBaseline => &["pss:baseline"],
                    Profile::PssRestricted => &["pss:baseline", "pss:restricted"],
                };
                rule.equivalents
                    .iter()
                    .any(|e| levels.iter().any(|l| e.starts_with(l)))
            }
            _ => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_ids_are_unique_and_well_formed() {
        let mut seen = std::collections::BTreeSet::new();
        for rule in rules() {
            assert!(seen.insert(rule.id), "duplicate rule id {}", rule.id);
            let prefix = match rule.target {
                assay_core::RuleTarget::Dockerfile => "ASSAY-DF-",
                assay_core::RuleTarget::Kubernetes => "ASSAY-K8S-",
                other => panic!("unexpected target {other:?}"),
            };
            assert!(
                rule.id.starts_with(prefix),
                "{} should start with {prefix}",
                rule.id
            );
            assert!(
                !rule.title.is_empty()
                    && !rule.description.is_empty()
                    && !rule.remediation.is_empty()
            );
        }
    }
}

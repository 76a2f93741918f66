//! Built-in rule metadata.

use serde::Serialize;

use crate::Severity;

/// What kind of input a rule inspects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleTarget {
    /// Dockerfiles and Containerfiles.
    Dockerfile,
    /// Kubernetes manifests.
    Kubernetes,
    /// File contents (secret patterns).
    Secret,
    /// Compliance baselines.
    Baseline,
    /// License policy.
    License,
    /// Kubernetes audit-log events (`assay audit-log`).
    Audit,
}

/// A built-in check, documented where it is defined.
///
/// Every field is static so that the rule list is a plain `&'static [Rule]` that `assay rules`,
/// the generated docs and the SARIF `rules[]` all read, and so that ids never drift between them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Rule {
    /// Stable identifier such as `ASSAY-DF-001`; its meaning never changes once released.
    pub id: &'static str,
    /// What the rule inspects.
    pub target: RuleTarget,
    /// Default severity (`assay.yaml` may override it).
    pub severity: Severity,
    /// One line saying what is wrong, phrased as the problem.
    pub title: &'static str,
    /// Why it matters.
    pub description: &'static str,
    /// How to fix it.
    pub remediation: &'static str,
    /// The same check in other tools and benchmarks (`hadolint:DL3007`, `cis-docker:4.1`), so
    /// users migrating can map their suppressions.
    pub equivalents: &'static [&'static str],
    /// Off unless enabled in `assay.yaml` (checks that many teams reject, such as version pins).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub opt_in: bool,
}

impl Rule {
    /// The documentation page for the rule, used as SARIF `helpUri` and in table output.
    pub fn help_uri(&self) -> String {
        let family = match self.target {
            RuleTarget::Dockerfile => "dockerfile",
            RuleTarget::Kubernetes => "kubernetes",
            RuleTarget::Secret => "secret",
            RuleTarget::Baseline => "baselines",
            RuleTarget::License => "licenses",
            RuleTarget::Audit => "audit",
        };
        format!(
            "https://github.com/assay-dev/assay/blob/main/docs/rules/{family}.md#{}",
            self.id.to_ascii_lowercase()
        )
    }
}

/// Rule documentation carried inside a [`crate::Report`], owned so that rules defined at run
/// time (Rego policies) are described the same way as built-in ones.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct RuleDoc {
    /// Rule id.
    pub id: String,
    /// One-line title.
    pub title: String,
    /// Why it matters.
    pub description: String,
    /// How to fix it.
    #[serde(default)]
    pub remediation: String,
    /// Default severity.
    pub severity: Severity,
    /// Documentation link.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help_uri: Option<String>,
    /// Equivalent ids in other tools.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub equivalents: Vec<String>,
}

impl From<&Rule> for RuleDoc {
    fn from(rule: &Rule) -> Self {
        RuleDoc {
            id: rule.id.to_string(),
            title: rule.title.to_string(),
            description: rule.description.to_string(),
            remediation: rule.remediation.to_string(),
            severity: rule.severity,
            help_uri: Some(rule.help_uri()),
            equivalents: rule.equivalents.iter().map(|e| e.to_string()).collect(),
        }
    }
}

//! Promotion requirements written in Rego: the policy file's `rego` entry names Rego files
//! (or folders) whose package `assay.promote` holds Conftest-style `deny` rules. They are
//! evaluated by assay-iac's engine (regorus, the one `assay scan --policy` uses, so Rego v0
//! and v1 syntax, `# METADATA` and data files work the same) over a document of verified
//! evidence ([`input`], documented in docs/promotion.md).
//!
//! Trust stays in the YAML: which keys count is configuration assay checks with
//! cryptography before Rego sees anything; the Rego rules decide what evidence is enough.
//! Every result of a rule denies the promotion and becomes one failed requirement row
//! (named by the result's `id`, else `assay.promote.deny`); when no rule fires, one passing
//! row says so.

use std::path::{Path, PathBuf};

use assay_iac::rego::{EvalContext, PolicySet};
use serde_json::{Value, json};

use crate::evaluate::Requirement;

/// The package the promotion rules live in.
pub const NAMESPACE: &str = "assay.promote";

/// Rego promotion rules, loaded and compiled once.
#[derive(Debug, Clone)]
pub struct RegoRules {
    /// The files and folders as the policy names them (for the table).
    pub names: Vec<String>,
    set: PolicySet,
}

impl RegoRules {
    /// Loads `paths` (relative to `base`); an error is one line naming the file.
    pub fn load(base: &Path, paths: &[String]) -> Result<RegoRules, String> {
        let roots: Vec<PathBuf> = paths.iter().map(|p| base.join(p)).collect();
        let set = PolicySet::load(&roots, &[NAMESPACE.to_string()]).map_err(|e| e.to_string())?;
        if !set.packages().iter().any(|p| p == NAMESPACE) {
            return Err(format!(
                "rego: no package {NAMESPACE} in {} (found: {})",
                paths.join(", "),
                if set.packages().is_empty() {
                    "none".to_string()
                } else {
                    set.packages().join(", ")
                }
            ));
        }
        Ok(RegoRules {
            names: paths.to_vec(),
            set,
        })
    }

    /// The requirement rows for `input`: one failed row per result, or one passing row.
    /// An evaluation error fails closed, as a failed row with the error.
    pub fn requirements(&self, input: &Value, policy: &Path) -> Vec<Requirement> {
        let ctx = EvalContext {
            target: input["image"]["source"].as_str().unwrap_or_default().into(),
            path: policy.display().to_string(),
            line: 1,
            resource: None,
        };
        let names = self.names.join(", ");
        match self.set.evaluate(input, &ctx) {
            Ok(evaluation) if evaluation.findings.is_empty() => vec![Requirement {
                requirement: "rego".into(),
                passed: true,
                why: format!("no {NAMESPACE} rule denies ({names})"),
            }],
            Ok(evaluation) => evaluation
                .findings
                .into_iter()
                .map(|f| Requirement {
                    requirement: f.rule_id,
                    passed: false,
                    why: f.message,
                })
                .collect(),
            Err(e) => vec![Requirement {
                requirement: "rego".into(),
                passed: false,
                why: format!("evaluating {names}: {e}"),
            }],
        }
    }
}

/// One entry of `input.scans`.
pub(crate) fn scan_entry(
    signer: &str,
    facts: &crate::evaluate::ScanFacts,
    now: i64,
) -> serde_json::Value {
    let highest = facts
        .counts
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(s, _)| *s)
        .max();
    json!({
        "signer": signer,
        "time": facts.time,
        "ageSeconds": facts.time.map(|t| now - t),
        "counts": facts.counts.iter().map(|(s, n)| (s.as_str(), *n)).collect::<std::collections::BTreeMap<_, _>>(),
        "highest": highest.map_or("NONE", |s| s.as_str()),
        // NONE 0, UNKNOWN 1, LOW 2, MEDIUM 3, HIGH 4, CRITICAL 5: `highestRank > 4` is
        // "anything above HIGH".
        "highestRank": highest.map_or(0, |s| s as u8),
        "ids": facts.ids.values().flatten().collect::<Vec<_>>(),
        "db": facts.db,
    })
}

//! The decision: every requirement of the policy with pass or fail and a one-line why.
//! Pure: it sees the policy, the verified evidence and the time, and does no I/O.

use std::collections::BTreeMap;

use assay_oci::Digest;
use assay_oci::copy::Location;
use serde::{Deserialize, Serialize};

use crate::approval::{self, Verdict};
use crate::evidence::{Evidence, VerifiedStatement};
use crate::external::ExternalApproval;
use crate::policy::{Policy, host_matches};
use crate::severity::Severity;

/// Predicate types accepted as an SBOM attestation (cosign's `cyclonedx` and `spdxjson`).
pub const SBOM_PREDICATES: [&str; 3] = [
    "https://cyclonedx.org/bom",
    "https://spdx.dev/Document",
    "https://spdx.dev/Document/v2.3",
];
/// Predicate type of scan attestations (cosign's `vuln`).
pub const SCAN_PREDICATE: &str = "https://cosign.sigstore.dev/attestation/vuln/v1";

/// One requirement's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requirement {
    /// What is required (`signature`, `sbom attestation`, ...).
    pub requirement: String,
    /// Whether it is met.
    pub passed: bool,
    /// Why, in one line.
    pub why: String,
}

impl Requirement {
    fn new(requirement: &str, passed: bool, why: impl Into<String>) -> Requirement {
        Requirement {
            requirement: requirement.to_string(),
            passed,
            why: why.into(),
        }
    }
}

/// All requirements; allowed when every one passed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// In policy order.
    pub requirements: Vec<Requirement>,
}

impl Decision {
    /// Whether the promotion may go ahead.
    pub fn allowed(&self) -> bool {
        self.requirements.iter().all(|r| r.passed)
    }

    /// The first failed requirement.
    pub fn first_failure(&self) -> Option<&Requirement> {
        self.requirements.iter().find(|r| !r.passed)
    }
}

/// What the decision is about.
#[derive(Debug, Clone)]
pub struct Subject<'a> {
    /// Where the image is promoted from.
    pub source: &'a Location,
    /// Its digest.
    pub digest: &'a Digest,
    /// Now, in Unix seconds (`SOURCE_DATE_EPOCH` honoured by the caller).
    pub now: i64,
}

/// Evaluates `policy` on the evidence (gathered with the policy's keys, see
/// [`Policy::evidence_keys`]). `base` is the base-image requirement, computed by the caller
/// (it reads images); `None` when the policy has none.
pub fn evaluate(
    policy: &Policy,
    subject: &Subject<'_>,
    evidence: &Evidence,
    base: Option<Requirement>,
    external: &[ExternalApproval],
) -> Decision {
    let mut out = Vec::new();
    if let Some(sources) = &policy.sources {
        out.push(match subject.source {
            Location::Registry(r) => {
                let host = r.registry();
                let ok = sources.registries.iter().any(|p| host_matches(p, host));
                Requirement::new(
                    "source registry",
                    ok,
                    if ok {
                        format!("{host} is an allowed source")
                    } else {
                        format!(
                            "{host} is not among the allowed sources ({})",
                            sources.registries.join(", ")
                        )
                    },
                )
            }
            Location::Layout { dir, .. } => Requirement::new(
                "source registry",
                sources.layouts,
                if sources.layouts {
                    format!("OCI layout {} (layouts allowed)", dir.display())
                } else {
                    "OCI layouts are not an allowed source (sources.layouts: false)".to_string()
                },
            ),
        });
    }
    if !policy.signing_keys.is_empty() {
        let ok = evidence.signatures_by(&policy.signing_keys);
        out.push(match ok.first() {
            Some(s) => Requirement::new(
                "signature",
                true,
                format!("signed by {} ({})", s.signer, s.fingerprint),
            ),
            None if !evidence.signatures_found => {
                Requirement::new("signature", false, "no signature found")
            }
            None => Requirement::new(
                "signature",
                false,
                format!(
                    "no signature by a trusted key ({})",
                    evidence
                        .signature_problems
                        .iter()
                        .map(|(key, why)| format!("{key}: {why}"))
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
            ),
        });
    }
    let statements = evidence.statements_by(&policy.attestation_keys);
    if policy.sbom {
        let sbom = statements
            .iter()
            .find(|s| SBOM_PREDICATES.contains(&s.statement.predicate_type.as_str()));
        out.push(match sbom {
            Some(s) => Requirement::new(
                "sbom attestation",
                true,
                format!("{} signed by {}", s.statement.predicate_type, s.signer),
            ),
            None => Requirement::new(
                "sbom attestation",
                false,
                format!(
                    "no SBOM attestation by a trusted key{}",
                    evidence
                        .unverified_reason(&SBOM_PREDICATES)
                        .map(|w| format!(" ({w})"))
                        .unwrap_or_default()
                ),
            ),
        });
    }
    if let Some(rule) = &policy.scan {
        let unverified = evidence.unverified_reason(&[SCAN_PREDICATE]);
        out.push(scan_requirement(
            rule,
            &statements,
            unverified.as_deref(),
            subject.now,
        ));
    }
    if let Some(base) = base {
        out.push(base);
    }
    if let Some(rule) = &policy.approvals {
        let manager_statements = evidence.statements_by(&rule.release_managers);
        out.push(approval_requirement(
            rule,
            &manager_statements,
            external,
            subject.now,
        ));
    }
    if let Some(rules) = &policy.rego {
        let input = rego_input(policy, subject, evidence, external, &out);
        out.extend(rules.requirements(&input, &policy.path));
    }
    Decision { requirements: out }
}

/// The document the policy's Rego rules see as `input` (docs/promotion.md, "Requirements in
/// Rego"): only verified evidence, each piece named by the trusted key that verifies it.
pub fn rego_input(
    policy: &Policy,
    subject: &Subject<'_>,
    evidence: &Evidence,
    external: &[ExternalApproval],
    requirements: &[Requirement],
) -> serde_json::Value {
    let statements = evidence.statements_by(&policy.evidence_keys());
    let found = approval::found(&statements, subject.now);
    let (registry, layout) = match subject.source {
        Location::Registry(r) => (Some(r.registry().to_string()), false),
        Location::Layout { .. } => (None, true),
    };
    serde_json::json!({
        "image": {
            "source": subject.source.to_string(),
            "registry": registry,
            "layout": layout,
            "digest": subject.digest.to_string(),
        },
        "now": subject.now,
        "signatures": evidence
            .signatures_by(&policy.signature_keys())
            .iter()
            .map(|s| serde_json::json!({"signer": s.signer, "fingerprint": s.fingerprint}))
            .collect::<Vec<_>>(),
        "attestations": statements
            .iter()
            .map(|s| serde_json::json!({
                "signer": s.signer,
                "predicateType": s.statement.predicate_type,
                "predicate": s.statement.predicate,
            }))
            .collect::<Vec<_>>(),
        "scans": statements
            .iter()
            .filter(|s| s.statement.predicate_type == SCAN_PREDICATE)
            .map(|s| {
                crate::rego::scan_entry(&s.signer, &scan_facts(&s.statement.predicate), subject.now)
            })
            .collect::<Vec<_>>(),
        "approvals": votes(&found, external)
            .iter()
            .map(|v| serde_json::json!({
                "person": v.person,
                "decision": v.decision,
                "channel": v.channel.unwrap_or("signed"),
                "comment": v.comment,
            }))
            .collect::<Vec<_>>(),
        "requirements": requirements,
    })
}

/// A scan attestation's facts.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ScanFacts {
    /// When the scan finished (Unix seconds).
    pub time: Option<i64>,
    /// Findings by severity.
    pub counts: BTreeMap<Severity, u64>,
    /// Vulnerability ids by severity (for the why).
    pub ids: BTreeMap<Severity, Vec<String>>,
    /// Database version.
    pub db: Option<String>,
}

/// Reads the cosign `vuln` predicate (fields documented in docs/promotion.md).
pub fn scan_facts(predicate: &serde_json::Value) -> ScanFacts {
    let mut facts = ScanFacts::default();
    let metadata = predicate.get("metadata");
    facts.time = ["scanFinishedOn", "scanStartedOn"].iter().find_map(|k| {
        metadata
            .and_then(|m| m.get(*k))
            .and_then(|v| v.as_str())
            .and_then(approval::seconds)
    });
    let scanner = predicate.get("scanner");
    facts.db = scanner
        .and_then(|s| s.get("db"))
        .and_then(|d| d.get("version"))
        .and_then(|v| {
            v.as_str()
                .map(str::to_string)
                .or_else(|| Some(v.to_string()))
        })
        .filter(|v| !v.is_empty());
    let result = scanner.and_then(|s| s.get("result"));
    // `summary` is the scanner's verdict over every unsuppressed finding (vulnerabilities,
    // secrets, misconfigurations): it decides when present. The `vulnerabilities` list gives
    // the ids for the why, and the counts when there is no summary.
    let summary = result
        .and_then(|r| r.get("summary"))
        .and_then(|s| s.as_object());
    if let Some(summary) = summary {
        for (k, v) in summary {
            if let (Some(sev), Some(n)) = (Severity::parse(k), v.as_u64()) {
                *facts.counts.entry(sev).or_default() += n;
            }
        }
    }
    if let Some(vulns) = result
        .and_then(|r| r.get("vulnerabilities"))
        .and_then(|v| v.as_array())
    {
        for v in vulns {
            let sev = v
                .get("severity")
                .and_then(|s| s.as_str())
                .and_then(Severity::parse)
                .unwrap_or(Severity::Unknown);
            if summary.is_none() {
                *facts.counts.entry(sev).or_default() += 1;
            }
            if let Some(id) = v.get("id").and_then(|i| i.as_str()) {
                facts.ids.entry(sev).or_default().push(id.to_string());
            }
        }
    }
    facts
}

fn human_age(seconds: i64) -> String {
    if seconds < 3600 {
        format!("{}m", seconds / 60)
    } else if seconds < 172_800 {
        format!("{}h", seconds / 3600)
    } else {
        format!("{}d", seconds / 86_400)
    }
}

fn scan_requirement(
    rule: &crate::policy::ScanRule,
    statements: &[VerifiedStatement],
    unverified: Option<&str>,
    now: i64,
) -> Requirement {
    let name = "scan attestation";
    let newest = statements
        .iter()
        .filter(|s| s.statement.predicate_type == SCAN_PREDICATE)
        .map(|s| (scan_facts(&s.statement.predicate), s))
        .max_by_key(|(f, _)| f.time);
    let Some((facts, statement)) = newest else {
        return Requirement::new(
            name,
            false,
            format!(
                "no scan attestation by a trusted key{}",
                unverified.map(|w| format!(" ({w})")).unwrap_or_default()
            ),
        );
    };
    let Some(time) = facts.time else {
        return Requirement::new(
            name,
            false,
            format!(
                "scan attestation by {} has no metadata.scanFinishedOn",
                statement.signer
            ),
        );
    };
    let age = now - time;
    if age > rule.max_age_seconds {
        return Requirement::new(
            name,
            false,
            format!(
                "newest scan is {} old (max {})",
                human_age(age),
                human_age(rule.max_age_seconds)
            ),
        );
    }
    let above: Vec<(Severity, u64)> = facts
        .counts
        .iter()
        .filter(|(s, n)| **s > rule.max_severity && **n > 0)
        .map(|(s, n)| (*s, *n))
        .collect();
    let summary = facts
        .counts
        .iter()
        .rev()
        .map(|(s, n)| format!("{n} {}", s.as_str().to_lowercase()))
        .collect::<Vec<_>>()
        .join(", ");
    let summary = if summary.is_empty() {
        "no findings".to_string()
    } else {
        summary
    };
    let db = facts
        .db
        .as_deref()
        .map(|d| format!(", db {d}"))
        .unwrap_or_default();
    if above.is_empty() {
        Requirement::new(
            name,
            true,
            format!("scanned {} ago{db}: {summary}", human_age(age.max(0))),
        )
    } else {
        let ids: Vec<String> = above
            .iter()
            .flat_map(|(s, _)| facts.ids.get(s).cloned().unwrap_or_default())
            .take(3)
            .collect();
        Requirement::new(
            name,
            false,
            format!(
                "findings above {}: {}{}",
                rule.max_severity.as_str(),
                above
                    .iter()
                    .map(|(s, n)| format!("{n} {}", s.as_str().to_lowercase()))
                    .collect::<Vec<_>>()
                    .join(", "),
                if ids.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", ids.join(", "))
                }
            ),
        )
    }
}

/// One person's current decision, from a signed approval or an external one.
struct Vote<'a> {
    person: &'a str,
    decision: Verdict,
    comment: Option<&'a str>,
    channel: Option<&'a str>,
}

fn votes<'a>(found: &'a [approval::Found], external: &'a [ExternalApproval]) -> Vec<Vote<'a>> {
    let mut out: Vec<Vote<'a>> = approval::latest(found)
        .into_iter()
        .map(|f| Vote {
            person: &f.manager,
            decision: f.approval.decision,
            comment: f.approval.comment.as_deref(),
            channel: None,
        })
        .collect();
    out.extend(external.iter().map(|e| Vote {
        person: &e.person,
        decision: e.decision,
        comment: e.comment.as_deref(),
        channel: Some(&e.channel),
    }));
    out
}

fn approval_requirement(
    rule: &crate::policy::ApprovalRule,
    statements: &[VerifiedStatement],
    external: &[ExternalApproval],
    now: i64,
) -> Requirement {
    let name = "approvals";
    let found = approval::found(statements, now);
    let votes = votes(&found, external);
    if let Some(reject) = votes.iter().find(|v| v.decision == Verdict::Reject) {
        return Requirement::new(
            name,
            false,
            format!(
                "rejected by {}{}{}",
                reject.person,
                reject
                    .channel
                    .map(|c| format!(" ({c})"))
                    .unwrap_or_default(),
                reject.comment.map(|c| format!(": {c}")).unwrap_or_default()
            ),
        );
    }
    let mut approvers: Vec<&str> = votes.iter().map(|v| v.person).collect();
    approvers.sort_unstable();
    approvers.dedup();
    let expired = found.iter().filter(|f| f.expired).count();
    let missing: Vec<&str> = rule
        .release_managers
        .iter()
        .map(|m| m.name.as_str())
        .filter(|n| !approvers.contains(n))
        .collect();
    let have = approvers.len();
    let passed = have >= rule.required;
    let mut why = if have == 0 {
        format!(
            "no approval by a release manager (0 of {} required)",
            rule.required
        )
    } else {
        format!(
            "approved by {} ({have} of {} required)",
            approvers.join(", "),
            rule.required
        )
    };
    if !passed && !missing.is_empty() {
        why.push_str(&format!("; not yet: {}", missing.join(", ")));
    }
    if expired > 0 && !passed {
        why.push_str(&format!("; {expired} expired"));
    }
    Requirement::new(name, passed, why)
}

/// The release managers whose approval counted.
pub fn approvers(
    policy: &Policy,
    evidence: &Evidence,
    external: &[ExternalApproval],
    now: i64,
) -> Vec<String> {
    let Some(rule) = &policy.approvals else {
        return Vec::new();
    };
    let statements = evidence.statements_by(&rule.release_managers);
    let found = approval::found(&statements, now);
    let mut out: Vec<String> = votes(&found, external)
        .iter()
        .filter(|v| v.decision == Verdict::Approve)
        .map(|v| v.person.to_string())
        .collect();
    out.sort();
    out.dedup();
    out
}

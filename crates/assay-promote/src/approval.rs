//! Release managers' approvals: a signed in-toto attestation with assay's own predicate
//! type, attached to the image digest like any attestation. The approver's identity is the
//! key that verifies it (a release manager in the policy), not the name written inside.

use assay_oci::Digest;
use serde::{Deserialize, Serialize};

use crate::evidence::VerifiedStatement;

/// Predicate type URI of approvals (documented in docs/promotion.md).
pub const PREDICATE_TYPE: &str = "https://assay.dev/attestations/approval/v1";

/// Approve or reject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// The image may be promoted.
    Approve,
    /// The image must not be promoted (blocks whatever else is there).
    Reject,
}

/// The approval predicate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Approval {
    /// Who says they approve (informational; identity comes from the key).
    pub approver: String,
    /// Approve or reject.
    pub decision: Verdict,
    /// When (RFC 3339).
    pub time: String,
    /// Why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// When the approval stops counting (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// The image approved, `name@digest`.
    pub image: String,
}

/// An approval found on an image, with its state.
#[derive(Debug, Clone, Serialize)]
pub struct Found {
    /// The release manager whose key verifies it.
    pub manager: String,
    /// The key fingerprint.
    pub fingerprint: String,
    /// The predicate.
    pub approval: Approval,
    /// Whether it has expired at the evaluation time.
    pub expired: bool,
}

/// Seconds since the epoch of an RFC 3339 time.
pub fn seconds(text: &str) -> Option<i64> {
    text.parse::<jiff::Timestamp>().ok().map(|t| t.as_second())
}

/// The approvals among verified statements (signer = release manager).
pub fn found(statements: &[VerifiedStatement], now: i64) -> Vec<Found> {
    let mut out: Vec<Found> = statements
        .iter()
        .filter(|s| s.statement.predicate_type == PREDICATE_TYPE)
        .filter_map(|s| {
            let approval: Approval = serde_json::from_value(s.statement.predicate.clone()).ok()?;
            let expired = approval
                .expires
                .as_deref()
                .and_then(seconds)
                .is_some_and(|e| e <= now);
            Some(Found {
                manager: s.signer.clone(),
                fingerprint: s.fingerprint.clone(),
                approval,
                expired,
            })
        })
        .collect();
    out.sort_by(|a, b| {
        (seconds(&a.approval.time), &a.manager).cmp(&(seconds(&b.approval.time), &b.manager))
    });
    out
}

/// Each release manager's latest unexpired decision, in manager order.
pub fn latest(found: &[Found]) -> Vec<&Found> {
    let mut latest: Vec<&Found> = Vec::new();
    for f in found.iter().filter(|f| !f.expired) {
        match latest.iter_mut().find(|l| l.manager == f.manager) {
            Some(slot) => *slot = f,
            None => latest.push(f),
        }
    }
    latest.sort_by(|a, b| a.manager.cmp(&b.manager));
    latest
}

/// The image string recorded in an approval.
pub fn image_name(name: &str, digest: &Digest) -> String {
    format!("{name}@{digest}")
}

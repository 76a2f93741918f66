//! `--attest` on `assay scan` and `assay sbom`: the results attached to the scanned image as
//! signed in-toto attestations (cosign's `.att` layout). They are the evidence the promotion
//! policy reads: an SBOM attestation and a scan attestation with its time and verdict.
//!
//! The scan predicate is cosign's vulnerability attestation
//! (`https://cosign.sigstore.dev/attestation/vuln/v1`), so `cosign verify-attestation --type
//! vuln` reads it too. Its `scanner.result` carries assay's verdict: `summary` counts the
//! unsuppressed findings by severity (after ignore files and VEX, before `--severity`
//! filtering, as the gate sees them) and `vulnerabilities` lists the unsuppressed ones.

use std::collections::BTreeMap;
use std::path::PathBuf;

use assay_core::{Finding, FindingKind};
use clap::Args;
use serde_json::{Value, json};

use crate::clock;
use crate::exit::Failure;

/// The cosign predicate type of scan results.
pub const SCAN_PREDICATE_TYPE: &str = "vuln";

/// `--attest` / `--key`, shared by `assay scan` and `assay sbom`.
#[derive(Debug, Clone, Args)]
pub struct AttestFlags {
    /// Attach the results to the image as a signed attestation (images only; needs --key).
    #[arg(long, requires = "key")]
    pub attest: bool,
    /// Private key for --attest (cosign format; password in ASSAY_PASSWORD).
    #[arg(long, env = "ASSAY_ATTEST_KEY", value_name = "FILE")]
    pub key: Option<PathBuf>,
}

impl AttestFlags {
    /// The key when `--attest` was asked for; an error when the target is no image.
    pub fn key_for(
        &self,
        target_is_image: bool,
        target: &str,
    ) -> Result<Option<&PathBuf>, Failure> {
        if !self.attest {
            return Ok(None);
        }
        if !target_is_image {
            return Err(Failure::input(format!(
                "{target}: --attest needs an image target (a registry reference or oci:DIR)"
            )));
        }
        Ok(self.key.as_ref())
    }
}

/// What a scan found, as cosign's vulnerability attestation predicate.
pub fn scan_predicate(
    unsuppressed: &[Finding],
    db_version: Option<&str>,
    started: i64,
    finished: i64,
) -> Value {
    let mut summary: BTreeMap<String, u64> = BTreeMap::new();
    for finding in unsuppressed {
        *summary.entry(finding.severity.to_string()).or_default() += 1;
    }
    let vulnerabilities: Vec<Value> = unsuppressed
        .iter()
        .filter(|f| f.kind == FindingKind::Vulnerability)
        .map(|f| {
            json!({
                "id": f.rule_id,
                "severity": f.severity.to_string(),
                "package": f.package.as_ref().map(|p| p.name.as_str()),
                "version": f.package.as_ref().map(|p| p.version.as_str()),
                "purl": f.package.as_ref().and_then(|p| p.purl.as_deref()),
                "fix": f.fix,
            })
        })
        .collect();
    json!({
        "invocation": {"parameters": null, "uri": "", "event_id": "", "builder.id": ""},
        "scanner": {
            "uri": "https://github.com/assay-dev/assay",
            "version": env!("CARGO_PKG_VERSION"),
            "db": {"uri": "assay-osv", "version": db_version.unwrap_or("")},
            "result": {
                "summary": summary,
                "findings": unsuppressed.len(),
                "vulnerabilities": vulnerabilities,
            },
        },
        "metadata": {
            "scanStartedOn": clock::rfc3339(started),
            "scanFinishedOn": clock::rfc3339(finished),
        },
    })
}

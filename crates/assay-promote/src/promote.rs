//! The promotion itself, in the order that keeps production consistent: evaluate at the
//! source (denied: return before anything is written; the destination is only read, by a
//! probe running alongside, whose result is then dropped), copy by digest without
//! touching the tag, verify the evidence again at the destination, attach the signed
//! promotion record, move the tag. A second run finds everything in place, writes nothing
//! and attaches no second record.

use assay_oci::Digest;
use assay_oci::copy::{self, CopyOptions, CopyReport, Endpoint, Location, Place};
use assay_sign::{Attach, Signer, Store};

use crate::approval::{self, Approval};
use crate::audit::{self, PromotionRecord, Tool};
use crate::error::Error;
use crate::evaluate::{self, Decision, Requirement, Subject};
use crate::evidence::{self, Evidence};
use crate::policy::{NamedKey, Policy};
use crate::store::{self, pinned};

/// Loads the key that signs promotion records; run on its own thread during the copy.
pub type LoadSigner = dyn Fn() -> Result<Box<dyn Signer + Send>, Error> + Sync;

/// What to promote and how.
#[allow(missing_debug_implementations)]
pub struct Request<'a> {
    /// The image in the test registry (or layout).
    pub source: &'a Endpoint,
    /// Where it goes.
    pub destination: &'a Endpoint,
    /// The policy.
    pub policy: &'a Policy,
    /// sha256 of the policy file, for the record.
    pub policy_digest: &'a str,
    /// Copy options (`dry_run` plans only).
    pub copy: CopyOptions,
    /// Now, Unix seconds.
    pub now: i64,
    /// Loads the key that signs the promotion record (required unless dry run). Called only
    /// when there is a record to sign: decrypting a cosign key (scrypt) costs more than
    /// re-promoting an unchanged image.
    pub signer: Option<&'a LoadSigner>,
    /// assay's version, for the record.
    pub tool_version: &'a str,
    /// Opens a golden base image named in the policy.
    pub open_golden: &'a dyn Fn(&str) -> Result<Place, Error>,
    /// The CI run, for GitHub/GitLab approvals the policy accepts.
    pub ci: crate::external::CiContext,
}

/// How a promotion ended.
// Returned once per run: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Outcome {
    /// A requirement failed at the source; nothing was written.
    Denied {
        /// The decision.
        decision: Decision,
        /// The source digest.
        digest: Digest,
    },
    /// Dry run: the decision allowed it; this is what the copy would do.
    Planned {
        /// The decision.
        decision: Decision,
        /// The plan.
        plan: CopyReport,
    },
    /// Promoted (or found already promoted: `already`).
    Promoted {
        /// The decision at the destination.
        decision: Decision,
        /// What the copy did.
        report: CopyReport,
        /// The record (attached unless `already`).
        record: PromotionRecord,
        /// The destination already held this image under the tag, with its record.
        already: bool,
    },
}

/// `registry/repository` or `oci:DIR`: the name statements use as subject.
pub fn subject_name(location: &Location) -> String {
    match location {
        Location::Registry(r) => format!("{}/{}", r.registry(), r.repository()),
        Location::Layout { dir, .. } => format!("oci:{}", dir.display()),
    }
}

/// Evaluates and, when allowed, promotes.
pub fn promote(request: &Request<'_>) -> Result<Outcome, Error> {
    let policy = request.policy;
    let tag = request
        .destination
        .location
        .tag()
        .or_else(|| request.source.location.tag())
        .map(str::to_string);
    // Whether the destination already holds the image is read while the source is checked:
    // a re-promotion of an unchanged image is then one round of requests, not two.
    let probe = match &tag {
        Some(t) if !request.copy.dry_run => Some(DestinationProbe::start(request, t)),
        _ => None,
    };
    let src = Place::open(request.source, false)?;
    let (digest, bytes) = src.resolve()?;
    let attached = policy.gather(&store::open_with(request.source, &digest, Some(&bytes))?)?;
    let base = if policy.base_images.is_empty() {
        None
    } else {
        Some(crate::base::requirement(
            &src,
            &bytes,
            &policy.base_images,
            request.open_golden,
        )?)
    };
    let subject = Subject {
        source: &request.source.location,
        digest: &digest,
        now: request.now,
    };
    let external = match &policy.approvals {
        Some(rule) => crate::external::collect(
            rule.github.as_ref(),
            rule.gitlab.as_ref(),
            &rule.people,
            &request.ci,
        )?,
        None => Vec::new(),
    };
    let decision = evaluate::evaluate(policy, &subject, &attached, base.clone(), &external);
    if !decision.allowed() {
        return Ok(Outcome::Denied { decision, digest });
    }
    if request.copy.dry_run {
        let plan = copy::copy(request.source, request.destination, &request.copy)?;
        return Ok(Outcome::Planned { decision, plan });
    }
    let load_signer = request.signer.ok_or_else(|| {
        Error::Input("a key is needed to sign the promotion record (--key)".into())
    })?;
    // Registries are read by digest from here on. A layout has no digest references; its
    // tag is read again, and a tag moved meanwhile is caught by the digest check below.
    let source_pinned = match &request.source.location {
        Location::Registry(_) => pinned(request.source, &digest)?,
        Location::Layout { .. } => request.source.clone(),
    };
    let destination = pinned(request.destination, &digest)?;
    let record_of = |decision: &Decision, attached: &Evidence| PromotionRecord {
        source: request.source.location.to_string(),
        destination: request.destination.location.to_string(),
        source_digest: digest.to_string(),
        destination_digest: digest.to_string(),
        policy: policy.path.display().to_string(),
        policy_digest: request.policy_digest.to_string(),
        requirements: decision.requirements.clone(),
        approvers: evaluate::approvers(policy, attached, &external, request.now),
        tool: Tool {
            name: "assay".into(),
            version: request.tool_version.to_string(),
        },
        time: jiff::Timestamp::from_second(request.now)
            .map(|t| t.to_string())
            .unwrap_or_default(),
    };
    let verify_at_destination = |attached: Evidence| -> Result<(Evidence, Decision), Error> {
        let decision = evaluate::evaluate(policy, &subject, &attached, base.clone(), &external);
        if let Some(failed) = decision.first_failure() {
            return Err(Error::Verification(format!(
                "evidence does not verify at the destination: {}: {}",
                failed.requirement, failed.why
            )));
        }
        Ok((attached, decision))
    };

    // Already promoted: the tag names this digest and a promotion record is attached. The
    // registry refuses manifests whose references are missing and the tag moves last, so
    // the image is complete; check the evidence there and stop.
    let found = match probe {
        Some(probe) => probe.finish()?,
        None => None,
    };
    if let (Some(t), Some((found_digest, evidence))) = (&tag, found)
        && found_digest == digest
    {
        let (attached, decision) = verify_at_destination(evidence?)?;
        if !history_of(&attached, &[]).is_empty() {
            let record = record_of(&decision, &attached);
            let report = CopyReport {
                source_digest: digest.clone(),
                destination_digest: digest.clone(),
                dry_run: false,
                steps: vec![copy::Step {
                    kind: copy::Kind::Tag,
                    action: copy::Action::Skip,
                    digest: digest.clone(),
                    size: 0,
                    name: t.clone(),
                }],
                bytes_copied: 0,
                destination_requests: 0,
            };
            return Ok(Outcome::Promoted {
                decision,
                report,
                record,
                already: true,
            });
        }
    }

    // The key is decrypted (scrypt, a CPU-bound ~100 ms) on its own thread while the copy
    // waits on the registries.
    let (report, signer) = std::thread::scope(|scope| {
        let signer = scope.spawn(load_signer);
        let report = copy::copy(
            &source_pinned,
            &destination,
            &CopyOptions {
                skip_tag: true,
                ..request.copy.clone()
            },
        );
        let signer = signer
            .join()
            .unwrap_or_else(|_| Err(Error::Input("loading the promotion key failed".into())));
        (report, signer)
    });
    let report = report?;
    if report.destination_digest != digest {
        return Err(Error::Verification(format!(
            "the destination digest {} differs from the source digest {digest}",
            report.destination_digest
        )));
    }

    // The evidence again, now read from the destination.
    let dst_store = store::open(&destination, &digest)?;
    let (dst_attached, dst_decision) = verify_at_destination(policy.gather(&dst_store)?)?;
    let record = record_of(&dst_decision, &dst_attached);
    let predicate = serde_json::to_value(&record).map_err(|e| Error::Input(e.to_string()))?;
    let signer = signer?;
    assay_sign::attest(
        &dst_store,
        signer.as_ref(),
        audit::PREDICATE_TYPE,
        predicate,
        Attach::Referrers,
    )?;
    let dst = Place::open(&destination, false)?;
    if let Some(t) = &tag {
        dst.push_manifest(&bytes, &copy::manifest_type_of(&bytes), t)?;
    }
    Ok(Outcome::Promoted {
        decision: dst_decision,
        report,
        record,
        already: false,
    })
}

/// The digest the destination's tag names and the evidence attached to it, read on a
/// thread of its own. The thread owns copies of what it reads with, so a denied promotion
/// returns at once and leaves it behind (it only reads) instead of waiting on a slow
/// destination.
struct DestinationProbe {
    thread: std::thread::JoinHandle<Result<Option<ProbeResult>, Error>>,
}

/// What the probe found: the tag's digest and the evidence attached to that digest (an
/// error there matters only if the digest is the one being promoted).
type ProbeResult = (Digest, Result<Evidence, Error>);

impl DestinationProbe {
    fn start(request: &Request<'_>, tag: &str) -> DestinationProbe {
        let destination = request.destination.clone();
        let tag = tag.to_string();
        let signature_keys = request.policy.signature_keys();
        let evidence_keys = request.policy.evidence_keys();
        let thread = std::thread::spawn(move || {
            let Ok(dst) = Place::open(&destination, false) else {
                return Ok(None);
            };
            // The manifest itself rather than a HEAD for its digest: the evidence store
            // needs it next.
            let Some((bytes, _)) = dst.manifest(&tag)? else {
                return Ok(None);
            };
            let found = Digest::sha256_of(&bytes);
            let evidence = pinned(&destination, &found)
                .and_then(|pinned| store::open_with(&pinned, &found, Some(&bytes)))
                .and_then(|store| evidence::gather(&store, &signature_keys, &evidence_keys));
            Ok(Some((found, evidence)))
        });
        DestinationProbe { thread }
    }

    /// Waits for the probe; a registry error reading the tag is returned as it was before
    /// the probe ran concurrently.
    fn finish(self) -> Result<Option<ProbeResult>, Error> {
        self.thread
            .join()
            .unwrap_or_else(|_| Err(Error::Input("reading the destination failed".into())))
    }
}

/// Attaches a signed approval (or rejection) to the store's image, in cosign's `.att` tag
/// like any attestation.
pub fn approve(store: &dyn Store, approval: &Approval, signer: &dyn Signer) -> Result<(), Error> {
    let predicate = serde_json::to_value(approval).map_err(|e| Error::Input(e.to_string()))?;
    assay_sign::attest(
        store,
        signer,
        approval::PREDICATE_TYPE,
        predicate,
        Attach::Tag,
    )?;
    Ok(())
}

/// An approval attached to an image, verified or not.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Listed {
    /// The predicate.
    pub approval: Approval,
    /// `verified`, `unverified` (no listed key verifies it), `expired`, or
    /// `other-image` (its subject is another digest).
    pub status: String,
    /// The key's name when verified.
    pub signer: Option<String>,
}

/// Every approval attached to the store's image, checked against `keys`, oldest first.
pub fn approvals(store: &dyn Store, keys: &[NamedKey], now: i64) -> Result<Vec<Listed>, Error> {
    let attached = evidence::gather(store, &[], keys)?;
    let mut out = Vec::new();
    for attestation in &attached.attestations {
        if attestation.statement.predicate_type != approval::PREDICATE_TYPE {
            continue;
        }
        let Ok(approval) =
            serde_json::from_value::<Approval>(attestation.statement.predicate.clone())
        else {
            continue;
        };
        let signer = Evidence::signer(attestation, keys);
        let expired = approval
            .expires
            .as_deref()
            .and_then(approval::seconds)
            .is_some_and(|e| e <= now);
        let status = if !attestation.about {
            "other-image"
        } else if signer.is_none() {
            "unverified"
        } else if expired {
            "expired"
        } else {
            "verified"
        };
        out.push(Listed {
            approval,
            status: status.to_string(),
            signer,
        });
    }
    out.sort_by(|a, b| {
        approval::seconds(&a.approval.time).cmp(&approval::seconds(&b.approval.time))
    });
    Ok(out)
}

/// A promotion record found on an image.
#[derive(Debug, Clone, serde::Serialize)]
pub struct HistoryEntry {
    /// The record.
    pub record: PromotionRecord,
    /// The key's name when one of the given keys verifies it.
    pub signer: Option<String>,
}

/// The promotion records attached to the store's image, oldest first; `keys` (may be
/// empty) name the signers that verify.
pub fn history(store: &dyn Store, keys: &[NamedKey]) -> Result<Vec<HistoryEntry>, Error> {
    Ok(history_of(&evidence::gather(store, &[], keys)?, keys))
}

/// [`history`] from evidence already read.
pub fn history_of(evidence: &Evidence, keys: &[NamedKey]) -> Vec<HistoryEntry> {
    let mut out = Vec::new();
    for attestation in &evidence.attestations {
        if attestation.statement.predicate_type != audit::PREDICATE_TYPE || !attestation.about {
            continue;
        }
        let Ok(record) =
            serde_json::from_value::<PromotionRecord>(attestation.statement.predicate.clone())
        else {
            continue;
        };
        out.push(HistoryEntry {
            record,
            signer: Evidence::signer(attestation, keys),
        });
    }
    out.sort_by(|a, b| a.record.time.cmp(&b.record.time));
    out
}

/// The requirement rows of a decision, for callers that print tables.
pub fn rows(decision: &Decision) -> &[Requirement] {
    &decision.requirements
}

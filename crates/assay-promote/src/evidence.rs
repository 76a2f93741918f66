//! The evidence attached to an image digest, checked against the keys a policy trusts.
//!
//! Reading and verifying is assay-sign's: [`assay_sign::verify_image`] and
//! [`assay_sign::verify_attestations`] run once per trusted key (over a cached store, see
//! [`crate::store`]), so a signature or attestation counts exactly when `assay verify` /
//! `assay verify-attestation` would accept it. What this module adds is the promotion's view:
//! every attestation attached (verified or not, for `assay approvals` and `assay history`),
//! with the keys that verify it, and why a key found nothing.

use std::collections::BTreeMap;

use assay_oci::Digest;
use assay_sign::cosign::DSSE_MEDIA_TYPE;
use assay_sign::dsse::{Envelope, Statement};
use assay_sign::payload::SimpleSigning;
use assay_sign::store::MAX_BLOB;
use assay_sign::{ErrorKind, Store, Verifier};

use crate::error::Error;
use crate::policy::NamedKey;

/// The key types callers need to load keys without depending on assay-sign themselves.
pub use assay_sign::{KeySigner, PrivateKey, PublicKey, Signer};

/// A signature that verified with a key and names the digest.
#[derive(Debug, Clone)]
pub struct Signed {
    /// The fingerprint of the key that verifies it.
    pub fingerprint: String,
    /// The signed payload.
    pub payload: SimpleSigning,
}

/// One attestation attached to the image, parsed, with the keys that verify it.
#[derive(Debug, Clone)]
pub struct Attestation {
    /// The envelope layer digest.
    pub layer: String,
    /// The statement inside the envelope (trust it only through `verified_by`).
    pub statement: Statement,
    /// Whether the statement's subject is this image.
    pub about: bool,
    /// Fingerprints of the keys whose signature verifies it (only when `about`).
    pub verified_by: Vec<String>,
}

/// Everything attached to one digest, checked against the given keys.
#[derive(Debug, Clone, Default)]
pub struct Evidence {
    /// Signatures that verify with one of the signature keys.
    pub signatures: Vec<Signed>,
    /// Whether any signature is attached at all.
    pub signatures_found: bool,
    /// Why a signature key verified none: (key name, reason).
    pub signature_problems: Vec<(String, String)>,
    /// Every attestation attached, in the order found (tag layout, then referrers).
    pub attestations: Vec<Attestation>,
}

/// A signature that verified with a named key.
#[derive(Debug, Clone)]
pub struct VerifiedSignature {
    /// The key's name in the policy.
    pub signer: String,
    /// The key's fingerprint.
    pub fingerprint: String,
    /// The payload.
    pub payload: SimpleSigning,
}

/// An attestation that verified with a named key and is about the digest.
#[derive(Debug, Clone)]
pub struct VerifiedStatement {
    /// The key's name.
    pub signer: String,
    /// The key's fingerprint.
    pub fingerprint: String,
    /// The statement.
    pub statement: Statement,
}

/// Keys with distinct fingerprints (a key listed twice is verified once).
fn distinct(keys: &[NamedKey]) -> Vec<(&NamedKey, String)> {
    let mut out: Vec<(&NamedKey, String)> = Vec::new();
    for key in keys {
        let fingerprint = key.key.fingerprint();
        if !out.iter().any(|(_, f)| *f == fingerprint) {
            out.push((key, fingerprint));
        }
    }
    out
}

/// A registry failure stops the evaluation (fail closed, exit 3); anything else about a
/// piece of evidence only means it does not count.
fn registry_failure(e: assay_sign::Error) -> Result<(), Error> {
    if e.kind() == ErrorKind::Registry {
        Err(e.into())
    } else {
        Ok(())
    }
}

/// Every DSSE envelope attached to the store's image, parsed; envelopes that do not parse
/// are not attestations and are left out.
fn attached_statements(store: &dyn Store) -> Result<Vec<Attestation>, Error> {
    let digest = store.subject().digest.clone();
    let mut out: Vec<Attestation> = Vec::new();
    for group in assay_sign::attachments(store)?.groups {
        for layer in group.layers {
            if layer.media_type != DSSE_MEDIA_TYPE || out.iter().any(|a| a.layer == layer.digest) {
                continue;
            }
            let Ok(layer_digest) = Digest::parse(&layer.digest) else {
                continue;
            };
            let bytes = match store.blob(&layer_digest, MAX_BLOB) {
                Ok(b) => b,
                Err(e) => {
                    registry_failure(e)?;
                    continue;
                }
            };
            let what = format!("attestation {}", layer.digest);
            let statement = Envelope::parse(&bytes, &what)
                .and_then(|e| e.payload_bytes(&what))
                .and_then(|p| Statement::parse(&p, &what));
            if let Ok(statement) = statement {
                out.push(Attestation {
                    about: statement.is_about(&digest),
                    layer: layer.digest,
                    statement,
                    verified_by: Vec::new(),
                });
            }
        }
    }
    Ok(out)
}

/// Reads the evidence attached to the store's image and verifies signatures with
/// `signature_keys` and attestations with `attestation_keys`.
pub fn gather(
    store: &dyn Store,
    signature_keys: &[NamedKey],
    attestation_keys: &[NamedKey],
) -> Result<Evidence, Error> {
    let mut out = Evidence::default();
    for (key, fingerprint) in distinct(signature_keys) {
        let verifier = Verifier::Key(key.key.clone());
        match assay_sign::verify_image(store, &verifier, &BTreeMap::new(), None) {
            Ok(found) => {
                out.signatures_found = true;
                out.signatures.extend(found.into_iter().map(|s| Signed {
                    fingerprint: fingerprint.clone(),
                    payload: s.payload,
                }));
            }
            Err(assay_sign::Error::NotFound(_)) => {}
            Err(e) if e.kind() == ErrorKind::Registry => return Err(e.into()),
            Err(e) => {
                out.signatures_found = true;
                out.signature_problems
                    .push((key.name.clone(), e.to_string()));
            }
        }
    }
    out.attestations = attached_statements(store)?;
    for (key, fingerprint) in distinct(attestation_keys) {
        let verifier = Verifier::Key(key.key.clone());
        let verified = match assay_sign::verify_attestations(store, &verifier, None) {
            Ok(v) => v,
            Err(e) => {
                registry_failure(e)?;
                continue;
            }
        };
        for v in verified {
            if let Some(a) = out.attestations.iter_mut().find(|a| a.layer == v.layer)
                && !a.verified_by.contains(&fingerprint)
            {
                a.verified_by.push(fingerprint.clone());
            }
        }
    }
    Ok(out)
}

/// The first of `keys` (by policy order) among `fingerprints`.
fn named<'k>(keys: &'k [NamedKey], fingerprints: &[&String]) -> Option<(&'k NamedKey, String)> {
    keys.iter().find_map(|k| {
        let f = k.key.fingerprint();
        fingerprints.contains(&&f).then_some((k, f))
    })
}

impl Evidence {
    /// The verified signatures made by one of `keys`.
    pub fn signatures_by(&self, keys: &[NamedKey]) -> Vec<VerifiedSignature> {
        self.signatures
            .iter()
            .filter_map(|s| {
                let (key, fingerprint) = named(keys, &[&s.fingerprint])?;
                Some(VerifiedSignature {
                    signer: key.name.clone(),
                    fingerprint,
                    payload: s.payload.clone(),
                })
            })
            .collect()
    }

    /// The name of the first of `keys` that verifies `attestation`.
    pub fn signer(attestation: &Attestation, keys: &[NamedKey]) -> Option<String> {
        let fingerprints: Vec<&String> = attestation.verified_by.iter().collect();
        named(keys, &fingerprints).map(|(k, _)| k.name.clone())
    }

    /// The attestations about the image that one of `keys` verifies.
    pub fn statements_by(&self, keys: &[NamedKey]) -> Vec<VerifiedStatement> {
        self.attestations
            .iter()
            .filter_map(|a| {
                let fingerprints: Vec<&String> = a.verified_by.iter().collect();
                let (key, fingerprint) = named(keys, &fingerprints)?;
                Some(VerifiedStatement {
                    signer: key.name.clone(),
                    fingerprint,
                    statement: a.statement.clone(),
                })
            })
            .collect()
    }

    /// Why no attestation of `predicate_types` counts, when some are attached: another
    /// image's, or not signed by a trusted key.
    pub fn unverified_reason(&self, predicate_types: &[&str]) -> Option<String> {
        let of_type: Vec<&Attestation> = self
            .attestations
            .iter()
            .filter(|a| predicate_types.contains(&a.statement.predicate_type.as_str()))
            .collect();
        if of_type.is_empty() {
            return None;
        }
        let other = of_type.iter().filter(|a| !a.about).count();
        Some(if other == of_type.len() {
            format!("{other} found, about another image")
        } else {
            format!("{} found, none signed by a trusted key", of_type.len())
        })
    }
}

//! Checking attached evidence against trusted keys: which signatures verify for this digest,
//! which attestations verify and are about this digest. Everything that does not verify is
//! kept as a one-line reason, so a denial can say why.

use assay_oci::Digest;
use assay_sign::dsse::{Envelope, EnvelopeSignature, IN_TOTO_PAYLOAD_TYPE, Statement, pae};
use assay_sign::payload::SimpleSigning;
pub use assay_sign::{PublicKey, Signer};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::cosign::Attached;
use crate::error::Error;
use crate::policy::NamedKey;

/// A signature that verified with a trusted key and names the digest.
#[derive(Debug, Clone)]
pub struct VerifiedSignature {
    /// The key's name in the policy.
    pub signer: String,
    /// The key's fingerprint.
    pub fingerprint: String,
    /// The payload.
    pub payload: SimpleSigning,
}

/// An attestation that verified with a trusted key and is about the digest.
#[derive(Debug, Clone)]
pub struct VerifiedStatement {
    /// The key's name.
    pub signer: String,
    /// The key's fingerprint.
    pub fingerprint: String,
    /// The statement.
    pub statement: Statement,
}

/// The signatures among `attached` that one of `keys` made over `digest`; and why the
/// others do not count.
pub fn signatures(
    attached: &Attached,
    digest: &Digest,
    keys: &[NamedKey],
) -> (Vec<VerifiedSignature>, Vec<String>) {
    let mut ok = Vec::new();
    let mut why = Vec::new();
    for sig in &attached.signatures {
        let Some(key) = keys
            .iter()
            .find(|k| k.key.verify(&sig.payload, &sig.signature).is_ok())
        else {
            why.push("a signature by an untrusted key".to_string());
            continue;
        };
        match SimpleSigning::parse(&sig.payload, "signature payload") {
            Ok(p) if p.critical.image.docker_manifest_digest == digest.to_string() => {
                ok.push(VerifiedSignature {
                    signer: key.name.clone(),
                    fingerprint: key.key.fingerprint(),
                    payload: p,
                })
            }
            Ok(p) => why.push(format!(
                "signature by {} is for another digest ({})",
                key.name, p.critical.image.docker_manifest_digest
            )),
            Err(e) => why.push(format!("signature by {}: {e}", key.name)),
        }
    }
    (ok, why)
}

/// The key among `keys` that signed the envelope, if any.
pub fn envelope_signer<'k>(envelope: &Envelope, keys: &'k [NamedKey]) -> Option<&'k NamedKey> {
    let payload = envelope.payload_bytes("attestation").ok()?;
    let signed = pae(&envelope.payload_type, &payload);
    envelope.signatures.iter().find_map(|s| {
        let raw = STANDARD.decode(s.sig.trim()).ok()?;
        keys.iter().find(|k| k.key.verify(&signed, &raw).is_ok())
    })
}

/// The attestations among `attached` signed by one of `keys` and about `digest`; and why
/// the others do not count.
pub fn statements(
    attached: &Attached,
    digest: &Digest,
    keys: &[NamedKey],
) -> (Vec<VerifiedStatement>, Vec<String>) {
    let mut ok = Vec::new();
    let mut why = Vec::new();
    for bytes in &attached.envelopes {
        let envelope = match Envelope::parse(bytes, "attestation") {
            Ok(e) => e,
            Err(e) => {
                why.push(e.to_string());
                continue;
            }
        };
        let Some(key) = envelope_signer(&envelope, keys) else {
            why.push("an attestation by an untrusted key".to_string());
            continue;
        };
        let statement = envelope
            .payload_bytes("attestation")
            .and_then(|p| Statement::parse(&p, "attestation"));
        match statement {
            Ok(s) if s.is_about(digest) => ok.push(VerifiedStatement {
                signer: key.name.clone(),
                fingerprint: key.key.fingerprint(),
                statement: s,
            }),
            Ok(s) => why.push(format!(
                "attestation {} by {} is about another image",
                s.predicate_type, key.name
            )),
            Err(e) => why.push(format!("attestation by {}: {e}", key.name)),
        }
    }
    (ok, why)
}

/// A DSSE envelope (cosign's JSON) holding `statement`, signed by `signer`.
pub fn sign_statement(statement: &Statement, signer: &dyn Signer) -> Result<Vec<u8>, Error> {
    let payload = statement.to_bytes();
    let signature = signer.sign(&pae(IN_TOTO_PAYLOAD_TYPE, &payload))?;
    let envelope = Envelope {
        payload_type: IN_TOTO_PAYLOAD_TYPE.to_string(),
        payload: STANDARD.encode(&payload),
        signatures: vec![EnvelopeSignature {
            keyid: String::new(),
            sig: STANDARD.encode(&signature.bytes),
        }],
    };
    Ok(envelope.to_bytes())
}

/// Names `key` by the policy entry that holds it, else by fingerprint.
pub fn key_name(key: &PublicKey, named: &[NamedKey]) -> String {
    named
        .iter()
        .find(|n| n.key.fingerprint() == key.fingerprint())
        .map_or_else(|| key.fingerprint(), |n| n.name.clone())
}

/// The key types callers need to load keys without depending on assay-sign themselves.
pub use assay_sign::{KeySigner, PrivateKey};

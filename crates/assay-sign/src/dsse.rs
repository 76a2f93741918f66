//! DSSE envelopes and in-toto Statements, the attestation format cosign stores.
//!
//! A DSSE signature covers the pre-authentication encoding
//! `"DSSEv1" SP len(type) SP type SP len(body) SP body`, never the raw payload, so a
//! signature cannot be replayed as a signature over another payload type. cosign writes the
//! envelope as `{"payloadType":...,"payload":<base64>,"signatures":[{"keyid":"","sig":...}]}`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use assay_oci::Digest;

use crate::error::Error;

/// The payload type of in-toto statements.
pub const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";
/// in-toto Statement v1 `_type` (what assay writes).
pub const STATEMENT_V1: &str = "https://in-toto.io/Statement/v1";
/// in-toto Statement v0.1 `_type` (what older cosign writes; read too).
pub const STATEMENT_V01: &str = "https://in-toto.io/Statement/v0.1";

/// A DSSE envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Envelope {
    /// What the payload is ([`IN_TOTO_PAYLOAD_TYPE`]).
    pub payload_type: String,
    /// The payload, base64 (standard alphabet, padded).
    pub payload: String,
    /// One or more signatures over [`pae`].
    pub signatures: Vec<EnvelopeSignature>,
}

/// One DSSE signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvelopeSignature {
    /// Key id hint (cosign writes `""`).
    #[serde(default)]
    pub keyid: String,
    /// The signature, base64.
    pub sig: String,
}

/// The DSSE v1 pre-authentication encoding of `payload` with `payload_type`.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {} {} ",
        payload_type.len(),
        payload_type,
        payload.len()
    )
    .into_bytes();
    out.extend_from_slice(payload);
    out
}

impl Envelope {
    /// Parses an envelope; `what` names it in errors.
    pub fn parse(bytes: &[u8], what: &str) -> Result<Envelope, Error> {
        serde_json::from_slice(bytes)
            .map_err(|e| Error::invalid(what, format!("not a DSSE envelope: {e}")))
    }

    /// The decoded payload.
    pub fn payload_bytes(&self, what: &str) -> Result<Vec<u8>, Error> {
        STANDARD
            .decode(&self.payload)
            .map_err(|e| Error::invalid(what, format!("payload is not base64: {e}")))
    }

    /// The bytes the envelope's signatures cover.
    pub fn signed_bytes(&self, what: &str) -> Result<Vec<u8>, Error> {
        Ok(pae(&self.payload_type, &self.payload_bytes(what)?))
    }

    /// The envelope as cosign writes it (compact JSON, field order as above).
    pub fn to_bytes(&self) -> Vec<u8> {
        crate::payload::go_json(self)
    }
}

/// An in-toto Statement: what the attestation says about which artifacts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Statement {
    /// [`STATEMENT_V1`] or [`STATEMENT_V01`].
    #[serde(rename = "_type")]
    pub kind: String,
    /// The artifacts the predicate is about.
    pub subject: Vec<Subject>,
    /// The predicate's type URI.
    #[serde(rename = "predicateType")]
    pub predicate_type: String,
    /// The predicate (any JSON; absent means `null`).
    #[serde(default)]
    pub predicate: serde_json::Value,
}

/// One subject: a name and its digests by algorithm.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    /// The artifact's name (the image repository for images).
    pub name: String,
    /// `{"sha256": "<hex>"}`.
    pub digest: std::collections::BTreeMap<String, String>,
}

impl Statement {
    /// A v1 statement about the image `name@digest`.
    pub fn for_image(
        name: &str,
        digest: &Digest,
        predicate_type: &str,
        predicate: serde_json::Value,
    ) -> Statement {
        Statement {
            kind: STATEMENT_V1.to_string(),
            subject: vec![Subject {
                name: name.to_string(),
                digest: [(
                    digest.algorithm().as_str().to_string(),
                    digest.hex().to_string(),
                )]
                .into(),
            }],
            predicate_type: predicate_type.to_string(),
            predicate,
        }
    }

    /// Parses a statement (v1 or v0.1); `what` names it in errors.
    pub fn parse(bytes: &[u8], what: &str) -> Result<Statement, Error> {
        let statement: Statement = serde_json::from_slice(bytes)
            .map_err(|e| Error::invalid(what, format!("not an in-toto statement: {e}")))?;
        if statement.kind != STATEMENT_V1 && statement.kind != STATEMENT_V01 {
            return Err(Error::invalid(
                what,
                format!("unknown statement type {:?}", statement.kind),
            ));
        }
        Ok(statement)
    }

    /// Whether one subject carries `digest`.
    pub fn is_about(&self, digest: &Digest) -> bool {
        self.subject.iter().any(|s| {
            s.digest
                .get(digest.algorithm().as_str())
                .is_some_and(|hex| hex.eq_ignore_ascii_case(digest.hex()))
        })
    }

    /// The statement's bytes (compact JSON).
    pub fn to_bytes(&self) -> Vec<u8> {
        crate::payload::go_json(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pae_matches_the_dsse_spec_example() {
        // From the DSSE protocol document.
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world".to_vec()
        );
    }

    #[test]
    fn statement_is_about_its_subject_only() {
        let d = Digest::sha256_of(b"a");
        let s = Statement::for_image("r/app", &d, "https://example/p", serde_json::json!({}));
        assert!(s.is_about(&d));
        assert!(!s.is_about(&Digest::sha256_of(b"b")));
        let back = Statement::parse(&s.to_bytes(), "s").expect("parses");
        assert_eq!(back, s);
    }
}

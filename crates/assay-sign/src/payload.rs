//! cosign's "simple signing" payload: the exact bytes signed for an image. cosign (through
//! sigstore-go's `payload.Cosign`) writes it with Go's `json.Marshal`: fields in struct order,
//! map keys sorted, no spaces, no trailing newline, and `<`, `>`, `&` escaped as `\u003c`,
//! `\u003e`, `\u0026`. [`SimpleSigning::to_bytes`] writes the same bytes, so payloads made by
//! assay and cosign for the same image and annotations are identical.

use std::collections::BTreeMap;

use assay_oci::Digest;
use serde::{Deserialize, Serialize};

use crate::error::Error;

/// The `critical.type` of image signatures.
pub const SIGNATURE_TYPE: &str = "cosign container image signature";

/// A simple-signing payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimpleSigning {
    /// What is signed.
    pub critical: Critical,
    /// Free-form claims: the `-a key=value` annotations (`null` when there are none).
    pub optional: Option<BTreeMap<String, serde_json::Value>>,
}

/// The claims a verifier must check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Critical {
    /// The repository the signer named.
    pub identity: Identity,
    /// The image digest signed.
    pub image: ImageClaim,
    /// Always [`SIGNATURE_TYPE`].
    #[serde(rename = "type")]
    pub kind: String,
}

/// `critical.identity`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// `registry/repository`, without tag or digest.
    #[serde(rename = "docker-reference")]
    pub docker_reference: String,
}

/// `critical.image`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageClaim {
    /// `sha256:<hex>` of the image manifest.
    #[serde(rename = "docker-manifest-digest")]
    pub docker_manifest_digest: String,
}

impl SimpleSigning {
    /// The payload for `digest` in `docker_reference`, with string annotations.
    pub fn new(
        docker_reference: &str,
        digest: &Digest,
        annotations: &BTreeMap<String, String>,
    ) -> SimpleSigning {
        SimpleSigning {
            critical: Critical {
                identity: Identity {
                    docker_reference: docker_reference.to_string(),
                },
                image: ImageClaim {
                    docker_manifest_digest: digest.to_string(),
                },
                kind: SIGNATURE_TYPE.to_string(),
            },
            optional: (!annotations.is_empty()).then(|| {
                annotations
                    .iter()
                    .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
                    .collect()
            }),
        }
    }

    /// The bytes to sign, as Go's `json.Marshal` writes them.
    pub fn to_bytes(&self) -> Vec<u8> {
        go_json(self)
    }

    /// Parses a payload; `what` names it in errors.
    pub fn parse(bytes: &[u8], what: &str) -> Result<SimpleSigning, Error> {
        serde_json::from_slice(bytes)
            .map_err(|e| Error::invalid(what, format!("not a simple-signing payload: {e}")))
    }

    /// The annotation `key` as a string (numbers and booleans as JSON text).
    pub fn annotation(&self, key: &str) -> Option<String> {
        self.optional.as_ref()?.get(key).map(|v| match v {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        })
    }
}

/// Serializes like Go's `json.Marshal`: compact, with HTML-sensitive characters and the two
/// JavaScript line separators escaped. Those characters only occur inside JSON strings, so a
/// textual replacement after serde is exact.
pub(crate) fn go_json<T: Serialize>(value: &T) -> Vec<u8> {
    // Serializing plain structs and maps of strings and JSON values cannot fail.
    let text = serde_json::to_string(value).unwrap_or_default();
    text.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
        .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest() -> Digest {
        Digest::sha256_of(b"manifest")
    }

    #[test]
    fn writes_cosign_bytes_without_annotations() {
        let p = SimpleSigning::new("registry.example/app", &digest(), &BTreeMap::new());
        let text = String::from_utf8(p.to_bytes()).expect("utf8");
        assert_eq!(
            text,
            format!(
                r#"{{"critical":{{"identity":{{"docker-reference":"registry.example/app"}},"image":{{"docker-manifest-digest":"{}"}},"type":"cosign container image signature"}},"optional":null}}"#,
                digest()
            )
        );
    }

    #[test]
    fn writes_annotations_sorted_and_go_escaped() {
        let annotations = BTreeMap::from([
            ("z".to_string(), "1".to_string()),
            ("a".to_string(), "<x&y>".to_string()),
        ]);
        let p = SimpleSigning::new("r/app", &digest(), &annotations);
        let text = String::from_utf8(p.to_bytes()).expect("utf8");
        assert!(
            text.ends_with(r#""optional":{"a":"\u003cx\u0026y\u003e","z":"1"}}"#),
            "{text}"
        );
        let back = SimpleSigning::parse(text.as_bytes(), "p").expect("parses");
        assert_eq!(back.annotation("a").as_deref(), Some("<x&y>"));
    }
}

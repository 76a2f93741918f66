//! Offline verification of keyless signatures. The fixtures (fixtures/keys/keyless, made by
//! its make.py) are a test Fulcio root, a leaf certificate for test@example.com with its
//! private key, and a test Rekor log key; a keyless signer is assembled here on the
//! [`Signer`] trait, as a real Fulcio/Rekor signer will be.

use std::collections::BTreeMap;
use std::path::PathBuf;

use assay_oci::RemoteOptions;
use assay_oci::testing::{ImageSpec, LayerSpec, LayoutBuilder};
use assay_sign::{
    Attach, Error, Location, PrivateKey, PublicKey, Signature, Signer, TrustRoot, Verifier, attest,
    sign_image, verify_attestations, verify_image,
};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::Digest as _;

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/keys/keyless")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Signs with the leaf key and logs the signature in a "Rekor" bundle signed by the test log
/// key, at `integrated_time`.
#[derive(Debug)]
struct TestKeyless {
    leaf: PrivateKey,
    certificate: String,
    log: PrivateKey,
    integrated_time: i64,
}

impl TestKeyless {
    fn new(integrated_time: i64) -> TestKeyless {
        TestKeyless {
            leaf: PrivateKey::from_pem(&fixture("leaf.key"), None, "leaf.key").expect("leaf key"),
            certificate: String::from_utf8(fixture("leaf.pem")).expect("utf8"),
            log: PrivateKey::from_pem(&fixture("rekor.key"), None, "rekor.key").expect("log key"),
            integrated_time,
        }
    }

    /// A `hashedrekord` entry, as logged for signatures.
    fn bundle(&self, message: &[u8], signature: &[u8]) -> String {
        self.logged(serde_json::json!({
            "apiVersion": "0.0.1",
            "kind": "hashedrekord",
            "spec": {
                "data": {"hash": {"algorithm": "sha256", "value": hex::encode(sha2::Sha256::digest(message))}},
                "signature": {
                    "content": STANDARD.encode(signature),
                    "publicKey": {"content": STANDARD.encode(&self.certificate)}
                }
            }
        }))
    }

    /// An `intoto` entry, as logged for attestations (the signature base64-encoded twice).
    fn intoto_bundle(&self, payload_type: &str, payload: &[u8], signature: &[u8]) -> String {
        self.logged(serde_json::json!({
            "apiVersion": "0.0.2",
            "kind": "intoto",
            "spec": {"content": {
                "envelope": {
                    "payloadType": payload_type,
                    "signatures": [{
                        "publicKey": STANDARD.encode(&self.certificate),
                        "sig": STANDARD.encode(STANDARD.encode(signature))
                    }]
                },
                "payloadHash": {"algorithm": "sha256", "value": hex::encode(sha2::Sha256::digest(payload))}
            }}
        }))
    }

    /// The bundle for `body`, with the log's SignedEntryTimestamp.
    fn logged(&self, body: serde_json::Value) -> String {
        let body = STANDARD.encode(body.to_string());
        let log_id = hex::encode(sha2::Sha256::digest(self.log.public_key().to_spki_der()));
        let canonical = format!(
            r#"{{"body":"{body}","integratedTime":{},"logID":"{log_id}","logIndex":42}}"#,
            self.integrated_time
        );
        let set = self.log.sign(canonical.as_bytes()).expect("log signs");
        serde_json::json!({
            "SignedEntryTimestamp": STANDARD.encode(set),
            "Payload": {"body": body, "integratedTime": self.integrated_time, "logIndex": 42, "logID": log_id}
        })
        .to_string()
    }
}

impl Signer for TestKeyless {
    fn sign(&self, message: &[u8]) -> Result<Signature, Error> {
        let bytes = self.leaf.sign(message)?;
        Ok(Signature {
            bundle: Some(self.bundle(message, &bytes)),
            certificate: Some(self.certificate.clone()),
            chain: None,
            bytes,
        })
    }

    fn public_key(&self) -> Option<PublicKey> {
        None
    }

    fn sign_dsse(&self, payload_type: &str, payload: &[u8]) -> Result<Signature, Error> {
        let bytes = self
            .leaf
            .sign(&assay_sign::dsse::pae(payload_type, payload))?;
        Ok(Signature {
            bundle: Some(self.intoto_bundle(payload_type, payload, &bytes)),
            certificate: Some(self.certificate.clone()),
            chain: None,
            bytes,
        })
    }
}

/// 2026-01-01, inside the leaf's validity (2020-2040).
const LOGGED: i64 = 1_767_225_600;

fn trust() -> TrustRoot {
    TrustRoot::from_pem(&fixture("fulcio-root.pem"), &fixture("rekor.pub")).expect("trust root")
}

fn verify_blob(
    signer: &TestKeyless,
    trust: &TrustRoot,
    message: &[u8],
    signed: &[u8],
) -> Result<String, String> {
    let sig = signer.sign(signed).expect("signs");
    trust
        .verify(
            message,
            &STANDARD.encode(&sig.bytes),
            sig.certificate.as_deref().unwrap_or_default(),
            "",
            sig.bundle.as_deref().unwrap_or_default(),
        )
        .map(|id| format!("{} {:?}", id.subject.join(","), id.issuer))
        .map_err(|e| e.to_string())
}

#[test]
fn keyless_blob_signature_verifies_and_names_the_signer() {
    let signer = TestKeyless::new(LOGGED);
    assert_eq!(
        verify_blob(&signer, &trust(), b"payload", b"payload"),
        Ok("test@example.com Some(\"https://issuer.example\")".to_string())
    );
}

#[test]
fn keyless_rejects_each_broken_link() {
    let signer = TestKeyless::new(LOGGED);
    assert_eq!(
        verify_blob(&signer, &trust(), b"other payload", b"payload"),
        Err("signature does not verify with the certificate's key".into())
    );
    let unrelated =
        TrustRoot::from_pem(&fixture("other-root.pem"), &fixture("rekor.pub")).expect("root");
    assert_eq!(
        verify_blob(&signer, &unrelated, b"payload", b"payload"),
        Err("certificate does not chain to the given Fulcio roots".into())
    );
    let late = TestKeyless::new(2_240_611_200); // 2041: after the certificate expired
    assert_eq!(
        verify_blob(&late, &trust(), b"payload", b"payload"),
        Err("Rekor entry time 2240611200 is outside the certificate's validity".into())
    );
    // Another log's key: the entry is not from the given Rekor.
    let other_log = PrivateKey::generate().expect("key").public_key().to_pem();
    let foreign =
        TrustRoot::from_pem(&fixture("fulcio-root.pem"), other_log.as_bytes()).expect("root");
    let err = verify_blob(&signer, &foreign, b"payload", b"payload").expect_err("foreign log");
    assert!(err.contains("rather than the given Rekor key"), "{err}");
    // A bundle whose time was edited after signing.
    let sig = signer.sign(b"payload").expect("signs");
    let edited = sig
        .bundle
        .as_deref()
        .unwrap_or_default()
        .replace(&LOGGED.to_string(), &(LOGGED + 1).to_string());
    let err = trust()
        .verify(
            b"payload",
            &STANDARD.encode(&sig.bytes),
            sig.certificate.as_deref().unwrap_or_default(),
            "",
            &edited,
        )
        .expect_err("edited");
    assert_eq!(
        err.to_string(),
        "Rekor SignedEntryTimestamp does not verify"
    );
}

#[test]
fn keyless_image_signature_in_a_layout_verifies_by_identity() {
    let dir = tempfile::tempdir().expect("tmp");
    LayoutBuilder::new()
        .image(
            Some("1.0"),
            ImageSpec::new().layer(LayerSpec::new().file("a", "b")),
        )
        .write(dir.path());
    let store = Location::parse(&format!("oci:{}:1.0", dir.path().display()))
        .expect("location")
        .open(&RemoteOptions::default())
        .expect("opens");
    let none = BTreeMap::new();
    sign_image(
        store.as_ref(),
        &TestKeyless::new(LOGGED),
        &none,
        None,
        Attach::Tag,
    )
    .expect("signs");
    let verifier = |identity: &str| Verifier::Keyless {
        trust: Box::new(trust()),
        identity: Some(identity.to_string()),
        issuer: Some("https://issuer.example".into()),
    };
    let verified =
        verify_image(store.as_ref(), &verifier("test@example.com"), &none, None).expect("verifies");
    let identity = verified[0].certificate.as_ref().expect("keyless identity");
    assert_eq!(identity.subject, ["test@example.com"]);
    assert_eq!(identity.log_index, 42);
    let err = verify_image(
        store.as_ref(),
        &verifier("someone@example.com"),
        &none,
        None,
    )
    .expect_err("other identity");
    assert!(
        err.to_string()
            .starts_with("no signature by identity someone@example.com"),
        "{err}"
    );
    // A key verifier does not accept the keyless signature.
    let key = PrivateKey::generate().expect("key").public_key();
    assert!(verify_image(store.as_ref(), &Verifier::Key(key), &none, None).is_err());
}

#[test]
fn keyless_attestation_verifies_against_its_intoto_entry() {
    let dir = tempfile::tempdir().expect("tmp");
    LayoutBuilder::new()
        .image(
            Some("1.0"),
            ImageSpec::new().layer(LayerSpec::new().file("a", "b")),
        )
        .write(dir.path());
    let store = Location::parse(&format!("oci:{}:1.0", dir.path().display()))
        .expect("location")
        .open(&RemoteOptions::default())
        .expect("opens");
    attest(
        store.as_ref(),
        &TestKeyless::new(LOGGED),
        "https://slsa.dev/provenance/v1",
        serde_json::json!({"buildDefinition": {"buildType": "https://example/ci"}}),
        Attach::Tag,
    )
    .expect("attests");
    let verifier = |identity: &str| Verifier::Keyless {
        trust: Box::new(trust()),
        identity: Some(identity.to_string()),
        issuer: None,
    };
    let found = verify_attestations(
        store.as_ref(),
        &verifier("test@example.com"),
        Some("https://slsa.dev/provenance/v1"),
    )
    .expect("verifies");
    assert_eq!(
        found[0].certificate.as_ref().map(|c| c.subject.clone()),
        Some(vec!["test@example.com".to_string()])
    );
    let err = verify_attestations(store.as_ref(), &verifier("other@example.com"), None)
        .expect_err("other identity");
    assert!(
        err.to_string()
            .starts_with("no attestation by identity other@example.com"),
        "{err}"
    );
    // An unrelated root does not verify it either.
    let unrelated = Verifier::Keyless {
        trust: Box::new(
            TrustRoot::from_pem(&fixture("other-root.pem"), &fixture("rekor.pub")).expect("root"),
        ),
        identity: None,
        issuer: None,
    };
    assert!(verify_attestations(store.as_ref(), &unrelated, None).is_err());
}

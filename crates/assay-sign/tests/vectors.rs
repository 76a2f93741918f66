//! Committed signature vectors (tests/vectors/README.md says how each was made): a signature
//! assay made, signatures OpenSSL made over the same cosign payload, and the key files assay
//! must read or refuse. They pin the blob signature format (`cosign sign-blob`: base64 of
//! an ASN.1 DER ECDSA P-256 or PKCS#1 v1.5 RSA signature over SHA-256) against an independent
//! implementation and against changes in assay itself.

use std::path::PathBuf;

use assay_sign::{Error, ErrorKind, PrivateKey, PublicKey, verify_blob};

fn vector(name: &str) -> Vec<u8> {
    read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/vectors")
            .join(name),
    )
}

fn demo(name: &str) -> Vec<u8> {
    read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../fixtures/keys")
            .join(name),
    )
}

fn read(path: PathBuf) -> Vec<u8> {
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn public(bytes: &[u8]) -> PublicKey {
    PublicKey::from_pem(bytes, "key").expect("public key")
}

fn text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).expect("utf8")
}

#[test]
fn committed_signatures_verify_with_their_keys_only() {
    let payload = vector("payload.json");
    assert_ne!(payload.last(), Some(&b'\n'), "signed bytes, no newline");
    let cases = [
        ("payload.assay-build.sig", public(&demo("build.pub"))),
        ("payload.openssl-ec.sig", public(&vector("ec-sec1.pub"))),
        ("payload.openssl-rsa.sig", public(&vector("rsa-pkcs1.pub"))),
    ];
    for (sig, key) in &cases {
        let signature = text(vector(sig));
        verify_blob(key, &payload, &signature).unwrap_or_else(|e| panic!("{sig}: {e}"));
        // Any other key: a verification failure (exit 4), naming the key.
        for (other, wrong) in &cases {
            if other != sig {
                let err = verify_blob(wrong, &payload, &signature).expect_err("wrong key");
                assert_eq!(err.kind(), ErrorKind::Verification, "{sig} with {other}");
                assert_eq!(
                    err.to_string(),
                    format!("signature does not verify with key {}", wrong.fingerprint())
                );
            }
        }
        // One byte of the payload changed.
        let mut tampered = payload.clone();
        tampered[20] ^= 1;
        let err = verify_blob(key, &tampered, &signature).expect_err("tampered");
        assert_eq!(err.kind(), ErrorKind::Verification);
    }
    // Not base64: bad input (exit 2), not a failed verification.
    let err = verify_blob(&cases[0].1, &payload, "this@is@a@signature").expect_err("base64");
    assert_eq!(err.kind(), ErrorKind::Input);
    assert!(
        err.to_string().starts_with("signature: not base64"),
        "{err}"
    );
}

#[test]
fn assay_signatures_over_the_vector_payload_are_der_and_verify() {
    let password = text(demo("PASSWORD"));
    let key = PrivateKey::from_pem(
        &demo("build.key"),
        Some(password.trim().as_bytes()),
        "build.key",
    )
    .expect("demo key");
    let payload = vector("payload.json");
    let signature = key.sign(&payload).expect("signs");
    // ASN.1 DER: SEQUENCE, length, two INTEGERs; 70 to 72 bytes for P-256.
    assert_eq!(signature[0], 0x30);
    assert_eq!(usize::from(signature[1]) + 2, signature.len());
    assert!((8..=72).contains(&signature.len()));
    key.public_key()
        .verify(&payload, &signature)
        .expect("verifies");
}

#[test]
fn plain_pkcs8_keys_are_read_and_other_curves_and_algorithms_refused() {
    for (file, public_file, algorithm) in [
        ("ec-pkcs8.key", "ec-sec1.pub", "ecdsa-p256"),
        ("rsa-pkcs8.key", "rsa-pkcs1.pub", "rsa"),
    ] {
        let key = PrivateKey::from_pem(&vector(file), None, file).expect("reads");
        assert_eq!(key.algorithm(), algorithm);
        assert_eq!(key.public_key(), public(&vector(public_file)));
    }
    let err = PrivateKey::from_pem(&vector("p384.key"), None, "p384.key").expect_err("P-384");
    assert!(matches!(err, Error::UnsupportedKey { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        "p384.key: unsupported key type ecdsa-p384 (assay signs with ECDSA P-256 or RSA keys)"
    );
    for (file, kind) in [("p384.pub", "ecdsa-p384"), ("ed25519.pub", "ed25519")] {
        let err = PublicKey::from_pem(&vector(file), file).expect_err("refused");
        assert_eq!(err.kind(), ErrorKind::Input);
        assert_eq!(
            err.to_string(),
            format!(
                "{file}: unsupported key type {kind} (assay signs with ECDSA P-256 or RSA keys)"
            )
        );
    }
}

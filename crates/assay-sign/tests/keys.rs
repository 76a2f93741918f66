//! Key files: every format assay reads, cosign's encrypted format round trip for each key
//! type, and the errors for unsupported keys and passwords.

use std::path::PathBuf;

use assay_sign::{Error, PrivateKey, PublicKey};

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/keys")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_key_type_round_trips_through_cosigns_encrypted_format() {
    for (file, algorithm) in [("rsa-pkcs1.key", "rsa"), ("ec-sec1.key", "ecdsa-p256")] {
        let key = PrivateKey::from_pem(&fixture(file), None, file).expect("reads");
        assert_eq!(key.algorithm(), algorithm);
        let pem = key.to_encrypted_pem(b"pw").expect("encrypts");
        assert!(pem.starts_with("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n"));
        let back = PrivateKey::from_pem(pem.as_bytes(), Some(b"pw"), "k").expect("decrypts");
        assert_eq!(back.public_key(), key.public_key());
        let sig = back.sign(b"payload").expect("signs");
        key.public_key().verify(b"payload", &sig).expect("verifies");
        // The same key under cosign's older label is read too.
        let legacy = pem.replace("SIGSTORE", "COSIGN");
        PrivateKey::from_pem(legacy.as_bytes(), Some(b"pw"), "k").expect("legacy label");
    }
}

#[test]
fn encrypted_keys_need_the_right_password() {
    let pem = fixture("build.key");
    let password = String::from_utf8(fixture("PASSWORD")).expect("utf8");
    let key = PrivateKey::from_pem(&pem, Some(password.trim().as_bytes()), "build.key")
        .expect("demo password opens the demo key");
    let public = PublicKey::from_pem(&fixture("build.pub"), "build.pub").expect("public");
    assert_eq!(key.public_key(), public);
    assert!(matches!(
        PrivateKey::from_pem(&pem, Some(b"wrong"), "build.key"),
        Err(Error::WrongPassword { .. })
    ));
    assert!(matches!(
        PrivateKey::from_pem(&pem, None, "build.key"),
        Err(Error::PasswordRequired { .. })
    ));
}

#[test]
fn unsupported_and_misplaced_keys_are_named() {
    let err =
        PrivateKey::from_pem(&fixture("ed25519.key"), None, "ed25519.key").expect_err("ed25519");
    assert_eq!(
        err.to_string(),
        "ed25519.key: unsupported key type ed25519 (assay signs with ECDSA P-256 or RSA keys)"
    );
    let err = PublicKey::from_pem(&fixture("build.key"), "build.key").expect_err("private");
    assert!(err.to_string().contains("this is a private key"), "{err}");
    let err = PublicKey::from_pem(b"not a key", "x.pub").expect_err("garbage");
    assert_eq!(err.to_string(), "x.pub: no PUBLIC KEY PEM block");
}

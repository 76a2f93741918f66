//! Inputs found by fuzzing (fuzz/fuzz_targets/cosign_key.rs, see docs/reliability.md), each
//! kept as a test: they must give an error, never a panic.
#![allow(clippy::unwrap_used)]

use assay_sign::PrivateKey;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// A cosign encrypted key whose scrypt parameters are `params`.
fn encrypted_key(params: &str) -> Vec<u8> {
    let json = format!(
        r#"{{"kdf":{{"name":"scrypt","params":{{{params}}},"salt":"AAAA"}},"cipher":{{"name":"nacl/secretbox","nonce":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}},"ciphertext":"AAAA"}}"#
    );
    format!(
        "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n{}\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n",
        STANDARD.encode(json)
    )
    .into_bytes()
}

/// `128 * N * r` (the scrypt memory the limit check computes) overflows u64 for N = 2^57,
/// r = 1 and for N = 2^35, r = 2^22: the check must refuse them, not overflow. (In release
/// builds the product wraps to 0 and scrypt's own `Params::new` then refuses them; with
/// overflow checks, as in tests and fuzzing, it panics at src/encrypted.rs:127.)
#[test]
fn scrypt_parameters_whose_memory_overflows_are_refused() {
    for params in [
        r#""N":144115188075855872,"r":1,"p":1"#,
        r#""N":34359738368,"r":4194304,"p":1"#,
        r#""N":9223372036854775808,"r":4294967295,"p":1"#,
    ] {
        let result = std::panic::catch_unwind(|| {
            PrivateKey::from_pem(&encrypted_key(params), Some(b"pw"), "k.key").map(|_| ())
        });
        let err = result
            .unwrap_or_else(|_| panic!("{params}: panicked"))
            .expect_err(params);
        assert!(err.to_string().contains("k.key"), "{params}: {err}");
    }
}

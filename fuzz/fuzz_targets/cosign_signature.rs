//! cosign signatures: the simple-signing payload parser, and verification of a base64
//! signature (as found in a `.sig` manifest's annotation or a `sign-blob` output) against
//! fixed keys of each algorithm. Input: payload, a NUL byte, the signature text.
#![no_main]

use std::sync::OnceLock;

use assay_sign::payload::SimpleSigning;
use assay_sign::{PublicKey, verify_blob};
use libfuzzer_sys::fuzz_target;

// A fixed public key from the repository's fixtures plus a fresh one, so every run checks
// signatures against real keys.
const FIXTURE: &str = include_str!("../../fixtures/keys/release-manager-1.pub");

fn keys() -> &'static Vec<PublicKey> {
    static KEYS: OnceLock<Vec<PublicKey>> = OnceLock::new();
    KEYS.get_or_init(|| {
        let mut keys = Vec::new();
        if let Ok(k) = PublicKey::from_pem(FIXTURE.as_bytes(), "release-manager-1.pub") {
            keys.push(k);
        }
        if let Ok(k) = assay_sign::PrivateKey::generate() {
            keys.push(k.public_key());
        }
        keys
    })
}

fuzz_target!(|data: &[u8]| {
    let (payload, signature) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    if let Ok(parsed) = SimpleSigning::parse(payload, "fuzz payload") {
        let _ = parsed.annotation("tag");
        let _ = parsed.to_bytes();
    }
    if let Ok(signature) = std::str::from_utf8(signature) {
        for key in keys() {
            assert!(
                verify_blob(key, payload, signature).is_err(),
                "a fuzzed signature verified"
            );
        }
    }
});

//! cosign key parsing: the first byte picks the reader (public PEM, private PEM without and
//! with the fixtures' password, which opens cosign's scrypt + secretbox encrypted keys, SPKI DER, PKCS#8
//! DER, raw PEM blocks). Any bytes give a key or an error, never a panic.
#![no_main]

use assay_sign::{PrivateKey, PublicKey, pem};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    match pick % 6 {
        0 => {
            if let Ok(key) = PublicKey::from_pem(rest, "fuzz.pub") {
                let _ = key.fingerprint();
                // What we write we must read back.
                let again = PublicKey::from_pem(key.to_pem().as_bytes(), "again.pub");
                assert!(again.is_ok(), "cannot re-read a written public key");
            }
        }
        1 => {
            let _ = PrivateKey::from_pem(rest, None, "fuzz.key");
        }
        2 => {
            let _ = PrivateKey::from_pem(rest, Some(b"assay-demo"), "fuzz.key");
        }
        3 => {
            let _ = PublicKey::from_spki_der(rest, "fuzz.der");
        }
        4 => {
            let _ = PrivateKey::from_pkcs8_der(rest, "fuzz.der");
        }
        _ => {
            if let Ok(text) = std::str::from_utf8(rest) {
                let _ = pem::parse_all(text);
            }
        }
    }
});

//! cosign's encrypted private keys: the PKCS#8 DER of the key sealed with NaCl secretbox
//! (XSalsa20-Poly1305) under a key derived from the password with scrypt, as JSON inside an
//! `ENCRYPTED SIGSTORE PRIVATE KEY` PEM block. This is go-securesystemslib's `encrypted`
//! format, which cosign calls with these parameters:
//!
//! ```json
//! {"kdf":{"name":"scrypt","params":{"N":32768,"r":8,"p":1},"salt":"<base64 32 bytes>"},
//!  "cipher":{"name":"nacl/secretbox","nonce":"<base64 24 bytes>"},"ciphertext":"<base64>"}
//! ```
//!
//! The JSON is written on one line in that field order (Go's `json.Marshal` of the struct),
//! so keys assay writes are byte-for-byte the shape cosign writes.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use crypto_secretbox::aead::{Aead, KeyInit};
use crypto_secretbox::{Nonce, XSalsa20Poly1305};
use serde::{Deserialize, Serialize};

use crate::error::Error;

/// PEM label cosign writes.
pub const LABEL: &str = "ENCRYPTED SIGSTORE PRIVATE KEY";
/// PEM label cosign wrote before v2 (still read by cosign).
pub const LEGACY_LABEL: &str = "ENCRYPTED COSIGN PRIVATE KEY";

/// scrypt cost cosign uses (2^15).
const LOG_N: u8 = 15;
const R: u32 = 8;
const P: u32 = 1;
/// Refuse key files whose scrypt parameters would need more than 1 GiB or hours of work:
/// the parameters come from the file.
const MAX_SCRYPT_MEMORY: u64 = 1 << 30;
const MAX_P: u32 = 16;

#[derive(Serialize, Deserialize)]
struct Envelope {
    kdf: Kdf,
    cipher: Cipher,
    ciphertext: String,
}

#[derive(Serialize, Deserialize)]
struct Kdf {
    name: String,
    params: ScryptParams,
    salt: String,
}

#[derive(Serialize, Deserialize)]
struct ScryptParams {
    #[serde(rename = "N")]
    n: u64,
    r: u32,
    p: u32,
}

#[derive(Serialize, Deserialize)]
struct Cipher {
    name: String,
    nonce: String,
}

fn derive(password: &[u8], salt: &[u8], log_n: u8, r: u32, p: u32) -> Result<[u8; 32], Error> {
    let params = scrypt::Params::new(log_n, r, p)
        .map_err(|e| Error::key("encrypted key", format!("bad scrypt parameters: {e}")))?;
    let mut key = [0u8; 32];
    scrypt::scrypt(password, salt, &params, &mut key)
        .map_err(|e| Error::key("encrypted key", format!("scrypt: {e}")))?;
    Ok(key)
}

/// Seals `plaintext` (PKCS#8 DER) with `password`; returns the JSON document.
pub fn encrypt(plaintext: &[u8], password: &[u8]) -> Result<Vec<u8>, Error> {
    let mut salt = [0u8; 32];
    let mut nonce = [0u8; 24];
    getrandom::fill(&mut salt)
        .and_then(|()| getrandom::fill(&mut nonce))
        .map_err(|e| Error::key("encrypted key", format!("no random source: {e}")))?;
    let key = derive(password, &salt, LOG_N, R, P)?;
    let cipher = XSalsa20Poly1305::new(&key.into());
    let ciphertext = cipher
        .encrypt(Nonce::from_slice(&nonce), plaintext)
        .map_err(|_| Error::key("encrypted key", "secretbox failed"))?;
    let envelope = Envelope {
        kdf: Kdf {
            name: "scrypt".into(),
            params: ScryptParams {
                n: 1 << LOG_N,
                r: R,
                p: P,
            },
            salt: STANDARD.encode(salt),
        },
        cipher: Cipher {
            name: "nacl/secretbox".into(),
            nonce: STANDARD.encode(nonce),
        },
        ciphertext: STANDARD.encode(ciphertext),
    };
    serde_json::to_vec(&envelope).map_err(|e| Error::key("encrypted key", e.to_string()))
}

/// Opens the JSON document `json` with `password`; returns the PKCS#8 DER.
pub fn decrypt(json: &[u8], password: &[u8], what: &str) -> Result<Vec<u8>, Error> {
    let envelope: Envelope = serde_json::from_slice(json)
        .map_err(|e| Error::key(what, format!("not a cosign encrypted key: {e}")))?;
    if envelope.kdf.name != "scrypt" {
        return Err(Error::key(
            what,
            format!("unsupported key derivation {:?}", envelope.kdf.name),
        ));
    }
    if envelope.cipher.name != "nacl/secretbox" {
        return Err(Error::key(
            what,
            format!("unsupported cipher {:?}", envelope.cipher.name),
        ));
    }
    let ScryptParams { n, r, p } = envelope.kdf.params;
    if !n.is_power_of_two() || n < 2 {
        return Err(Error::key(
            what,
            format!("scrypt N={n} is not a power of two"),
        ));
    }
    if r == 0
        || p == 0
        || p > MAX_P
        || 128u64
            .checked_mul(n)
            .and_then(|m| m.checked_mul(u64::from(r)))
            .is_none_or(|m| m > MAX_SCRYPT_MEMORY)
    {
        return Err(Error::key(
            what,
            format!("scrypt parameters N={n} r={r} p={p} are beyond assay's limits"),
        ));
    }
    let log_n = n.trailing_zeros() as u8;
    let decode = |field: &str, text: &str| {
        STANDARD
            .decode(text)
            .map_err(|e| Error::key(what, format!("bad base64 in {field}: {e}")))
    };
    let salt = decode("salt", &envelope.kdf.salt)?;
    let nonce = decode("nonce", &envelope.cipher.nonce)?;
    let ciphertext = decode("ciphertext", &envelope.ciphertext)?;
    if nonce.len() != 24 {
        return Err(Error::key(what, "secretbox nonce is not 24 bytes"));
    }
    let key = derive(password, &salt, log_n, r, p)?;
    let cipher = XSalsa20Poly1305::new(&key.into());
    cipher
        .decrypt(Nonce::from_slice(&nonce), ciphertext.as_slice())
        .map_err(|_| Error::WrongPassword {
            what: what.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_wrong_password() {
        let json = encrypt(b"secret der", b"pw").expect("encrypts");
        let text = String::from_utf8(json.clone()).expect("utf8");
        assert!(
            text.starts_with(
                r#"{"kdf":{"name":"scrypt","params":{"N":32768,"r":8,"p":1},"salt":""#
            )
        );
        assert!(text.contains(r#""cipher":{"name":"nacl/secretbox","nonce":""#));
        assert_eq!(decrypt(&json, b"pw", "k").expect("decrypts"), b"secret der");
        assert!(matches!(
            decrypt(&json, b"other", "k"),
            Err(Error::WrongPassword { .. })
        ));
    }

    #[test]
    fn refuses_hostile_scrypt_parameters() {
        let json = br#"{"kdf":{"name":"scrypt","params":{"N":1099511627776,"r":8,"p":1},"salt":""},"cipher":{"name":"nacl/secretbox","nonce":""},"ciphertext":""}"#;
        let err = decrypt(json, b"pw", "k").expect_err("refused");
        assert!(err.to_string().contains("beyond assay's limits"), "{err}");
    }
}

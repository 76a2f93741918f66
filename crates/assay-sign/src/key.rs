//! Signing and verification keys, read and written in the formats cosign uses.
//!
//! cosign signs with ECDSA P-256 + SHA-256 (ASN.1 DER signatures) and verifies RSA keys with
//! PKCS#1 v1.5 + SHA-256; those are the two kinds here. Private keys are read from cosign's
//! encrypted PEM ([`crate::encrypted`]), PKCS#8 (`PRIVATE KEY`), SEC1 (`EC PRIVATE KEY`) and
//! PKCS#1 (`RSA PRIVATE KEY`); public keys from `PUBLIC KEY` (SubjectPublicKeyInfo) PEM, the
//! only form cosign writes. Other algorithms (Ed25519, other curves) are refused by name, so
//! a user knows the key is the problem rather than the signature.

use std::fmt;

use p256::pkcs8::der::{Decode, asn1::ObjectIdentifier};
use p256::pkcs8::spki::AlgorithmIdentifierRef;
use p256::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::signature::{RandomizedSigner, SignatureEncoding, Signer as _, Verifier as _};
use sha2::{Digest as _, Sha256};

use crate::encrypted;
use crate::error::Error;
use crate::pem;

const OID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const OID_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const OID_P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const OID_P521: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.35");
const OID_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const OID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");

/// PEM label of the public keys cosign writes.
pub const PUBLIC_KEY_LABEL: &str = "PUBLIC KEY";

/// A private key that signs the way cosign does.
#[derive(Clone)]
pub enum PrivateKey {
    /// ECDSA P-256; signatures are SHA-256, ASN.1 DER.
    EcdsaP256(p256::ecdsa::SigningKey),
    /// RSA; signatures are PKCS#1 v1.5 with SHA-256.
    Rsa(Box<rsa::pkcs1v15::SigningKey<Sha256>>),
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the secret: the algorithm and the public key's fingerprint.
        write!(
            f,
            "PrivateKey({}, {})",
            self.algorithm(),
            self.public_key().fingerprint()
        )
    }
}

/// A public key that verifies signatures.
#[derive(Clone)]
pub enum PublicKey {
    /// ECDSA P-256 with SHA-256.
    EcdsaP256(p256::ecdsa::VerifyingKey),
    /// RSA PKCS#1 v1.5 with SHA-256.
    Rsa(Box<rsa::pkcs1v15::VerifyingKey<Sha256>>),
}

/// Keys are equal when their SubjectPublicKeyInfo is.
impl PartialEq for PublicKey {
    fn eq(&self, other: &PublicKey) -> bool {
        self.to_spki_der() == other.to_spki_der()
    }
}

impl Eq for PublicKey {}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({}, {})", self.algorithm(), self.fingerprint())
    }
}

impl PrivateKey {
    /// A new ECDSA P-256 key from the operating system's random source: the kind
    /// `cosign generate-key-pair` makes.
    pub fn generate() -> Result<PrivateKey, Error> {
        use p256::elliptic_curve::Generate;
        p256::ecdsa::SigningKey::try_generate_from_rng(&mut getrandom::SysRng)
            .map(PrivateKey::EcdsaP256)
            .map_err(|e| Error::key("key generation", format!("no random source: {e}")))
    }

    /// Reads a private key PEM. `what` names the file in errors; `password` opens cosign's
    /// encrypted keys (`ENCRYPTED SIGSTORE PRIVATE KEY`, and the older `ENCRYPTED COSIGN
    /// PRIVATE KEY` label) and is not needed for plain PKCS#8/SEC1/PKCS#1 keys.
    pub fn from_pem(text: &[u8], password: Option<&[u8]>, what: &str) -> Result<PrivateKey, Error> {
        let text = std::str::from_utf8(text).map_err(|_| Error::key(what, "not a PEM file"))?;
        let blocks = pem::parse_all(text).map_err(|e| Error::key(what, e))?;
        let block = blocks
            .into_iter()
            .find(|b| b.label.contains("PRIVATE KEY"))
            .ok_or_else(|| Error::key(what, "no private key PEM block"))?;
        match block.label.as_str() {
            encrypted::LABEL | encrypted::LEGACY_LABEL => {
                let password = password.ok_or_else(|| Error::PasswordRequired {
                    what: what.to_string(),
                })?;
                let der = encrypted::decrypt(&block.der, password, what)?;
                PrivateKey::from_pkcs8_der(&der, what)
            }
            "PRIVATE KEY" => PrivateKey::from_pkcs8_der(&block.der, what),
            "EC PRIVATE KEY" => match p256::SecretKey::from_sec1_der(&block.der) {
                Ok(k) => Ok(PrivateKey::EcdsaP256(k.into())),
                // Name the curve when it is one we know, so the error says what to change.
                Err(_) if p384::SecretKey::from_sec1_der(&block.der).is_ok() => {
                    Err(Error::UnsupportedKey {
                        what: what.to_string(),
                        kind: "ecdsa-p384".into(),
                    })
                }
                Err(e) => Err(Error::key(what, format!("bad EC private key: {e}"))),
            },
            "RSA PRIVATE KEY" => rsa::PrivateKey::from_pkcs1_der(&block.der)
                .map(|k| PrivateKey::Rsa(Box::new(rsa::pkcs1v15::SigningKey::new(k))))
                .map_err(|e| Error::key(what, format!("bad RSA private key: {e}"))),
            "ENCRYPTED PRIVATE KEY" => Err(Error::key(
                what,
                "PKCS#8-encrypted keys are not read; use a cosign encrypted key or a plain PKCS#8 key",
            )),
            other => Err(Error::key(what, format!("unknown PEM block {other:?}"))),
        }
    }

    /// A PKCS#8 `PrivateKeyInfo` (what cosign encrypts).
    pub fn from_pkcs8_der(der: &[u8], what: &str) -> Result<PrivateKey, Error> {
        let info = p256::pkcs8::PrivateKeyInfoRef::from_der(der)
            .map_err(|e| Error::key(what, format!("not a PKCS#8 private key: {e}")))?;
        match Kind::of(&info.algorithm, what)? {
            Kind::EcdsaP256 => p256::ecdsa::SigningKey::from_pkcs8_der(der)
                .map(PrivateKey::EcdsaP256)
                .map_err(|e| Error::key(what, format!("bad P-256 private key: {e}"))),
            Kind::Rsa => rsa::PrivateKey::from_pkcs8_der(der)
                .map(|k| PrivateKey::Rsa(Box::new(rsa::pkcs1v15::SigningKey::new(k))))
                .map_err(|e| Error::key(what, format!("bad RSA private key: {e}"))),
        }
    }

    /// The key as PKCS#8 DER (the plaintext inside cosign's encrypted PEM).
    pub fn to_pkcs8_der(&self) -> Result<Vec<u8>, Error> {
        let doc = match self {
            PrivateKey::EcdsaP256(k) => k.to_pkcs8_der(),
            PrivateKey::Rsa(k) => k.to_pkcs8_der(),
        }
        .map_err(|e| Error::key("private key", format!("cannot encode: {e}")))?;
        Ok(doc.as_bytes().to_vec())
    }

    /// The key as cosign writes it: encrypted with `password` (scrypt N=32768, r=8, p=1 and
    /// NaCl secretbox) in an `ENCRYPTED SIGSTORE PRIVATE KEY` PEM block.
    pub fn to_encrypted_pem(&self, password: &[u8]) -> Result<String, Error> {
        let der = self.to_pkcs8_der()?;
        let json = encrypted::encrypt(&der, password)?;
        Ok(pem::encode(encrypted::LABEL, &json))
    }

    /// Its public half.
    pub fn public_key(&self) -> PublicKey {
        match self {
            PrivateKey::EcdsaP256(k) => PublicKey::EcdsaP256(*k.verifying_key()),
            PrivateKey::Rsa(k) => {
                let public = rsa::PublicKey::from(k.as_ref().as_ref());
                PublicKey::Rsa(Box::new(rsa::pkcs1v15::VerifyingKey::new(public)))
            }
        }
    }

    /// Signs `message` (hashing it with SHA-256): an ASN.1 DER ECDSA signature or a PKCS#1
    /// v1.5 RSA signature, the bytes cosign base64-encodes.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, Error> {
        match self {
            PrivateKey::EcdsaP256(k) => {
                let sig: p256::ecdsa::Signature = k
                    .try_sign(message)
                    .map_err(|e| Error::key("private key", format!("cannot sign: {e}")))?;
                Ok(sig.to_der().as_bytes().to_vec())
            }
            PrivateKey::Rsa(k) => {
                // Randomized signing blinds the private operation; the signature is the same.
                let sig = k
                    .try_sign_with_rng(&mut getrandom::SysRng, message)
                    .map_err(|e| Error::key("private key", format!("cannot sign: {e}")))?;
                Ok(sig.to_vec())
            }
        }
    }

    /// `ecdsa-p256` or `rsa`.
    pub fn algorithm(&self) -> &'static str {
        self.public_key().algorithm()
    }
}

impl PublicKey {
    /// Reads a `PUBLIC KEY` PEM (the first one in the file). A certificate PEM is read too:
    /// its subject public key is used.
    pub fn from_pem(text: &[u8], what: &str) -> Result<PublicKey, Error> {
        let text = std::str::from_utf8(text).map_err(|_| Error::key(what, "not a PEM file"))?;
        let blocks = pem::parse_all(text).map_err(|e| Error::key(what, e))?;
        if let Some(block) = blocks.iter().find(|b| b.label == PUBLIC_KEY_LABEL) {
            return PublicKey::from_spki_der(&block.der, what);
        }
        if let Some(block) = blocks.iter().find(|b| b.label == "CERTIFICATE") {
            let spki = crate::keyless::certificate_spki_der(&block.der, what)?;
            return PublicKey::from_spki_der(&spki, what);
        }
        if blocks.iter().any(|b| b.label.contains("PRIVATE KEY")) {
            return Err(Error::key(
                what,
                "this is a private key; verification takes the public key (assay key public)",
            ));
        }
        Err(Error::key(what, "no PUBLIC KEY PEM block"))
    }

    /// A DER SubjectPublicKeyInfo.
    pub fn from_spki_der(der: &[u8], what: &str) -> Result<PublicKey, Error> {
        let info = p256::pkcs8::spki::SubjectPublicKeyInfoRef::from_der(der)
            .map_err(|e| Error::key(what, format!("not a public key: {e}")))?;
        match Kind::of(&info.algorithm, what)? {
            Kind::EcdsaP256 => p256::ecdsa::VerifyingKey::from_public_key_der(der)
                .map(PublicKey::EcdsaP256)
                .map_err(|e| Error::key(what, format!("bad P-256 public key: {e}"))),
            Kind::Rsa => rsa::PublicKey::from_public_key_der(der)
                .map(|k| PublicKey::Rsa(Box::new(rsa::pkcs1v15::VerifyingKey::new(k))))
                .map_err(|e| Error::key(what, format!("bad RSA public key: {e}"))),
        }
    }

    /// DER SubjectPublicKeyInfo.
    pub fn to_spki_der(&self) -> Vec<u8> {
        let doc = match self {
            PublicKey::EcdsaP256(k) => k.to_public_key_der(),
            PublicKey::Rsa(k) => k.to_public_key_der(),
        };
        // Encoding a key assay holds cannot fail (the encoders only fail on allocation).
        doc.map(|d| d.as_bytes().to_vec()).unwrap_or_default()
    }

    /// The `PUBLIC KEY` PEM cosign writes (`cosign.pub`).
    pub fn to_pem(&self) -> String {
        pem::encode(PUBLIC_KEY_LABEL, &self.to_spki_der())
    }

    /// `sha256:<hex>` of the DER SubjectPublicKeyInfo: the same hash Rekor uses as a key's
    /// id, so users can match it against `openssl pkey -pubin -outform DER | sha256sum`.
    pub fn fingerprint(&self) -> String {
        format!("sha256:{}", hex::encode(Sha256::digest(self.to_spki_der())))
    }

    /// `ecdsa-p256` or `rsa`.
    pub fn algorithm(&self) -> &'static str {
        match self {
            PublicKey::EcdsaP256(_) => "ecdsa-p256",
            PublicKey::Rsa(_) => "rsa",
        }
    }

    /// Checks `signature` over `message`. ECDSA signatures are ASN.1 DER as cosign writes
    /// them; the fixed 64-byte r||s form some tools write is accepted too.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), Error> {
        let ok = match self {
            PublicKey::EcdsaP256(k) => p256::ecdsa::Signature::from_der(signature)
                .or_else(|_| p256::ecdsa::Signature::from_slice(signature))
                .is_ok_and(|sig| k.verify(message, &sig).is_ok()),
            PublicKey::Rsa(k) => rsa::pkcs1v15::Signature::try_from(signature)
                .is_ok_and(|sig| k.verify(message, &sig).is_ok()),
        };
        if ok {
            Ok(())
        } else {
            Err(Error::Verification(format!(
                "signature does not verify with key {}",
                self.fingerprint()
            )))
        }
    }
}

/// The two kinds of key assay signs and verifies with.
enum Kind {
    EcdsaP256,
    Rsa,
}

impl Kind {
    /// The kind a PKCS#8 or SubjectPublicKeyInfo algorithm identifier names; other
    /// algorithms and curves are refused by name, for private and public keys alike.
    fn of(algorithm: &AlgorithmIdentifierRef<'_>, what: &str) -> Result<Kind, Error> {
        let oid = algorithm.oid;
        if oid == OID_RSA {
            return Ok(Kind::Rsa);
        }
        if oid != OID_EC_PUBLIC_KEY {
            return Err(Error::UnsupportedKey {
                what: what.to_string(),
                kind: algorithm_name(&oid),
            });
        }
        let curve = algorithm
            .parameters_oid()
            .map_err(|_| Error::key(what, "EC key without a named curve"))?;
        if curve != OID_P256 {
            return Err(Error::UnsupportedKey {
                what: what.to_string(),
                kind: curve_name(&curve),
            });
        }
        Ok(Kind::EcdsaP256)
    }
}

fn curve_name(oid: &ObjectIdentifier) -> String {
    if *oid == OID_P384 {
        "ecdsa-p384".into()
    } else if *oid == OID_P521 {
        "ecdsa-p521".into()
    } else {
        format!("ecdsa curve {oid}")
    }
}

fn algorithm_name(oid: &ObjectIdentifier) -> String {
    if *oid == OID_ED25519 {
        "ed25519".into()
    } else {
        format!("algorithm {oid}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_key_signs_and_verifies() {
        let key = PrivateKey::generate().expect("key");
        let sig = key.sign(b"payload").expect("sign");
        key.public_key().verify(b"payload", &sig).expect("verifies");
        assert!(key.public_key().verify(b"payload!", &sig).is_err());
    }

    #[test]
    fn public_pem_round_trips() {
        let key = PrivateKey::generate().expect("key").public_key();
        let pem = key.to_pem();
        assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----\n"));
        let back = PublicKey::from_pem(pem.as_bytes(), "k.pub").expect("reads");
        assert_eq!(back.fingerprint(), key.fingerprint());
    }
}

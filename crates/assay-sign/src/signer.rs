//! The signing interface. Key-based signing is [`KeySigner`]; a keyless signer (a Fulcio
//! certificate for the CI's OIDC token, a Rekor entry) returns the same [`Signature`] with
//! the certificate, chain and bundle filled, and everything that stores signatures works
//! with it unchanged.

use crate::error::Error;
use crate::key::{PrivateKey, PublicKey};

/// A signature and the material a verifier needs besides the payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    /// The raw signature bytes (DER ECDSA or PKCS#1 v1.5 RSA).
    pub bytes: Vec<u8>,
    /// PEM of the signing certificate (keyless), stored as `dev.sigstore.cosign/certificate`.
    pub certificate: Option<String>,
    /// PEM of the certificate chain (keyless), stored as `dev.sigstore.cosign/chain`.
    pub chain: Option<String>,
    /// The Rekor bundle JSON (keyless), stored as `dev.sigstore.cosign/bundle`.
    pub bundle: Option<String>,
}

/// Anything that signs bytes the way cosign verifies them.
pub trait Signer: std::fmt::Debug {
    /// Signs `message` (SHA-256 is applied by the signer).
    fn sign(&self, message: &[u8]) -> Result<Signature, Error>;

    /// The public key, for key-based signers (printed, and used to skip duplicates).
    fn public_key(&self) -> Option<PublicKey>;

    /// Signs a DSSE payload: the signature covers the pre-authentication encoding of
    /// `payload_type` and `payload`. A keyless signer overrides this to log the envelope as
    /// an `intoto` entry (rather than the `hashedrekord` of [`Signer::sign`]).
    fn sign_dsse(&self, payload_type: &str, payload: &[u8]) -> Result<Signature, Error> {
        self.sign(&crate::dsse::pae(payload_type, payload))
    }
}

/// Signs with a private key.
#[derive(Debug, Clone)]
pub struct KeySigner {
    key: PrivateKey,
}

impl KeySigner {
    /// A signer for `key`.
    pub fn new(key: PrivateKey) -> KeySigner {
        KeySigner { key }
    }
}

impl Signer for KeySigner {
    fn sign(&self, message: &[u8]) -> Result<Signature, Error> {
        Ok(Signature {
            bytes: self.key.sign(message)?,
            certificate: None,
            chain: None,
            bundle: None,
        })
    }

    fn public_key(&self) -> Option<PublicKey> {
        Some(self.key.public_key())
    }
}

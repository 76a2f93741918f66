//! Signatures and attestations in cosign's format, for images in registries and in OCI
//! layouts, and for blobs.
//!
//! Compatibility with cosign's on-registry format is the point: `cosign verify --key` accepts
//! what [`sign_image`] writes and [`verify_image`] accepts what `cosign sign` writes. The
//! formats are described where they are written: keys in [`key`] and [`encrypted`], the
//! signed payload in [`payload`], attestations in [`dsse`], the storage layout in [`cosign`]
//! and [`store`], keyless verification in [`keyless`].
//!
//! # The public API other crates build on
//! - open the image: [`Location::parse`] then [`Location::open`] -> `Box<dyn Store>`;
//! - sign: [`sign_image`], attest any predicate: [`attest`] (with a [`Signer`], e.g.
//!   [`KeySigner`] over a [`PrivateKey`] from [`PrivateKey::from_pem`]);
//! - verify: [`verify_image`], [`verify_attestations`] (with a [`Verifier`]), list:
//!   [`attachments`].
//!
//! # Why RustCrypto rather than the `sigstore` crate
//! `sigstore` 0.15 (default features off, `rustls-tls`) resolves to 274 crates including both
//! ring and aws-lc-rs (C and assembly builds); the RustCrypto crates used here (p256, p384,
//! rsa, scrypt, crypto_secretbox, x509-cert) resolve to 76, all pure Rust, and share sha2
//! 0.11 with the rest of assay. `sigstore` would still leave the parts assay needs most to be
//! written: the signature manifests (it pushes through its own client), DSSE attestation
//! verification (absent), layout storage, and the referrers fallback. What it would have
//! given (cosign's encrypted key format, ~150 lines in [`encrypted`]) is small and tested
//! here against keys cosign wrote.
#![deny(missing_docs)]

pub mod cosign;
pub mod dsse;
pub mod encrypted;
mod error;
pub mod key;
pub mod keyless;
pub mod payload;
pub mod pem;
pub mod signer;
pub mod store;

pub use cosign::{
    Attach, Attached, Attachments, Found, VerifiedAttestation, VerifiedSignature, Verifier,
    attachments, attest, attestation_tag, predicate_type_uri, referrers_tag, sign_blob, sign_image,
    signature_tag, verify_attestations, verify_blob, verify_image,
};
pub use error::{Error, ErrorKind};
pub use key::{PrivateKey, PublicKey};
pub use keyless::{CertificateIdentity, TrustRoot};
pub use signer::{KeySigner, Signature, Signer};
pub use store::{Location, Store, Subject};

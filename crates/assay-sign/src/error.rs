//! The errors of signing and verification. Each variant is one reason a user can act on; the
//! CLI maps [`Error::kind`] to its exit code (input 2, registry 3, verification 4).

use assay_oci::Digest;

/// What went wrong, naming the file, key or image concerned.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A key file that is not a key assay can read.
    #[error("{what}: {why}")]
    Key {
        /// The key file (or `"key"` for in-memory keys).
        what: String,
        /// Why it was refused.
        why: String,
    },
    /// A key of a type cosign's key-based flow does not use with assay (Ed25519, P-521...).
    #[error("{what}: unsupported key type {kind} (assay signs with ECDSA P-256 or RSA keys)")]
    UnsupportedKey {
        /// The key file.
        what: String,
        /// The algorithm found.
        kind: String,
    },
    /// An encrypted key whose password does not open it.
    #[error("{what}: wrong password for the encrypted private key")]
    WrongPassword {
        /// The key file.
        what: String,
    },
    /// An encrypted key and no password given.
    #[error("{what}: the private key is encrypted and no password was given (set ASSAY_PASSWORD)")]
    PasswordRequired {
        /// The key file.
        what: String,
    },
    /// Malformed input other than keys: payloads, envelopes, predicates, manifests.
    #[error("{what}: {why}")]
    Invalid {
        /// The document.
        what: String,
        /// Why it was refused.
        why: String,
    },
    /// A signature that does not verify, or evidence that does not match the image.
    #[error("{0}")]
    Verification(String),
    /// Nothing to verify: no signature or attestation is attached.
    #[error("{0}")]
    NotFound(String),
    /// A registry refused or could not be reached.
    #[error("{reference}: {message}")]
    Registry {
        /// The reference asked for.
        reference: String,
        /// The registry's answer.
        message: String,
    },
    /// Reading or writing an image (layouts, manifests).
    #[error(transparent)]
    Oci(#[from] assay_oci::Error),
    /// A file that could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

/// How the CLI should report an [`Error`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Bad input: keys, passwords, files (exit 2).
    Input,
    /// Registry or network (exit 3).
    Registry,
    /// Verification failed or there is nothing that verifies (exit 4).
    Verification,
}

impl Error {
    /// The class of error, for exit codes.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Verification(_) | Error::NotFound(_) => ErrorKind::Verification,
            Error::Registry { .. } | Error::Oci(assay_oci::Error::Registry { .. }) => {
                ErrorKind::Registry
            }
            _ => ErrorKind::Input,
        }
    }

    pub(crate) fn key(what: &str, why: impl Into<String>) -> Error {
        Error::Key {
            what: what.to_string(),
            why: why.into(),
        }
    }

    pub(crate) fn invalid(what: impl Into<String>, why: impl Into<String>) -> Error {
        Error::Invalid {
            what: what.into(),
            why: why.into(),
        }
    }

    pub(crate) fn io(path: impl Into<String>, source: std::io::Error) -> Error {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

/// `sha256-<hex>`: the tag prefix cosign derives from an image digest.
pub(crate) fn digest_tag(digest: &Digest) -> String {
    format!("{}-{}", digest.algorithm().as_str(), digest.hex())
}

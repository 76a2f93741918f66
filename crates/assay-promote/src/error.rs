//! Why a promotion step failed. Each variant maps to one exit code in the CLI: input (2),
//! registry or network (3), verification (4).

use std::path::PathBuf;

use assay_oci::copy::CopyError;

/// A promotion, approval or history error.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The policy file is invalid.
    #[error("{}:{line}: {message}", path.display())]
    Policy {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// Reading or writing images failed.
    #[error(transparent)]
    Copy(#[from] CopyError),
    /// Signing failed (key, password).
    #[error(transparent)]
    Sign(#[from] assay_sign::Error),
    /// Bad input that is not a file (a date, a reference).
    #[error("{0}")]
    Input(String),
    /// The evidence did not verify where it must (at the destination after the copy).
    #[error("{0}")]
    Verification(String),
}

impl Error {
    /// Registry or network failures (exit code 3).
    pub fn is_network(&self) -> bool {
        match self {
            Error::Copy(e) => e.is_network(),
            Error::Sign(e) => e.kind() == assay_sign::ErrorKind::Registry,
            _ => false,
        }
    }

    /// Verification failures (exit code 4).
    pub fn is_verification(&self) -> bool {
        matches!(self, Error::Verification(_))
            || matches!(self, Error::Copy(CopyError::DigestMismatch { .. }))
            || matches!(self, Error::Sign(e) if e.kind() == assay_sign::ErrorKind::Verification)
    }
}

//! PEP 440 version ordering (PyPI).
//!
//! Uses `pep440_rs`, uv's PEP 440 implementation: it is maintained, follows the spec's
//! normalisation rules (`1.0-1` is a post-release, `1.0.RC1` is `1.0rc1`, `v` prefix allowed)
//! and matches `packaging`'s ordering, including local versions. Invalid versions (which
//! `packaging.version.Version` rejects with `InvalidVersion`) are errors.

use std::cmp::Ordering;
use std::str::FromStr;

use pep440_rs::Version;

use super::{Scheme, VersionError};

fn parse(s: &str) -> Result<Version, VersionError> {
    // packaging strips surrounding whitespace before matching its regex.
    Version::from_str(s.trim()).map_err(|e| VersionError::invalid(Scheme::Pep440, s, e.to_string()))
}

/// Orders two PEP 440 versions.
pub(super) fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    Ok(parse(a)?.cmp(&parse(b)?))
}

//! Vulnerability matching for assay.
//!
//! Matching an installed package against an advisory comes down to one question per
//! ecosystem: is this version inside the affected range? Each ecosystem orders versions its
//! own way (dpkg's `~`, RPM's `^`, Maven's qualifiers, PEP 440's dev/post releases ...), and a
//! scanner that orders them generically reports false positives and, worse, misses. So
//! [`version`] holds one module per ordering scheme, each a port of (or a thin wrapper over) the
//! ecosystem's reference implementation, tested against that implementation's own vectors.
#![deny(missing_docs)]

pub mod db;
pub mod osv;
pub mod version;
pub mod vex;

pub use version::{
    Event, Scheme, VersionError, compare, compare_cli, compare_ecosystem, is_affected,
};

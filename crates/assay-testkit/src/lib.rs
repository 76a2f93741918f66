//! Test support shared by assay's crates: a real OCI registry (the CNCF distribution
//! registry, Debian's `docker-registry`) started on a free 127.0.0.1 port for the length of a
//! test, so registry code is tested against the real protocol, never a mock.
//!
//! Under `CI=true` a missing registry binary is a test failure, never a skip: CI installs it
//! (`.ci/run`), so its absence means the set-up broke.
#![deny(missing_docs)]

pub mod auth;
pub mod http;
pub mod proxy;
pub mod registry;

pub use registry::Registry;

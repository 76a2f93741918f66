//! Language package metadata and lock files.

pub mod node;
pub mod python;
pub mod rust;

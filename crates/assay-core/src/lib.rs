//! The vocabulary every assay crate speaks: what a scan was given ([`Target`]), what it found
//! ([`Finding`]), how bad that is ([`Severity`]), which built-in check said so ([`Rule`]) and the
//! one [`Report`] that every output format is written from.
//!
//! This crate does no I/O so that parsers, analyzers, report writers and the CLI can share these
//! types without pulling each other's dependencies in.
#![deny(missing_docs)]

pub mod finding;
pub mod lineage;
pub mod package;
pub mod report;
pub mod rule;
pub mod severity;
pub mod target;

pub use finding::{Finding, FindingKind, Location, Origin, PackageRef, Suppression};
pub use lineage::{BaseImage, Dependency};
pub use package::{Distro, Inventory, Package, purl};
pub use report::{CheckedRule, LicenseSummary, Report, SCHEMA_VERSION, ScanError, TargetSummary};
pub use rule::{Rule, RuleDoc, RuleTarget};
pub use severity::{ParseSeverityError, Severity};
pub use target::{ParseTargetError, Target};

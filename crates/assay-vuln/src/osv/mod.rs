//! OSV records: the schema ([`model`]) and reading them from files, trees and zip exports
//! ([`import`](mod@import)).
//!
//! OSV (<https://ossf.github.io/osv-schema/>) is the one format every advisory source assay
//! uses publishes in (GitHub, PyPA, RustSec, Go, Debian, Alpine, ...), so the database is built
//! from OSV only; source-specific formats would each need a converter and drift.

pub mod import;
pub mod model;

pub use import::{ImportError, ImportStats, Location, import};
pub use model::{Affected, Package, Range, RangeEvent, Reference, Severity, Vulnerability};

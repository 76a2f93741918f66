//! Language package metadata and lock files.

mod elf;

/// Catalogers that read compiled executables (any extension-less file in a `bin` directory):
/// right for image filesystems, but a source tree's `bin/` scripts are not lock files, so
/// directory scans leave these out.
pub const EXECUTABLE_CATALOGERS: &[&str] = &["go-binary", "cargo-auditable"];
pub mod dotnet;
pub mod go;
pub mod java;
pub mod node;
pub mod php;
pub mod pnpm;
pub mod python;
pub mod python_lock;
pub mod ruby;
pub mod rust;
pub mod yarn;

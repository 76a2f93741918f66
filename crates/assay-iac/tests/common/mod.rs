//! Helpers shared by the Rego test files.

use std::path::PathBuf;

/// Writes `files` (relative path, text) into a fresh directory named after the test binary
/// (`kind`), the process and `name`, and returns it.
pub fn policy_dir(kind: &str, name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("assay-rego-{kind}-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for (path, text) in files {
        let file = dir.join(path);
        std::fs::create_dir_all(file.parent().expect("file has a parent")).expect("mkdir");
        std::fs::write(file, text).expect("write policy");
    }
    dir
}

//! Finding policy and data files below the directories the user named, and merging data files
//! into one `data` document.
//!
//! Files are read in sorted path order so that the same directory always gives the same engine,
//! the same rule order and the same error first. Hidden directories (`.git`) are skipped.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::error::{RegoError, lower_first};

/// The files found below the policy directories.
#[derive(Debug, Default)]
pub(crate) struct PolicyFiles {
    /// `*.rego` files that are not tests.
    pub policies: Vec<PathBuf>,
    /// `*_test.rego` files.
    pub tests: Vec<PathBuf>,
    /// Files named `data.json`, `data.yaml` or `data.yml`.
    pub data: Vec<PathBuf>,
}

/// Walks `roots` (directories or single files), sorted and without duplicates.
///
/// Next to policies, only files named `data.json`/`data.yaml` are data (OPA's bundle
/// convention): policy folders often hold test fixtures and manifests that are not data.
pub(crate) fn discover(roots: &[PathBuf]) -> Result<PolicyFiles, RegoError> {
    let mut files = PolicyFiles::default();
    for path in collect(roots)? {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.ends_with("_test.rego") {
            files.tests.push(path);
        } else if name.ends_with(".rego") {
            files.policies.push(path);
        } else if matches!(name, "data.json" | "data.yaml" | "data.yml") {
            files.data.push(path);
        }
    }
    Ok(files)
}

/// Data files below `roots` (the `--data` option): every JSON and YAML file.
pub(crate) fn discover_data(roots: &[PathBuf]) -> Result<Vec<PathBuf>, RegoError> {
    let mut all = collect(roots)?;
    all.retain(|p| {
        p.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(is_data_file)
    });
    Ok(all)
}

/// Every file below `roots` (a root may be a file), sorted, without duplicates.
fn collect(roots: &[PathBuf]) -> Result<Vec<PathBuf>, RegoError> {
    let mut all = Vec::new();
    for root in roots {
        let meta = fs::metadata(root).map_err(|e| read_error(root, &e))?;
        if meta.is_dir() {
            walk(root, &mut all)?;
        } else {
            all.push(root.clone());
        }
    }
    all.sort();
    all.dedup();
    Ok(all)
}

fn is_data_file(name: &str) -> bool {
    name.ends_with(".json") || name.ends_with(".yaml") || name.ends_with(".yml")
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), RegoError> {
    let entries = fs::read_dir(dir).map_err(|e| read_error(dir, &e))?;
    for entry in entries {
        let entry = entry.map_err(|e| read_error(dir, &e))?;
        let path = entry.path();
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        let kind = entry.file_type().map_err(|e| read_error(&path, &e))?;
        // Symlinked directories are not followed (no loops); symlinked files are read.
        if hidden {
            continue;
        } else if kind.is_dir() {
            walk(&path, out)?;
        } else if kind.is_file() || (kind.is_symlink() && path.is_file()) {
            out.push(path);
        }
    }
    Ok(())
}

/// Reads a file as UTF-8 text.
pub(crate) fn read_text(path: &Path) -> Result<String, RegoError> {
    fs::read_to_string(path).map_err(|e| read_error(path, &e))
}

pub(crate) fn read_error(path: &Path, err: &std::io::Error) -> RegoError {
    let message = match err.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => lower_first(&err.to_string()),
    };
    RegoError::Read {
        path: display(path),
        message,
    }
}

/// A path as messages and findings show it: `/` separators.
pub(crate) fn display(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

/// The `data` document: every data file's top-level object deep-merged at the root, as
/// Conftest's `--data` does for files named directly. Two files giving different values to
/// the same key is an error naming both.
#[derive(Debug, Default)]
pub(crate) struct DataDocument {
    value: Map<String, Value>,
    /// Which file set each top-level key, for conflict messages.
    origin: BTreeMap<String, String>,
}

impl DataDocument {
    /// Parses and merges one data file.
    pub fn add_file(&mut self, path: &Path) -> Result<(), RegoError> {
        let text = read_text(path)?;
        let name = display(path);
        let parsed = parse_data(&name, &text)?;
        let Value::Object(object) = parsed else {
            if parsed.is_null() {
                return Ok(()); // an empty YAML file
            }
            return Err(RegoError::Data {
                path: name,
                message: "data file must hold an object at the top level".to_string(),
            });
        };
        for (key, value) in object {
            let previous = self.origin.get(&key).cloned();
            match self.value.get_mut(&key) {
                Some(existing) => {
                    merge(existing, value, &key).map_err(|at| RegoError::Data {
                        path: name.clone(),
                        message: format!(
                            "data.{at} conflicts with the value from {}",
                            previous.as_deref().unwrap_or("another data file")
                        ),
                    })?;
                }
                None => {
                    self.origin.insert(key.clone(), name.clone());
                    self.value.insert(key, value);
                }
            }
        }
        Ok(())
    }

    /// The merged document.
    pub fn into_value(self) -> Value {
        Value::Object(self.value)
    }
}

fn parse_data(name: &str, text: &str) -> Result<Value, RegoError> {
    let data_error = |message: String| RegoError::Data {
        path: name.to_string(),
        message,
    };
    if name.ends_with(".json") {
        serde_json::from_str(text).map_err(|e| data_error(format!("invalid json: {e}")))
    } else {
        let value = regorus::Value::from_yaml_str(text).map_err(|e| {
            let text = format!("{e:#}");
            let text = text.strip_prefix("Failed to parse YAML: ").unwrap_or(&text);
            data_error(format!("invalid yaml: {text}"))
        })?;
        serde_json::to_value(&value).map_err(|e| data_error(format!("invalid yaml: {e}")))
    }
}

/// Deep-merges `incoming` into `existing`; on a conflict returns the dotted path.
fn merge(existing: &mut Value, incoming: Value, at: &str) -> Result<(), String> {
    match (existing, incoming) {
        (Value::Object(left), Value::Object(right)) => {
            for (key, value) in right {
                let path = format!("{at}.{key}");
                match left.get_mut(&key) {
                    Some(slot) => merge(slot, value, &path)?,
                    None => {
                        left.insert(key, value);
                    }
                }
            }
            Ok(())
        }
        (left, right) if *left == right => Ok(()),
        _ => Err(at.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges_objects_and_rejects_conflicting_values() {
        let mut a = serde_json::json!({"x": {"a": 1}});
        assert!(merge(&mut a, serde_json::json!({"x": {"b": 2}}), "root").is_ok());
        assert_eq!(a, serde_json::json!({"x": {"a": 1, "b": 2}}));
        assert_eq!(
            merge(&mut a, serde_json::json!({"x": {"a": 3}}), "root"),
            Err("root.x.a".to_string())
        );
    }
}

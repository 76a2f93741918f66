//! Yarn lock files: v1 (`yarn.lock` in Yarn's own format) and Berry (Yarn 2+, a YAML
//! subset). Both are a list of blocks whose header lists the requested ranges
//! (`"debug@^4.1.0", "debug@^4.3.1":`) and whose indented fields give the `version` (v1:
//! `version "4.3.4"`, Berry: `version: 4.3.4`) and, in Berry, the `resolution`
//! (`debug@npm:4.3.4`). Both are read line by line: the format is regular enough, and a
//! YAML parser would not read v1. Berry entries resolved other than from the registry
//! (`workspace:`, `link:`, `portal:`, `patch:`, `file:`) are the project's own or local code
//! and are skipped, as are v1 entries whose version is not a registry version.

use assay_core::Package;

use super::node::package;
use crate::error::{CatalogError, text};
use crate::{Cataloger, File, file_name};

/// The `yarn.lock` cataloger.
#[derive(Debug, Clone, Copy)]
pub struct YarnLock;

/// `@scope/name@range` -> `@scope/name` (the last `@` not at the start).
fn spec_name(spec: &str) -> &str {
    let spec = spec.trim().trim_matches('"');
    match spec[1.min(spec.len())..].find('@') {
        Some(i) => &spec[..i + 1],
        None => spec,
    }
}

struct Block<'a> {
    line: usize,
    name: &'a str,
    /// The first requested range (`^4.1.0`, `file:../lib`, Berry's `npm:^4.1.0`).
    range: &'a str,
    version: Option<&'a str>,
    resolution: Option<&'a str>,
}

impl Cataloger for YarnLock {
    fn name(&self) -> &'static str {
        "yarn-lock"
    }

    fn wants(&self, path: &str) -> bool {
        file_name(path) == "yarn.lock" && !path.contains("node_modules/")
    }

    fn catalog(&self, file: &File<'_>) -> Result<Vec<Package>, CatalogError> {
        let text = text(file.path, file.content)?;
        let mut blocks: Vec<Block<'_>> = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let trimmed = line.trim_end();
            if trimmed.is_empty() || trimmed.trim_start().starts_with('#') {
                continue;
            }
            if !line.starts_with(' ') {
                let Some(header) = trimmed.strip_suffix(':') else {
                    return Err(CatalogError::Syntax {
                        path: file.path.to_string(),
                        line: i + 1,
                        why: "expected an entry header ending in `:`".into(),
                    });
                };
                let first = header.split(", ").next().unwrap_or_default();
                let first = first.trim().trim_matches('"');
                let name = spec_name(first);
                blocks.push(Block {
                    line: i + 1,
                    name,
                    range: first.get(name.len() + 1..).unwrap_or_default(),
                    version: None,
                    resolution: None,
                });
                continue;
            }
            // Only the block's own fields (two spaces), not nested `dependencies` entries.
            let Some(field) = line.strip_prefix("  ").filter(|f| !f.starts_with(' ')) else {
                continue;
            };
            let (key, value) = match field.split_once(": ") {
                Some((k, v)) => (k, v),
                None => match field.split_once(' ') {
                    Some((k, v)) => (k, v),
                    None => continue,
                },
            };
            let value = value.trim().trim_matches('"');
            if let Some(block) = blocks.last_mut() {
                match key.trim_matches('"') {
                    "version" => block.version = Some(value),
                    "resolution" => block.resolution = Some(value),
                    _ => {}
                }
            }
        }
        let mut out = Vec::new();
        for block in blocks {
            if block.name == "__metadata" {
                continue;
            }
            let Some(version) = block.version else {
                return Err(CatalogError::Syntax {
                    path: file.path.to_string(),
                    line: block.line,
                    why: format!("entry {} has no version", block.name),
                });
            };
            let name = match block.resolution {
                Some(resolution) => {
                    // `name@npm:1.2.3`; anything but the npm protocol is not a registry package.
                    let name = spec_name(resolution);
                    if !resolution[name.len()..].starts_with("@npm:") {
                        continue;
                    }
                    name
                }
                // v1: a range with a protocol (`file:`, `link:`, `git+https:`) is not the
                // registry; an `npm:` alias names the real package.
                None => match block.range.strip_prefix("npm:") {
                    Some(alias) => spec_name(alias),
                    None if block.range.contains(':') => continue,
                    None => block.name,
                },
            };
            if !version.starts_with(|c: char| c.is_ascii_digit()) {
                continue;
            }
            out.push(package(name, version, Vec::new(), file));
        }
        Ok(out)
    }
}

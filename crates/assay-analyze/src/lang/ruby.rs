//! Ruby: `Gemfile.lock` ([`GemfileLock`]: the `GEM` section's `specs`, i.e. gems from a gem
//! server; `GIT` and `PATH` sources are not published gems) and installed gem
//! specifications ([`GemSpec`]: `specifications/*.gemspec`, the Ruby files RubyGems writes
//! on install, with `s.name = "rake".freeze` style assignments).

use assay_core::{Package, purl};

use crate::error::{CatalogError, text};
use crate::{Cataloger, File, file_name};

/// `Gemfile.lock` (and `gems.locked`).
#[derive(Debug, Clone, Copy)]
pub struct GemfileLock;

/// Installed `specifications/*.gemspec`.
#[derive(Debug, Clone, Copy)]
pub struct GemSpec;

fn package(
    name: &str,
    version: &str,
    platform: &str,
    licenses: Vec<String>,
    file: &File<'_>,
) -> Package {
    Package {
        name: name.to_string(),
        version: version.to_string(),
        ecosystem: "RubyGems".into(),
        purl: purl("gem", None, name, version, &[("platform", platform)]),
        source_name: None,
        source_version: None,
        licenses,
        layer: file.layer.map(str::to_string),
        path: file.path.to_string(),
    }
}

/// `1.16.0-x86_64-linux` -> (`1.16.0`, `x86_64-linux`): a platform starts at the first `-`
/// followed by a letter (prerelease versions use `.`, `1.0.0.pre`).
fn split_platform(version: &str) -> (&str, &str) {
    version
        .char_indices()
        .find(|(i, c)| *c == '-' && version[i + 1..].starts_with(|l: char| l.is_ascii_alphabetic()))
        .map_or((version, ""), |(i, _)| (&version[..i], &version[i + 1..]))
}

impl Cataloger for GemfileLock {
    fn name(&self) -> &'static str {
        "gemfile-lock"
    }

    fn wants(&self, path: &str) -> bool {
        matches!(file_name(path), "Gemfile.lock" | "gems.locked")
    }

    fn catalog(&self, file: &File<'_>) -> Result<Vec<Package>, CatalogError> {
        let text = text(file.path, file.content)?;
        let mut out = Vec::new();
        let mut in_gem = false;
        for (i, line) in text.lines().enumerate() {
            if !line.starts_with(' ') {
                in_gem = line.trim_end() == "GEM";
                continue;
            }
            // Gems are the four-space lines under `specs:`; deeper lines are requirements.
            let Some(spec) = line.strip_prefix("    ").filter(|s| !s.starts_with(' ')) else {
                continue;
            };
            if !in_gem {
                continue;
            }
            let parsed = spec
                .trim_end()
                .split_once(" (")
                .and_then(|(name, rest)| Some((name, rest.strip_suffix(')')?)));
            let Some((name, version)) = parsed else {
                return Err(CatalogError::Syntax {
                    path: file.path.to_string(),
                    line: i + 1,
                    why: "expected `name (version)` in the GEM specs".into(),
                });
            };
            let (version, platform) = split_platform(version);
            out.push(package(name, version, platform, Vec::new(), file));
        }
        Ok(out)
    }
}

/// The first double-quoted string after `prefix` on a line.
fn quoted(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(start) = rest.find('"') {
        let Some(len) = rest[start + 1..].find('"') else {
            break;
        };
        out.push(rest[start + 1..start + 1 + len].to_string());
        rest = &rest[start + len + 2..];
    }
    out
}

impl Cataloger for GemSpec {
    fn name(&self) -> &'static str {
        "gemspec"
    }

    fn wants(&self, path: &str) -> bool {
        path.ends_with(".gemspec")
            && path.rsplit_once('/').is_some_and(|(dir, _)| {
                dir.ends_with("specifications") || dir.ends_with("specifications/default")
            })
    }

    fn catalog(&self, file: &File<'_>) -> Result<Vec<Package>, CatalogError> {
        let text = text(file.path, file.content)?;
        let (mut name, mut version, mut licenses) = (None, None, Vec::new());
        for line in text.lines() {
            let line = line.trim();
            let Some((lhs, rhs)) = line.split_once(" = ") else {
                continue;
            };
            match lhs.rsplit_once('.').map(|(_, field)| field) {
                Some("name") if name.is_none() => name = quoted(rhs).into_iter().next(),
                Some("version") if version.is_none() => version = quoted(rhs).into_iter().next(),
                Some("licenses" | "license") => licenses = quoted(rhs),
                _ => {}
            }
        }
        let (Some(name), Some(version)) = (name, version) else {
            return Ok(Vec::new());
        };
        Ok(vec![package(&name, &version, "", licenses, file)])
    }
}

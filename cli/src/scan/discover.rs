//! Finding what to scan in a directory, and telling a file's kind from its name or content.

use std::path::{Path, PathBuf};

/// What a file holds, as far as scanning goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FileKind {
    /// A Dockerfile or Containerfile.
    Dockerfile,
    /// YAML or JSON that may hold Kubernetes objects.
    Manifest,
}

impl FileKind {
    /// The name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            FileKind::Dockerfile => "dockerfile",
            FileKind::Manifest => "kubernetes",
        }
    }
}

/// Files above this size are not read during a directory walk (generated bundles, data
/// dumps); a file named explicitly is always read.
pub const MAX_WALKED_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// Whether a language cataloger reads this path as a lock file or manifest of packages
/// (`Cargo.lock`, `package-lock.json`, `requirements.txt`, ...; compiled binaries are left
/// to image scans). The same test the directory walk applies, so `assay scan Cargo.lock`
/// and `assay scan .` agree on what a lock file is.
pub fn is_lockfile(relative: &str) -> bool {
    assay_analyze::CATALOGERS.iter().any(|c| {
        c.wants(relative) && !assay_analyze::lang::EXECUTABLE_CATALOGERS.contains(&c.name())
    })
}

/// The kind of a file from its name: `Dockerfile`, `Containerfile`, `Dockerfile.*`,
/// `*.Dockerfile` (any case), `*.yaml`, `*.yml`, `*.json`.
pub fn kind_from_name(path: &Path) -> Option<FileKind> {
    let name = path.file_name()?.to_str()?;
    let lower = name.to_ascii_lowercase();
    let is_docker = |stem: &str| {
        lower == stem
            || lower.starts_with(&format!("{stem}."))
            || lower.ends_with(&format!(".{stem}"))
    };
    if is_docker("dockerfile") || is_docker("containerfile") {
        return Some(FileKind::Dockerfile);
    }
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    matches!(ext.as_str(), "yaml" | "yml" | "json").then_some(FileKind::Manifest)
}

/// The kind of a document from its content, for stdin and oddly named files: YAML/JSON
/// mentioning `apiVersion` is a manifest; a document whose first instruction is a Dockerfile
/// instruction is a Dockerfile.
pub fn kind_from_content(text: &str) -> Option<FileKind> {
    let first = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))?;
    let trimmed = first.trim_start_matches('\u{feff}');
    if trimmed.starts_with('{')
        || trimmed.starts_with('[')
        || trimmed == "---"
        || text.contains("apiVersion")
    {
        return Some(FileKind::Manifest);
    }
    let word = trimmed.split_whitespace().next()?.to_ascii_uppercase();
    matches!(word.as_str(), "FROM" | "ARG").then_some(FileKind::Dockerfile)
}

/// Every scannable file and OCI layout below `root`, sorted, honouring `.gitignore`, `.ignore` and
/// `.assayignore`-free walks like `trivy fs` and `checkov -d`: hidden files are included
/// (`.github/`, `.gitlab-ci.yml` are skipped later as non-Kubernetes YAML), `.git` is not.
/// What a directory walk found.
#[derive(Debug, Default)]
pub struct Walked {
    /// Dockerfiles and manifests, sorted.
    pub files: Vec<(PathBuf, FileKind)>,
    /// OCI image layouts (directories holding an `oci-layout` file), sorted.
    pub layouts: Vec<PathBuf>,
    /// Package lock files and manifests a cataloger reads (`package-lock.json`, `Cargo.lock`,
    /// ...), sorted: scanned for vulnerabilities.
    pub lockfiles: Vec<PathBuf>,
    /// Entries that could not be read.
    pub problems: Vec<String>,
}

/// Walks `root` (see [`walk`]'s rules) for files and OCI layouts.
pub fn walk(root: &Path) -> Walked {
    let mut files = Vec::new();
    let mut layouts = Vec::new();
    let mut lockfiles = Vec::new();
    let mut problems = Vec::new();
    let walker = ignore::WalkBuilder::new(root)
        .hidden(false)
        .require_git(false)
        .follow_links(false)
        .filter_entry(|e| e.file_name() != ".git")
        .sort_by_file_name(|a, b| a.cmp(b))
        .build();
    for entry in walker {
        match entry {
            Ok(entry) => {
                if !entry.file_type().is_some_and(|t| t.is_file()) {
                    continue;
                }
                let path = entry.path();
                if entry.file_name() == "oci-layout" {
                    if let Some(dir) = path.parent() {
                        layouts.push(dir.to_path_buf());
                    }
                    continue;
                }
                let relative = path
                    .strip_prefix(root)
                    .unwrap_or(path)
                    .to_string_lossy()
                    .replace('\\', "/");
                if is_lockfile(&relative) {
                    lockfiles.push(path.to_path_buf());
                }
                let Some(kind) = kind_from_name(path) else {
                    continue;
                };
                if entry
                    .metadata()
                    .is_ok_and(|m| m.len() > MAX_WALKED_FILE_BYTES)
                {
                    continue;
                }
                files.push((path.to_path_buf(), kind));
            }
            Err(e) => problems.push(e.to_string()),
        }
    }
    layouts.sort();
    // A layout's index.json and blobs are the image, not manifests to lint.
    files.retain(|(path, _)| !layouts.iter().any(|l| path.starts_with(l)));
    lockfiles.retain(|path| !layouts.iter().any(|l| path.starts_with(l)));
    files.sort();
    lockfiles.sort();
    Walked {
        files,
        layouts,
        lockfiles,
        problems,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dockerfile_names_follow_the_usual_conventions() {
        for name in [
            "Dockerfile",
            "Containerfile",
            "Dockerfile.prod",
            "api.Dockerfile",
            "dockerfile",
        ] {
            assert_eq!(
                kind_from_name(Path::new(name)),
                Some(FileKind::Dockerfile),
                "{name}"
            );
        }
        assert_eq!(
            kind_from_name(Path::new("deploy.yml")),
            Some(FileKind::Manifest)
        );
        assert_eq!(kind_from_name(Path::new("Dockerfile-notes.txt")), None);
        assert_eq!(kind_from_name(Path::new("main.rs")), None);
    }

    #[test]
    fn content_tells_manifests_from_dockerfiles() {
        assert_eq!(
            kind_from_content("apiVersion: v1\nkind: Pod\n"),
            Some(FileKind::Manifest)
        );
        assert_eq!(
            kind_from_content("# syntax=docker/dockerfile:1\nFROM alpine\n"),
            Some(FileKind::Dockerfile)
        );
        assert_eq!(kind_from_content("hello world"), None);
    }
}

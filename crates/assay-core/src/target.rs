//! What the user asked to scan, parsed from one command-line string.

use std::path::{Path, PathBuf};

/// A scan target, named with skopeo's transports where it is an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Read the document from standard input (`-`): a Dockerfile or Kubernetes YAML/JSON.
    Stdin,
    /// A directory walked for everything scannable in it.
    Directory(PathBuf),
    /// One file: a Dockerfile or a manifest, told apart by name and content.
    File(PathBuf),
    /// `oci:DIR[:TAG]`: an OCI image layout.
    OciLayout {
        /// The layout directory.
        dir: PathBuf,
        /// The tag (`org.opencontainers.image.ref.name`), if given.
        tag: Option<String>,
    },
    /// `docker-archive:FILE`: `docker save` output.
    DockerArchive(PathBuf),
    /// `dir:PATH`: an unpacked root filesystem.
    Rootfs(PathBuf),
    /// `docker://REF` or a bare `host/repo:tag@digest`: an image in a registry.
    Registry(String),
}

/// A target string that names nothing assay can open.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseTargetError {
    /// Neither an existing path nor an image reference.
    #[error(
        "{0}: no such file or directory (an image in a registry is written docker://NAME or host/repo:tag)"
    )]
    NotFound(String),
    /// A transport prefix with nothing after it.
    #[error("{0}: empty path or reference after the transport prefix")]
    Empty(String),
}

impl Target {
    /// Parses the user's string. Existing paths win over image references, so `./nginx` is
    /// the folder; a name that is not a path is a registry reference only when it looks like
    /// one (a registry host, a tag or a digest), so that a mistyped path gives "no such file"
    /// instead of a network error.
    pub fn parse(input: &str) -> Result<Target, ParseTargetError> {
        if input == "-" {
            return Ok(Target::Stdin);
        }
        let nonempty = |rest: &str| {
            if rest.is_empty() {
                Err(ParseTargetError::Empty(input.to_string()))
            } else {
                Ok(rest.to_string())
            }
        };
        if let Some(rest) = input.strip_prefix("oci:") {
            let rest = nonempty(rest)?;
            let (dir, tag) = split_layout_tag(&rest);
            return Ok(Target::OciLayout { dir, tag });
        }
        if let Some(rest) = input.strip_prefix("docker-archive:") {
            return Ok(Target::DockerArchive(PathBuf::from(nonempty(rest)?)));
        }
        if let Some(rest) = input.strip_prefix("dir:") {
            return Ok(Target::Rootfs(PathBuf::from(nonempty(rest)?)));
        }
        if let Some(rest) = input.strip_prefix("docker://") {
            return Ok(Target::Registry(nonempty(rest)?));
        }
        let path = Path::new(input);
        if path.is_dir() {
            return Ok(Target::Directory(path.to_path_buf()));
        }
        if path.exists() {
            return Ok(Target::File(path.to_path_buf()));
        }
        if looks_like_image_reference(input) {
            return Ok(Target::Registry(input.to_string()));
        }
        Err(ParseTargetError::NotFound(input.to_string()))
    }

    /// Whether scanning this target needs the image reader.
    pub fn is_image(&self) -> bool {
        matches!(
            self,
            Target::OciLayout { .. }
                | Target::DockerArchive(_)
                | Target::Rootfs(_)
                | Target::Registry(_)
        )
    }
}

/// `oci:DIR:TAG` splits at the last `:` only when what follows is a valid tag and not part of
/// a Windows-free path; a directory name with a colon stays whole when it exists.
fn split_layout_tag(rest: &str) -> (PathBuf, Option<String>) {
    if Path::new(rest).exists() {
        return (PathBuf::from(rest), None);
    }
    match rest.rsplit_once(':') {
        Some((dir, tag)) if !dir.is_empty() && is_tag(tag) => {
            (PathBuf::from(dir), Some(tag.to_string()))
        }
        _ => (PathBuf::from(rest), None),
    }
}

fn is_tag(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 128
        && !s.starts_with(['.', '-'])
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// A reference with an explicit registry host, a tag or a digest.
fn looks_like_image_reference(s: &str) -> bool {
    if s.contains(char::is_whitespace) || s.starts_with(['.', '/']) {
        return false;
    }
    if s.contains("@sha256:") || s.contains("@sha512:") {
        return true;
    }
    let first = s.split('/').next().unwrap_or("");
    let has_host =
        s.contains('/') && (first.contains('.') || first.contains(':') || first == "localhost");
    let last = s.rsplit('/').next().unwrap_or("");
    let has_tag = last
        .rsplit_once(':')
        .is_some_and(|(name, tag)| !name.is_empty() && is_tag(tag));
    has_host || has_tag
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transports_are_recognised() {
        assert_eq!(Target::parse("-"), Ok(Target::Stdin));
        assert_eq!(
            Target::parse("oci:/nonexistent/layout:v1"),
            Ok(Target::OciLayout {
                dir: "/nonexistent/layout".into(),
                tag: Some("v1".into())
            })
        );
        assert_eq!(
            Target::parse("docker-archive:img.tar"),
            Ok(Target::DockerArchive("img.tar".into()))
        );
        assert_eq!(
            Target::parse("dir:/rootfs"),
            Ok(Target::Rootfs("/rootfs".into()))
        );
        assert_eq!(
            Target::parse("docker://alpine"),
            Ok(Target::Registry("alpine".into()))
        );
        assert!(matches!(
            Target::parse("oci:"),
            Err(ParseTargetError::Empty(_))
        ));
    }

    #[test]
    fn references_need_a_host_tag_or_digest() {
        assert_eq!(
            Target::parse("registry.example.com/team/app"),
            Ok(Target::Registry("registry.example.com/team/app".into()))
        );
        assert_eq!(
            Target::parse("alpine:3.20"),
            Ok(Target::Registry("alpine:3.20".into()))
        );
        assert!(matches!(
            Target::parse("does-not-exist"),
            Err(ParseTargetError::NotFound(_))
        ));
        assert!(matches!(
            Target::parse("./missing/Dockerfile"),
            Err(ParseTargetError::NotFound(_))
        ));
    }

    #[test]
    fn existing_paths_win() {
        let dir = std::env::temp_dir();
        assert_eq!(
            Target::parse(dir.to_str().unwrap_or("/")),
            Ok(Target::Directory(dir.clone()))
        );
    }
}

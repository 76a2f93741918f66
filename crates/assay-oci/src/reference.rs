//! Image references (`host/repo:tag@digest`) with Docker's defaults, parsed the way the
//! distribution project's grammar does so that `alpine` and `docker.io/library/alpine:latest`
//! name the same image.

use std::fmt;
use std::str::FromStr;

use crate::digest::{Digest, DigestError};

/// The registry a reference without a host points at.
pub const DEFAULT_REGISTRY: &str = "docker.io";

/// A parsed image reference. The tag is kept as written (none means `latest` only when no
/// digest pins the image, see [`Reference::tag_or_latest`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reference {
    registry: String,
    repository: String,
    tag: Option<String>,
    digest: Option<Digest>,
}

/// Why a string is not an image reference.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceError {
    /// The empty string.
    #[error("invalid image reference: empty")]
    Empty,
    /// The repository path breaks the grammar (uppercase, bad separators, empty component).
    #[error(
        "invalid image reference {reference:?}: bad repository name {repository:?} (lowercase letters, digits and . _ - separators)"
    )]
    Repository {
        /// The whole reference.
        reference: String,
        /// The offending repository part.
        repository: String,
    },
    /// A tag longer than 128 characters or with characters other than `[A-Za-z0-9_.-]`.
    #[error("invalid image reference {reference:?}: bad tag {tag:?}")]
    Tag {
        /// The whole reference.
        reference: String,
        /// The offending tag.
        tag: String,
    },
    /// A registry host that is not a host name, IPv4 or bracketed IPv6 address with an
    /// optional port.
    #[error("invalid image reference {reference:?}: bad registry host {host:?}")]
    Host {
        /// The whole reference.
        reference: String,
        /// The offending host.
        host: String,
    },
    /// The part after `@` is not a digest.
    #[error("invalid image reference {reference:?}: {source}")]
    Digest {
        /// The whole reference.
        reference: String,
        /// Why the digest is invalid.
        source: DigestError,
    },
    /// Longer than the 255 characters registries accept for a name.
    #[error("invalid image reference {0:?}: repository name longer than 255 characters")]
    TooLong(String),
}

impl Reference {
    /// Parses a reference, filling in `docker.io` and `library/` the way Docker does.
    pub fn parse(input: &str) -> Result<Reference, ReferenceError> {
        if input.is_empty() {
            return Err(ReferenceError::Empty);
        }
        let (name_tag, digest) = match input.split_once('@') {
            Some((n, d)) => {
                let digest = Digest::parse(d).map_err(|source| ReferenceError::Digest {
                    reference: input.to_string(),
                    source,
                })?;
                (n, Some(digest))
            }
            None => (input, None),
        };
        // A tag is after the last ':' that follows the last '/', so `host:5000/repo` is not
        // mistaken for a tag.
        let last_slash = name_tag.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match name_tag.get(last_slash..).and_then(|last| last.rfind(':')) {
            Some(colon) => {
                let at = last_slash + colon;
                (
                    name_tag.get(..at).unwrap_or(""),
                    name_tag.get(at + 1..).map(str::to_string),
                )
            }
            None => (name_tag, None),
        };
        if let Some(tag) = &tag
            && !is_tag(tag)
        {
            return Err(ReferenceError::Tag {
                reference: input.to_string(),
                tag: tag.clone(),
            });
        }
        let (registry, repository) = match name.split_once('/') {
            Some((first, rest)) if first.contains(['.', ':']) || first == "localhost" => {
                if !is_host(first) {
                    return Err(ReferenceError::Host {
                        reference: input.to_string(),
                        host: first.to_string(),
                    });
                }
                (first.to_string(), rest.to_string())
            }
            _ => (DEFAULT_REGISTRY.to_string(), name.to_string()),
        };
        let registry = if registry == "index.docker.io" {
            DEFAULT_REGISTRY.to_string()
        } else {
            registry
        };
        let repository = if registry == DEFAULT_REGISTRY && !repository.contains('/') {
            format!("library/{repository}")
        } else {
            repository
        };
        if !is_repository(&repository) {
            return Err(ReferenceError::Repository {
                reference: input.to_string(),
                repository,
            });
        }
        if registry.len() + 1 + repository.len() > 255 {
            return Err(ReferenceError::TooLong(input.to_string()));
        }
        Ok(Reference {
            registry,
            repository,
            tag,
            digest,
        })
    }

    /// The registry host, with port if one was given (`docker.io` by default).
    pub fn registry(&self) -> &str {
        &self.registry
    }

    /// The repository path (`library/alpine`).
    pub fn repository(&self) -> &str {
        &self.repository
    }

    /// The tag as written, if any.
    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    /// The pinned digest, if any.
    pub fn digest(&self) -> Option<&Digest> {
        self.digest.as_ref()
    }

    /// The tag to resolve when no digest pins the image: the given one or `latest`.
    pub fn tag_or_latest(&self) -> &str {
        self.tag.as_deref().unwrap_or("latest")
    }

    /// A copy pinned to `digest`, keeping the tag for display.
    pub fn with_digest(&self, digest: Digest) -> Reference {
        Reference {
            digest: Some(digest),
            ..self.clone()
        }
    }
}

impl fmt::Display for Reference {
    /// The fully qualified form, `docker.io/library/alpine:3.20@sha256:...`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

impl FromStr for Reference {
    type Err = ReferenceError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Reference::parse(s)
    }
}

/// `[\w][\w.-]{0,127}`, the distribution tag grammar.
pub(crate) fn is_tag(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphanumeric() || c == '_')
        && s.len() <= 128
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// Path components of lowercase alphanumerics joined by `.`, `_`, `__` or runs of `-`.
fn is_repository(s: &str) -> bool {
    !s.is_empty() && s.split('/').all(is_component)
}

fn is_component(c: &str) -> bool {
    let bytes = c.as_bytes();
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let (Some(&first), Some(&last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    if !alnum(first) || !alnum(last) {
        return false;
    }
    // Separators between alphanumeric runs: '.', '_', '__', or any number of '-'.
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes.get(i).copied().unwrap_or(0);
        if alnum(b) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && !alnum(bytes.get(i).copied().unwrap_or(0)) {
            i += 1;
        }
        let sep = c.get(start..i).unwrap_or("");
        let ok = matches!(sep, "." | "_" | "__") || sep.bytes().all(|b| b == b'-');
        if !ok {
            return false;
        }
    }
    true
}

fn is_host(host: &str) -> bool {
    let (name, port) = if let Some(rest) = host.strip_prefix('[') {
        match rest.split_once(']') {
            Some((v6, after)) => {
                if v6.is_empty() || !v6.chars().all(|c| c.is_ascii_hexdigit() || c == ':') {
                    return false;
                }
                return after.is_empty() || after.strip_prefix(':').is_some_and(is_port);
            }
            None => return false,
        }
    } else {
        match host.rsplit_once(':') {
            Some((n, p)) => (n, Some(p)),
            None => (host, None),
        }
    };
    let name_ok = !name.is_empty()
        && name.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    name_ok && port.is_none_or(is_port)
}

fn is_port(p: &str) -> bool {
    !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit())
}

//! Platforms (`linux/arm64/v8`) and choosing one manifest out of an index.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::manifest::Descriptor;

/// An OS, CPU architecture and optional variant, as in an index entry.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Platform {
    /// CPU architecture (`amd64`, `arm64`).
    pub architecture: String,
    /// Operating system (`linux`).
    pub os: String,
    /// Variant (`v7`, `v8`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// OS version (Windows images).
    #[serde(
        rename = "os.version",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub os_version: Option<String>,
}

/// A `--platform` value that is not `os/arch[/variant]`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid platform {0:?}: expected os/arch[/variant], e.g. linux/arm64/v8")]
pub struct PlatformParseError(pub String);

impl Platform {
    /// A platform without variant.
    pub fn new(os: &str, architecture: &str) -> Platform {
        Platform {
            architecture: architecture.to_string(),
            os: os.to_string(),
            variant: None,
            os_version: None,
        }
    }

    /// The default when the user names none: linux/amd64.
    pub fn default_linux_amd64() -> Platform {
        Platform::new("linux", "amd64")
    }

    /// Parses `os/arch[/variant]`.
    pub fn parse(s: &str) -> Result<Platform, PlatformParseError> {
        let parts: Vec<&str> = s.split('/').collect();
        let ok = |p: &str| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        };
        match parts.as_slice() {
            [os, arch] if ok(os) && ok(arch) => Ok(Platform::new(os, arch)),
            [os, arch, variant] if ok(os) && ok(arch) && ok(variant) => Ok(Platform {
                variant: Some((*variant).to_string()),
                ..Platform::new(os, arch)
            }),
            _ => Err(PlatformParseError(s.to_string())),
        }
    }

    /// The variant with each architecture's implied default removed (`arm64/v8` is `arm64`).
    fn normalized_variant(&self) -> Option<&str> {
        match (self.architecture.as_str(), self.variant.as_deref()) {
            ("arm64", Some("v8")) | ("amd64", Some("v1")) => None,
            (_, v) => v.filter(|v| !v.is_empty()),
        }
    }

    /// Whether an index entry's platform satisfies this wanted platform: OS and architecture
    /// equal; a wanted variant must match, an unspecified one accepts any.
    pub fn accepts(&self, candidate: &Platform) -> bool {
        self.os == candidate.os
            && self.architecture == candidate.architecture
            && (self.normalized_variant().is_none()
                || self.normalized_variant() == candidate.normalized_variant())
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = self.variant.as_deref().filter(|v| !v.is_empty()) {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

impl FromStr for Platform {
    type Err = PlatformParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Platform::parse(s)
    }
}

/// Index entries that are runnable images: they have a platform that is not `unknown`
/// (buildx marks attestation manifests `unknown/unknown`).
pub fn candidates(entries: &[Descriptor]) -> Vec<&Descriptor> {
    entries
        .iter()
        .filter(|d| {
            d.platform
                .as_ref()
                .is_some_and(|p| p.os != "unknown" && p.architecture != "unknown")
        })
        .collect()
}

/// The platforms an index offers, for error messages.
pub fn available(entries: &[Descriptor]) -> Vec<String> {
    candidates(entries)
        .iter()
        .filter_map(|d| d.platform.as_ref())
        .map(ToString::to_string)
        .collect()
}

/// Chooses an entry: the wanted platform (an exact variant match first, then the first entry
/// that accepts it); with none wanted, linux/amd64, or the only candidate. `None` means the
/// caller reports the missing platform with [`available`].
pub fn select<'a>(entries: &'a [Descriptor], wanted: Option<&Platform>) -> Option<&'a Descriptor> {
    let candidates = candidates(entries);
    let find = |want: &Platform| {
        let exact = candidates
            .iter()
            .find(|d| d.platform.as_ref() == Some(want));
        exact
            .or_else(|| {
                candidates
                    .iter()
                    .find(|d| d.platform.as_ref().is_some_and(|p| want.accepts(p)))
            })
            .copied()
    };
    match wanted {
        Some(want) => find(want),
        None => {
            let only = match candidates.as_slice() {
                [only] => Some(*only),
                _ => None,
            };
            find(&Platform::default_linux_amd64()).or(only)
        }
    }
}

//! Where a target's packages come from beyond their own records: the golden base image it is
//! built on ([`BaseImage`]) and which package depends on which ([`Dependency`], from lock
//! files). Both live here, without I/O, because report formats, SBOM writers, the promotion
//! policy and admission control all read them.

use serde::{Deserialize, Serialize};

/// Which configured golden image an image is built on: the one whose layers are the longest
/// leading run of the image's own layers. `name` is `None` when it is built on none of them.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct BaseImage {
    /// The golden image as configured (`registry.example.com/base/debian:12`), or `None`.
    pub name: Option<String>,
    /// The golden image's manifest digest, when it was resolved from a registry or layout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// How many leading layers the image shares with it (0 when built on none).
    pub layers: usize,
    /// Those layers' diff_ids, base first: what tags a package as the base image's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub diff_ids: Vec<String>,
}

impl BaseImage {
    /// Whether a package or finding from the layer `diff_id` belongs to the base image.
    pub fn contains_layer(&self, diff_id: Option<&str>) -> bool {
        diff_id.is_some_and(|d| self.diff_ids.iter().any(|b| b == d))
    }

    /// One line for people: `registry/base:12 (2 layers)` or `none of the golden images`.
    pub fn describe(&self) -> String {
        match &self.name {
            Some(name) => format!(
                "{name} ({} layer{})",
                self.layers,
                if self.layers == 1 { "" } else { "s" }
            ),
            None => "none of the golden images".to_string(),
        }
    }
}

/// `parent` depends on `child`, both named by purl, as a lock file records it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Dependency {
    /// The depending package's purl.
    pub parent: String,
    /// The package it depends on (its purl).
    pub child: String,
}

//! The admission policy file: what an image needs to be admitted, and where the rules bend
//! (exempt namespaces and images, warn mode, failing open). Parsed and checked once at start
//! (and on reload), so request handling sees only a valid [`Policy`].

use std::path::{Path, PathBuf};

use assay_iac::image_ref::ImageRef;
use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::{Deserialize, Serialize};

/// `enforce` denies; `warn` admits and returns the reasons as AdmissionReview warnings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Deny requests whose images fail the policy.
    #[default]
    Enforce,
    /// Admit them, with a warning per failed requirement.
    Warn,
}

/// What to do when an image cannot be checked because its registry cannot be reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnError {
    /// Fail closed: treat it as a failed requirement (the default).
    #[default]
    Deny,
    /// Fail open: admit with a warning.
    Allow,
}

/// The policy as written in YAML.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct PolicyFile {
    /// Name used in generated manifests and exported policies.
    pub name: String,
    /// `enforce` or `warn`.
    pub mode: Mode,
    /// Images must be written by digest; when false, a tag is resolved to its digest and the
    /// digest is reported in a warning.
    pub require_digest: bool,
    /// Registries (or registry path prefixes) images may come from; empty allows any.
    pub allowed_registries: Vec<String>,
    /// PEM public keys whose signatures are trusted, relative to the policy file.
    pub trusted_keys: Vec<PathBuf>,
    /// Images must carry a signature by a trusted key.
    pub require_signature: bool,
    /// Images must carry an assay promotion attestation signed by a trusted key.
    pub require_promotion: bool,
    /// `deny` (fail closed) or `allow` when a registry cannot be reached.
    pub on_registry_error: OnError,
    /// Namespaces whose requests are admitted without checks.
    pub exempt_namespaces: Vec<String>,
    /// Images (glob on the reference as written, e.g. `registry.example.com/infra/*`)
    /// admitted without checks.
    pub exempt_images: Vec<String>,
    /// How long a verification result is reused for the same digest, in seconds.
    pub cache_ttl_seconds: u64,
    /// Registries reached over plain HTTP (loopback ones always may).
    pub insecure_registries: Vec<String>,
}

impl Default for PolicyFile {
    fn default() -> Self {
        PolicyFile {
            name: "assay-golden-images".to_string(),
            mode: Mode::Enforce,
            require_digest: true,
            allowed_registries: Vec::new(),
            trusted_keys: Vec::new(),
            require_signature: true,
            require_promotion: true,
            on_registry_error: OnError::Deny,
            exempt_namespaces: vec!["kube-system".to_string()],
            exempt_images: Vec::new(),
            cache_ttl_seconds: 300,
            insecure_registries: Vec::new(),
        }
    }
}

/// A policy that cannot be used; the text names the file.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// The file could not be read.
    #[error("{file}: {message}")]
    Read {
        /// The policy file.
        file: String,
        /// Why.
        message: String,
    },
    /// The YAML is invalid or has unknown fields.
    #[error("{file}:{line}: {message}")]
    Parse {
        /// The policy file.
        file: String,
        /// 1-based line, 1 when unknown.
        line: usize,
        /// Why.
        message: String,
    },
    /// A setting is inconsistent.
    #[error("{file}: {message}")]
    Invalid {
        /// The policy file.
        file: String,
        /// Why.
        message: String,
    },
}

/// A checked policy with its keys loaded.
#[derive(Debug, Clone)]
pub struct Policy {
    /// The settings as written.
    pub file: PolicyFile,
    /// Trusted keys as PEM text with the path they came from, in file order.
    pub keys: Vec<(PathBuf, String)>,
    exempt_images: GlobSet,
}

impl Policy {
    /// Reads and checks a policy file; key paths are resolved against its directory.
    pub fn load(path: &Path) -> Result<Policy, PolicyError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| PolicyError::Read {
            file: name.clone(),
            message: e.to_string().to_lowercase(),
        })?;
        let file: PolicyFile = yaml_serde::from_str(&text).map_err(|e| PolicyError::Parse {
            file: name.clone(),
            line: e.location().map_or(1, |l| l.line()),
            message: e.to_string().to_lowercase(),
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        let mut keys = Vec::new();
        for key in &file.trusted_keys {
            let full = base.join(key);
            let pem = std::fs::read_to_string(&full).map_err(|e| PolicyError::Invalid {
                file: name.clone(),
                message: format!(
                    "trusted key {}: {}",
                    full.display(),
                    e.to_string().to_lowercase()
                ),
            })?;
            keys.push((full, pem));
        }
        Policy::new(file, keys).map_err(|message| PolicyError::Invalid {
            file: name,
            message,
        })
    }

    /// Checks settings given in memory (tests, the exporters).
    pub fn new(file: PolicyFile, keys: Vec<(PathBuf, String)>) -> Result<Policy, String> {
        if (file.require_signature || file.require_promotion) && keys.is_empty() {
            return Err(
                "require-signature and require-promotion need at least one trusted-keys entry"
                    .to_string(),
            );
        }
        let mut builder = GlobSetBuilder::new();
        for p in &file.exempt_images {
            builder.add(Glob::new(p).map_err(|e| format!("exempt-images: {p:?}: {}", e.kind()))?);
        }
        let exempt_images = builder
            .build()
            .map_err(|e| format!("exempt-images: {}", e.kind()))?;
        if file.name.is_empty()
            || !file
                .name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(format!(
                "name {:?} must be lower-case letters, digits and '-' (it names Kubernetes objects)",
                file.name
            ));
        }
        Ok(Policy {
            file,
            keys,
            exempt_images,
        })
    }

    /// Whether requests in `namespace` skip the checks.
    pub fn namespace_exempt(&self, namespace: &str) -> bool {
        self.file.exempt_namespaces.iter().any(|n| n == namespace)
    }

    /// Whether `image` (as written in the pod) skips the checks.
    pub fn image_exempt(&self, image: &str) -> bool {
        self.exempt_images.is_match(image)
    }

    /// Whether `image` comes from an allowed registry (any, when none are listed).
    pub fn registry_allowed(&self, image: &ImageRef) -> bool {
        self.file.allowed_registries.is_empty()
            || self
                .file
                .allowed_registries
                .iter()
                .any(|e| image.allowed_by(e))
    }
}
